"""``cxm consent record|check|show`` and ``cxm privacy link``: consent from the command line."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings

consent_app = typer.Typer(
    help="The consent ledger and the one-call 'may I?'.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)


def _fail(field: str, reason: str, code: int) -> typer.Exit:
    errors.print(f"[red]error:[/red] {field}: {reason}")
    return typer.Exit(code)


@consent_app.command("record")
def record(
    identifier: str = typer.Argument(..., help="Any identifier of the person."),
    purpose: str = typer.Argument(..., help="analytics, personalisation, marketing or surveys."),
    status: str = typer.Argument(..., help="granted, denied or withdrawn."),
    channel: str = typer.Option("*", help="email, sms, push, messaging, phone or * (any)."),
    source: str = typer.Option(f"cli:{getpass.getuser()}", help="Where it was given."),
    wording: str = typer.Option(None, help="Version of the text the person saw."),
) -> None:
    """Append one consent statement to the ledger."""
    from cxm.privacy.consent import ConsentError, record_consent
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        entry = record_consent(
            database, identifier, purpose, channel, status, source=source, wording_version=wording
        )
    except ConsentError as error:
        raise _fail(error.field, error.reason, 1 if error.unknown else 2) from None
    finally:
        database.close()
    console.print(
        f"recorded: {entry.purpose} via {entry.channel} {entry.status} for {entry.profile_id}"
    )


@consent_app.command("check")
def check(
    identifier: str = typer.Argument(..., help="Any identifier of the person."),
    purpose: str = typer.Argument(..., help="analytics, personalisation, marketing or surveys."),
    channel: str = typer.Option("*", help="email, sms, push, messaging, phone or * (any)."),
) -> None:
    """May we? Exit 0 when allowed, 1 when not (usable in scripts)."""
    from cxm.privacy.consent import ConsentError
    from cxm.privacy.consent_check import may_contact
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        decision = may_contact(database, identifier, purpose, channel)
    except ConsentError as error:
        raise _fail(error.field, error.reason, 2) from None
    finally:
        database.close()
    verdict = "[green]allowed[/green]" if decision.allowed else "[red]not allowed[/red]"
    console.print(f"{verdict}: {decision.reason}")
    raise typer.Exit(0 if decision.allowed else 1)


@consent_app.command("show")
def show(identifier: str = typer.Argument(..., help="Any identifier of the person.")) -> None:
    """The person's current consent and full ledger history."""
    from cxm.privacy.consent import consent_history
    from cxm.privacy.consent_subject import resolve_subject
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        subject = resolve_subject(database, identifier)
        history = consent_history(database, subject.profile_id) if subject else []
    finally:
        database.close()
    if subject is None:
        raise _fail("identifier", f"no profile is known by {identifier!r}", 1)
    table = Table("when", "purpose", "channel", "status", "source", "wording", "identifier")
    for entry in history:
        table.add_row(
            f"{entry.recorded_at:%Y-%m-%d %H:%M}",
            entry.purpose,
            entry.channel,
            entry.status,
            entry.source,
            entry.wording_version or "–",
            entry.identifier,
        )
    console.print(f"profile {subject.profile_id}: {len(history)} ledger entries")
    console.print(table)


@consent_app.command("adopt")
def adopt(
    source: str = typer.Argument(..., help="Customer-record source, e.g. 'crm'."),
    trait: str = typer.Argument(..., help="The record's yes/no flag, e.g. 'marketing_opt_in'."),
    purpose: str = typer.Option("marketing", help="What the flag allowed."),
    channel: str = typer.Option("email", help="Through which channel (or *)."),
    wording: str = typer.Option(None, help="Version of the text the source system showed."),
) -> None:
    """Adopt a source system's opt-in flags into the ledger (run after identity resolve)."""
    from cxm.privacy.consent import ConsentError
    from cxm.privacy.consent_import import adopt_record_opt_ins
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        summary = adopt_record_opt_ins(
            database, source, trait, purpose, channel, wording_version=wording
        )
    except ConsentError as error:
        raise _fail(error.field, error.reason, 2) from None
    finally:
        database.close()
    console.print(
        f"{summary.records:,} {source} records: {summary.granted:,} granted, "
        f"{summary.denied:,} denied, {summary.unchanged:,} unchanged, "
        f"{summary.without_flag:,} without {trait}, {summary.not_stitched:,} not on a profile yet"
    )
    if summary.unreadable:
        shown = ", ".join(f"{v!r} ×{n}" for v, n in sorted(summary.unreadable.items()))
        errors.print(f"[yellow]not yes/no, left out:[/yellow] {shown}")
        raise typer.Exit(1)


def preference_link_command(
    identifier: str = typer.Argument(..., help="Any identifier of the person."),
    base_url: str = typer.Option(
        None, help="Public address of this CXM (default: http://CXM_HOST:CXM_PORT)."
    ),
) -> None:
    """Print a signed, expiring link to the person's preference centre."""
    from cxm.privacy.consent import ConsentError
    from cxm.privacy.consent_links import link_lifetime, preference_link
    from cxm.store import open_database

    settings = get_settings()
    base = base_url or f"http://{settings.host}:{settings.port}"
    database = open_database(settings.database_url)
    try:
        link = preference_link(database, identifier, base, settings)
    except ConsentError as error:
        raise _fail(error.field, error.reason, 1) from None
    finally:
        database.close()
    typer.echo(link)
    errors.print(f"valid for {link_lifetime(settings).days} days")
