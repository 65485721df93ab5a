"""``cxm demo``: generate (or reuse) the Lumen & Co. data set, load it, then serve.

Generation is deterministic for a given size and seed, so the files are kept in
``--data-dir`` and reused. Loading goes through the same importers as
``cxm import`` and is idempotent: loading twice stores nothing new.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cxm.collect.importers import ImportSummary
from cxm.settings import get_settings

console = Console()
errors = Console(stderr=True)
SIZE_HELP = "Preset size: 'default' (20,000 customers, 1,000,000 events) or 'small' (CI)."


def demo(
    size: str = typer.Option("default", help=SIZE_HELP),
    customers: int = typer.Option(None, help="Persons to generate (overrides --size)."),
    events: int = typer.Option(None, help="Events to generate (overrides --size)."),
    seed: int = typer.Option(42, help="Random seed; the same seed gives the same files."),
    data_dir: Path = typer.Option(Path("demo-data"), help="Where generated files are kept."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Load only; do not start the app."),
) -> None:
    """Load a believable multi-channel retailer's data and open the app on it."""
    from cxm.collect.importers import ImportFileError
    from cxm.demo.config import SIZES, DemoConfig
    from cxm.demo.generate import ensure_generated
    from cxm.demo.load import load, table_counts
    from cxm.demo.stages import run_stages
    from cxm.store import open_database

    if size not in SIZES:
        errors.print(f"[red]error:[/red] --size: must be one of {', '.join(SIZES)}, not {size!r}")
        raise typer.Exit(2)
    default_customers, default_events = SIZES[size]
    try:
        config = DemoConfig(
            customers=customers or default_customers, events=events or default_events, seed=seed
        )
    except ValueError as error:
        errors.print(f"[red]error:[/red] --{error}")
        raise typer.Exit(2) from None
    settings = get_settings()
    began = time.perf_counter()
    with console.status("generating demo data…") as status:
        files, reused = ensure_generated(
            config, data_dir, lambda step: status.update(f"generating demo data: {step}…")
        )
    generated = time.perf_counter() - began
    verb = "reusing" if reused else f"generated in {generated:.1f}s:"
    console.print(f"{verb} {files.directory}")
    database = open_database(settings.database_url)
    try:
        columns = (
            TextColumn("{task.description:<28}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            tasks = {
                spec.file: bar.add_task(
                    f"importing {spec.file}",
                    start=False,
                    total=files.path(spec.file).stat().st_size,
                )
                for spec in files.imports
            }
            result = load(
                database,
                files,
                starting=lambda spec: bar.start_task(tasks[spec.file]),
                advance=lambda spec, done: bar.update(tasks[spec.file], completed=done),
                session_timeout_minutes=settings.session_timeout_minutes,
            )
        with console.status("demo stages…") as status:
            stage_summaries = run_stages(
                database, files, lambda step: status.update(f"demo stages: {step}…")
            )
        counts = table_counts(database)
    except (ImportFileError, ValueError) as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    finally:
        database.close()
    console.print(_imports_table(result.summaries))
    console.print(_counts_table(counts))
    for line in stage_summaries:
        console.print(line)
    console.print(
        f"loaded in {result.seconds:.1f}s (sessions {result.sessions_seconds:.1f}s); "
        f"ground truth for identity and text analytics: {files.directory / 'truth'}"
    )
    if no_serve:
        return
    from cxm.cli.auth import demo_admin_link
    from cxm.cli.serve import run_server

    # The demo's journeys send e-mail, SMS and webhooks to local files, never outside.
    os.environ.setdefault("CXM_ENGAGE_SINK_DIR", str(files.directory / "engage-sink"))
    console.print(f"CXM serving the demo on http://{settings.host}:{settings.port}/")
    if link := demo_admin_link():
        console.print(f"sign in as admin (one-time link, valid for an hour): {link}")
    run_server(settings)


def _imports_table(summaries: list[ImportSummary]) -> Table:
    table = Table(title="imports")
    for name in ("file", "source", "read", "new", "duplicate", "quarantined", "seconds"):
        table.add_column(name, justify="left" if name in ("file", "source") else "right")
    for s in summaries:
        table.add_row(
            s.file,
            s.source,
            f"{s.rows_read:,}",
            f"{s.rows_stored:,}",
            f"{s.rows_duplicate:,}",
            f"{s.rows_quarantined:,}",
            f"{s.seconds:.1f}",
        )
    return table


def _counts_table(counts: dict[str, int]) -> Table:
    table = Table(title="rows per table")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    return table
