"""`cxm sessions …` and `cxm quarantine …`: jobs over collected data."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings
from cxm.store import open_database

sessions_app = typer.Typer(help="Server-side sessions and first/last touch.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Input that was not accepted, and why.", no_args_is_help=True)
console = Console()


@sessions_app.command("build")
def sessions_build(
    timeout: int = typer.Option(None, help="Inactivity minutes that end a session (default 30)."),
) -> None:
    """Rebuild sessions and per-person first/last-touch traffic channels from events."""
    from cxm.collect.sessions import build_sessions

    settings = get_settings()
    database = open_database(settings.database_url)
    try:
        stats = build_sessions(database, timeout or settings.session_timeout_minutes)
    finally:
        database.close()
    console.print(
        f"{stats.sessions:,} sessions for {stats.persons:,} people "
        f"from {stats.events:,} events in {stats.seconds:.1f} s"
    )


@quarantine_app.command("list")
def quarantine_list(
    kind: str = typer.Option(None, help="event, customer, order, ticket or review."),
    limit: int = typer.Option(50, min=1, help="How many rows at most."),
    replayed: bool = typer.Option(False, "--replayed", help="Include rows already replayed."),
) -> None:
    """Show quarantined input with its origin, line and reason."""
    from cxm.collect.quarantine import list_quarantined

    database = open_database(get_settings().database_url)
    try:
        rows = list_quarantined(database, kind=kind, limit=limit, include_replayed=replayed)
    finally:
        database.close()
    table = Table("id", "kind", "origin", "line", "field", "reason", "payload")
    for row in rows:
        table.add_row(
            row.quarantine_id[:12],
            row.kind,
            row.origin,
            str(row.line_number or ""),
            row.field or "",
            row.reason,
            row.payload[:60],
        )
    console.print(table)
    console.print(f"{len(rows)} row(s)")


@quarantine_app.command("replay")
def quarantine_replay(
    ids: list[str] = typer.Argument(None, help="Quarantine ids (default: every event)."),
) -> None:
    """Normalise quarantined events again; store those that pass now."""
    from cxm.collect.quarantine import replay_events

    database = open_database(get_settings().database_url)
    try:
        result = replay_events(database, ids or None)
    finally:
        database.close()
    console.print(f"replayed {result.replayed}; still invalid {len(result.still_invalid)}")
    for quarantine_id, field, reason in result.still_invalid[:20]:
        console.print(f"  {quarantine_id[:12]}  {field}: {reason}")
