"""``cxm segments …`` and ``cxm engage journeys …|dispatch``: the engage stage's commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings
from cxm.store import Database

segments_app = typer.Typer(help="Real-time segments: create, list, recompute, export.")
engage_app = typer.Typer(help="Triggered journeys and the outbox dispatcher.")
journeys_app = typer.Typer(help="Triggered journeys: create, list, activate, report.")
console = Console()
errors = Console(stderr=True)


def _fail(field: str, reason: str, code: int = 2) -> typer.Exit:
    errors.print(f"[red]error:[/red] {field}: {reason}")
    return typer.Exit(code)


@contextmanager
def _database() -> Iterator[Database]:
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        yield database
    finally:
        database.close()


def _json_input(text: str | None, path: Path | None, option: str) -> Any:
    if (text is None) == (path is None):
        raise _fail(option, f"give either --{option} JSON or --file PATH")
    try:
        raw = path.read_bytes() if path is not None else (text or "").encode()
        return orjson.loads(raw)
    except OSError as error:
        raise _fail("--file", str(error)) from None
    except orjson.JSONDecodeError as error:
        raise _fail(
            f"--{option}" if path is None else "--file", f"not valid JSON: {error}"
        ) from None


@segments_app.command("create")
def segments_create(
    name: str = typer.Argument(..., help="Unique segment name."),
    conditions: str = typer.Option(None, "--conditions", help="Condition JSON."),
    file: Path = typer.Option(None, "--file", help="A file holding the condition JSON."),
    description: str = typer.Option(None, help="What the segment is for."),
) -> None:
    """Create a segment and compute its members."""
    from cxm.engage.engine import Engine
    from cxm.engage.segments import SegmentError, create_segment, recompute

    parsed = _json_input(conditions, file, "conditions")
    with _database() as database:
        try:
            segment = create_segment(database, name, parsed, description)
            result, changes = recompute(database, segment.segment_id)
        except SegmentError as error:
            raise _fail(error.field, error.reason, 1 if error.status == 409 else 2) from None
        Engine(database).handle_segment_changes(changes)
    console.print(f"created {segment.segment_id} {segment.name}: {result.members} members")
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")


@segments_app.command("list")
def segments_list() -> None:
    """Segments with their member counts."""
    from cxm.engage.segments import list_segments

    with _database() as database:
        found = list_segments(database)
    table = Table("id", "name", "members", "computed")
    for s in found:
        table.add_row(s.segment_id, s.name, str(s.member_count), f"{s.computed_at or '-'}")
    console.print(table)


@segments_app.command("recompute")
def segments_recompute(
    name: str = typer.Argument(None, help="Segment id or name; all segments when omitted."),
) -> None:
    """Full recompute (membership, Segment Entered/Exited events, a counts row)."""
    from cxm.engage.engine import Engine
    from cxm.engage.segments import SegmentError, list_segments, recompute

    with _database() as database:
        keys = [name] if name else [s.segment_id for s in list_segments(database)]
        engine = Engine(database)
        for key in keys:
            try:
                result, changes = recompute(database, key)
            except SegmentError as error:
                raise _fail(error.field, error.reason, 1) from None
            engine.handle_segment_changes(changes)
            console.print(
                f"{key}: {result.members} members (+{result.entered} −{result.exited}) "
                f"in {result.seconds:.2f} s"
            )


@segments_app.command("export")
def segments_export(
    name: str = typer.Argument(..., help="Segment id or name."),
    out: Path = typer.Option(..., "--out", help="CSV file to write (profile_id,entered_at)."),
) -> None:
    """Write the members as CSV."""
    from cxm.engage.segments import SegmentError, export_csv

    with _database() as database:
        try:
            count = export_csv(database, name, out)
        except SegmentError as error:
            raise _fail(error.field, error.reason, 1) from None
        except OSError as error:
            raise _fail("--out", str(error)) from None
    console.print(f"wrote {count} members to {out}")


@journeys_app.command("create")
def journeys_create(
    name: str = typer.Argument(..., help="Unique journey name."),
    definition: str = typer.Option(None, "--definition", help="Journey definition JSON."),
    file: Path = typer.Option(None, "--file", help="A file holding the definition JSON."),
    activate: bool = typer.Option(False, "--activate", help="Start it at once."),
) -> None:
    """Create a journey (draft unless --activate)."""
    from cxm.engage.journeys import JourneyError, create_journey

    parsed = _json_input(definition, file, "definition")
    with _database() as database:
        try:
            journey = create_journey(database, name, parsed, "active" if activate else "draft")
        except JourneyError as error:
            raise _fail(error.field, error.reason, 1 if error.status == 409 else 2) from None
    console.print(f"created {journey.journey_id} {journey.name} ({journey.status})")


@journeys_app.command("list")
def journeys_list() -> None:
    """Journeys and their status."""
    from cxm.engage.journeys import list_journeys

    with _database() as database:
        found = list_journeys(database)
    table = Table("id", "name", "status", "trigger")
    for j in found:
        trigger = j.definition["trigger"]
        label = (
            f"event {trigger['event']}" if "event" in trigger else f"segment {trigger['segment']}"
        )
        table.add_row(j.journey_id, j.name, j.status, label)
    console.print(table)


def _set_status(name: str, status: str) -> None:
    from cxm.engage.journeys import JourneyError, set_status

    with _database() as database:
        try:
            journey = set_status(database, name, status)
        except JourneyError as error:
            raise _fail(error.field, error.reason, 1) from None
    console.print(f"{journey.name}: {journey.status}")


@journeys_app.command("activate")
def journeys_activate(name: str = typer.Argument(..., help="Journey id or name.")) -> None:
    """Start reacting to the trigger."""
    _set_status(name, "active")


@journeys_app.command("pause")
def journeys_pause(name: str = typer.Argument(..., help="Journey id or name.")) -> None:
    """Stop entering people; waiting runs wait until it is active again."""
    _set_status(name, "paused")


@journeys_app.command("report")
def journeys_report(
    name: str = typer.Argument(..., help="Journey id or name."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Entries, steps, sends, blocks, goal conversion for treated vs holdout, uplift."""
    from cxm.engage.journeys import JourneyError
    from cxm.engage.report import journey_report

    with _database() as database:
        try:
            report = journey_report(database, name)
        except JourneyError as error:
            raise _fail(error.field, error.reason, 1) from None
    if as_json:
        typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return
    console.print(f"[bold]{report.name}[/bold] ({report.status}): {report.entries} entries")
    table = Table("group", "entries", "conversions", "rate %", "95% CI")
    for g in report.groups:
        rate = "-" if g.rate is None else f"{g.rate:.1f}"
        ci = "-" if g.low is None else f"{g.low:.1f}–{g.high:.1f}"
        table.add_row(g.group, str(g.entries), str(g.conversions), rate, ci)
    console.print(table)
    if report.uplift:
        u = report.uplift
        console.print(
            f"uplift {u.difference_points:+.1f} points (95% CI {u.low_points:+.1f} to "
            f"{u.high_points:+.1f}, p = {u.p_value:.3f})"
        )
    console.print(f"sends: {report.sends or '-'}  blocks: {report.blocks or '-'}")


@engage_app.command("dispatch")
def dispatch() -> None:
    """Send every due outbox row once (what the server's dispatcher does continuously)."""
    from cxm.engage.worker import dispatch_once

    with _database() as database:
        outcome = dispatch_once(database)
    console.print(f"dispatched: {outcome or 'nothing due'}")


@engage_app.command("worker")
def worker() -> None:
    """Run the engage worker in its own process (PostgreSQL), fed by the API processes.

    Start `cxm serve` with CXM_ENGAGE_WORKER=false and CXM_ENGAGE_NOTIFY=true: the API
    processes then only collect and NOTIFY committed event keys; this process enters
    journeys, updates segments and sends. Stops on SIGTERM or Ctrl-C.
    """
    import signal
    import threading

    from cxm.engage.worker import EngageWorker

    settings = get_settings()
    if not settings.database_url.startswith(("postgresql://", "postgres://")):
        raise _fail(
            "CXM_DATABASE_URL",
            "a separate engage worker needs PostgreSQL (DuckDB allows one process per file; "
            "there the worker runs inside cxm serve)",
        )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _database() as database:
        running = EngageWorker(database, listen_url=settings.database_url).start()
        console.print("engage worker listening (Ctrl-C to stop)")
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            running.stop()


def register(app: typer.Typer) -> None:
    """Add this stage's command groups to the ``cxm`` app."""
    engage_app.add_typer(journeys_app, name="journeys")
    app.add_typer(segments_app, name="segments")
    app.add_typer(engage_app, name="engage")
