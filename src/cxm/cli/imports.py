"""``cxm import KIND FILE``: bulk imports with a progress bar and a summary table.

Exit codes: 0 when the file was read through (bad rows are quarantined and
counted, re-imported rows count as duplicates); 1 when the file had rows and
every one was quarantined (a wrong file or mapping, most likely); 2 when the
file cannot be imported at all (missing, unknown format, missing column, bad
option) — the message names the file, column or option.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cxm.collect.importers import ImportFileError, ImportKind, ImportSummary, import_file
from cxm.settings import get_settings

import_app = typer.Typer(
    help="Bulk-import events, customers, orders, tickets or reviews (CSV, JSONL, Parquet).",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

FILE_HELP = "A .csv, .jsonl/.ndjson or .parquet file."
SOURCE_HELP = "Source name the rows are filed under."


def parse_mapping(text: str | None) -> dict[str, str]:
    """``field=column,field=column`` as a dict; raises ``typer.BadParameter``."""
    mapping: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise typer.BadParameter(f"{pair.strip()!r} is not field=column", param_hint="--map")
        mapping[field.strip()] = column.strip()
    return mapping


def _summary_table(summary: ImportSummary) -> Table:
    table = Table(title=f"{summary.kind} from {summary.file} (source {summary.source!r})")
    table.add_column("rows")
    table.add_column("count", justify="right")
    table.add_row("read", f"{summary.rows_read:,}")
    table.add_row("stored (new)", f"{summary.rows_stored:,}")
    if summary.kind == "customers":
        table.add_row("updated", f"{summary.rows_updated:,}")
    table.add_row("duplicate (already stored)", f"{summary.rows_duplicate:,}")
    table.add_row("quarantined", f"{summary.rows_quarantined:,}")
    table.add_row("seconds", f"{summary.seconds:.2f}")
    table.add_row("rows per second", f"{summary.rows_per_second:,.0f}")
    return table


def _problems_table(summary: ImportSummary) -> Table:
    table = Table(title="first quarantined rows (all are in the quarantine table)")
    table.add_column("line", justify="right")
    table.add_column("field")
    table.add_column("reason")
    for row in summary.quarantined:
        table.add_row(str(row.line), row.field, row.reason)
    return table


def run_import(
    kind: ImportKind,
    file: Path,
    source: str | None = None,
    id_column: str | None = None,
    mapping: dict[str, str] | None = None,
) -> None:
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    try:
        with Progress(*columns, TimeRemainingColumn(), console=errors, transient=True) as bar:
            size = file.stat().st_size if file.is_file() else None
            task = bar.add_task(f"importing {kind}", total=size)
            summary = import_file(
                database,
                kind,
                file,
                source=source,
                id_column=id_column,
                mapping=mapping,
                progress=lambda done: bar.update(task, completed=done),
            )
    except (ImportFileError, ValueError) as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    finally:
        database.close()
    console.print(_summary_table(summary))
    if summary.quarantined:
        console.print(_problems_table(summary))
    if summary.rows_read == 0:
        console.print("the file has no rows")
    if summary.rows_stored == 0 and summary.rows_duplicate > 0 and summary.rows_quarantined == 0:
        console.print("nothing new: every row was already stored by an earlier import")
    if summary.rows_read > 0 and summary.rows_quarantined == summary.rows_read:
        errors.print("[red]error:[/red] every row was quarantined; check the file and the options")
        raise typer.Exit(1)


@import_app.command("events")
def events(
    file: Path = typer.Argument(..., help=FILE_HELP),
    source: str = typer.Option(None, help=SOURCE_HELP + " Default: 'import'."),
) -> None:
    """Segment-spec events: JSONL messages, or flat CSV/Parquet columns."""
    run_import("events", file, source)


@import_app.command("customers")
def customers(
    file: Path = typer.Argument(..., help=FILE_HELP),
    source: str = typer.Option(..., help="The system the records come from, e.g. 'crm'."),
    id_column: str = typer.Option(..., help="The column holding the record id."),
    map_: str = typer.Option(
        None, "--map", help="field=column,... for canonical fields named differently."
    ),
) -> None:
    """Customer records (CRM, shop, loyalty, store); other columns become traits."""
    run_import("customers", file, source, id_column, parse_mapping(map_))


@import_app.command("orders")
def orders(
    file: Path = typer.Argument(..., help=FILE_HELP),
    source: str = typer.Option(None, help=SOURCE_HELP + " Default: 'orders'."),
) -> None:
    """Orders; each also becomes an 'Order Completed' event."""
    run_import("orders", file, source)


@import_app.command("tickets")
def tickets(
    file: Path = typer.Argument(..., help=FILE_HELP),
    source: str = typer.Option(None, help=SOURCE_HELP + " Default: 'tickets'."),
) -> None:
    """Help-desk tickets; each also becomes 'Ticket Created' (and 'Ticket Resolved') events."""
    run_import("tickets", file, source)


@import_app.command("reviews")
def reviews(
    file: Path = typer.Argument(..., help=FILE_HELP),
    source: str = typer.Option(
        None, help="Platform for rows without a source/platform column. Default: 'reviews'."
    ),
) -> None:
    """Online reviews and social mentions."""
    run_import("reviews", file, source)
