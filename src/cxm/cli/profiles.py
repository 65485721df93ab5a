"""``cxm profiles show|search``: the unified profile from the command line."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import orjson
import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from cxm.settings import get_settings

if TYPE_CHECKING:
    from cxm.profiles import Profile
    from cxm.store import Database

profiles_app = typer.Typer(help="Unified customer profiles.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _audit(database: Database, action: str, subject: str | None, ok: bool) -> None:
    from cxm.auth.audit import NOT_FOUND, OK, record_audit

    record_audit(
        database,
        actor=f"cli:{getpass.getuser()}",
        via="cli",
        action=action,
        resource=f"cxm profiles {action.split('.')[-1]}",
        subject=subject,
        outcome=OK if ok else NOT_FOUND,
    )


def _when(value: object) -> str:
    return "–" if value is None else f"{value:%Y-%m-%d %H:%M}"


def _panels(profile: Profile) -> Group:
    value = profile.value
    summary = Table.grid(padding=(0, 2))
    summary.add_row("profile id", profile.profile_id)
    summary.add_row("sources", ", ".join(profile.sources) or "–")
    summary.add_row("lifecycle", f"{profile.lifecycle.stage} ({profile.lifecycle.reason})")
    rfm = f" R{value.recency_score} F{value.frequency_score} M{value.monetary_score}"
    summary.add_row("RFM tier", value.rfm_tier + (rfm if value.recency_score else ""))
    spend = f"{value.total_spend:,.2f} {value.currency or ''}".strip()
    summary.add_row("spend", f"{spend} over {value.order_count} orders")
    if value.average_spend is not None:
        summary.add_row("average order", f"{value.average_spend:,.2f} {value.currency}")
    summary.add_row(
        "orders", f"first {_when(value.first_order_at)}, last {_when(value.last_order_at)}"
    )
    summary.add_row("tenure", f"{value.tenure_days} days" if value.tenure_days is not None else "–")
    traits = Table("trait", "value", "source", "rule", box=None)
    for trait in profile.traits:
        traits.add_row(trait.name, str(trait.value), trait.source, trait.rule.replace("_", " "))
    identifiers = Table("type", "value", "last seen", box=None)
    for ident in profile.identifiers:
        shared = " (shared)" if ident.shared else ""
        identifiers.add_row(ident.id_type, ident.id_value + shared, _when(ident.last_seen_at))
    consent = Table("purpose", "channel", "status", "since", "source", box=None)
    for state in profile.consent:
        consent.add_row(
            state.purpose, state.channel, state.status, _when(state.recorded_at), state.source
        )
    timeline = Table("when", "kind", "what", box=None)
    for entry in profile.timeline.entries if profile.timeline else ():
        timeline.add_row(_when(entry.at), entry.kind, entry.title)
    return Group(
        Panel(summary, title=profile.display_name, expand=False),
        Panel(traits, title="traits (survivorship)", expand=False),
        Panel(identifiers, title="identifiers", expand=False),
        Panel(
            consent if profile.consent else "nothing recorded: defaults apply",
            title="consent",
            expand=False,
        ),
        Panel(timeline, title="latest activity", expand=False),
    )


@profiles_app.command("show")
def show(
    identifier: str = typer.Argument(..., help="Profile id, type:value or a bare identifier."),
    as_json: bool = typer.Option(False, "--json", help="Print the profile as JSON."),
    timeline: int = typer.Option(10, help="Timeline entries to include (0: none)."),
) -> None:
    """Print the unified profile of whoever IDENTIFIER names."""
    from cxm.auth.audit import identifier_subject
    from cxm.profiles import get_profile
    from cxm.store import open_database

    if not 0 <= timeline <= 200:
        errors.print("[red]error:[/red] --timeline: must be between 0 and 200")
        raise typer.Exit(2)
    database = open_database(get_settings().database_url)
    try:
        profile = get_profile(database, identifier, timeline_limit=timeline)
        subject = profile.profile_id if profile else identifier_subject(identifier)
        _audit(database, "profile.show", subject, profile is not None)
    finally:
        database.close()
    if profile is None:
        errors.print(f"[red]error:[/red] identifier: no profile is known by {identifier!r}")
        raise typer.Exit(1)
    if as_json:
        typer.echo(orjson.dumps(profile, option=orjson.OPT_INDENT_2).decode())
    else:
        console.print(_panels(profile))


@profiles_app.command("search")
def search(
    query: str = typer.Argument(..., help="Name, e-mail or phone (prefix), or any identifier."),
    limit: int = typer.Option(20, help="Most results (1-100)."),
) -> None:
    """Find profiles by name, e-mail, phone or id."""
    from cxm.auth.audit import identifier_subject
    from cxm.profiles import SearchError, search_profiles
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        found = search_profiles(database, query, limit)
        _audit(database, "profile.search", identifier_subject(query), True)
    except SearchError as error:
        errors.print(f"[red]error:[/red] {error.field}: {error.reason}")
        raise typer.Exit(2) from None
    finally:
        database.close()
    if not found:
        console.print(f"nobody matches {query!r}")
        raise typer.Exit(1)
    table = Table("profile id", "name", "e-mail", "phone", "sources")
    for summary in found:
        table.add_row(
            summary.profile_id,
            summary.name or "–",
            summary.email or "–",
            summary.phone or "–",
            ", ".join(summary.sources),
        )
    console.print(table)
