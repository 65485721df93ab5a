"""`cxm identity …` and `cxm export links`: thin wrappers over ``cxm.identity``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cxm.settings import get_settings
from cxm.store import open_database

identity_app = typer.Typer(
    help="Identity: stitch identifiers, link records, merges and reviews.", no_args_is_help=True
)
export_app = typer.Typer(help="Export data as files.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


@identity_app.command("resolve")
def resolve() -> None:
    """Stitch identifiers deterministically, then link customer records with Splink."""
    from cxm.identity import resolve_identities

    database = open_database(get_settings().database_url)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("starting", total=None)
            summary = resolve_identities(
                database, step=lambda text: progress.update(task, description=text)
            )
    finally:
        database.close()
    stitched, linked = summary.stitch, summary.linkage
    table = Table("step", "figure", "value")
    table.add_row("stitch", "rows stitched", f"{sum(stitched.rows.values()):,}")
    table.add_row("stitch", "new identifiers", f"{stitched.identifiers_new:,}")
    table.add_row("stitch", "merges", f"{stitched.merges:,}")
    table.add_row("stitch", "links refused by limits", f"{stitched.refused_links:,}")
    table.add_row("stitch", "identifiers marked shared", f"{stitched.shared_marked:,}")
    table.add_row("linkage", "records compared", f"{linked.records:,}")
    table.add_row("linkage", "pairs scored", f"{linked.pairs_scored:,}")
    table.add_row("linkage", "merged (above threshold)", f"{linked.merged:,}")
    table.add_row("linkage", "queued for review", f"{linked.queued_for_review:,}")
    console.print(table)
    console.print(
        f"{summary.records:,} customer records -> {summary.profiles:,} profiles "
        f"(stitch {stitched.seconds:.1f} s, linkage {linked.seconds:.1f} s)"
    )


@identity_app.command("stitch")
def stitch() -> None:
    """Stitch rows not yet on a profile (deterministic only; the server does this itself)."""
    from cxm.identity import stitch_new

    database = open_database(get_settings().database_url)
    try:
        summary = stitch_new(database)
    finally:
        database.close()
    console.print(
        f"{sum(summary.rows.values()):,} rows stitched, {summary.profiles_new:,} new profiles, "
        f"{summary.merges:,} merges in {summary.seconds:.1f} s"
    )


@identity_app.command("unmerge")
def unmerge_command(merge_id: str = typer.Argument(..., help="The merge to undo.")) -> None:
    """Split a wrong merge: the merged profile gets its identifiers and rows back."""
    from cxm.identity import IdentityError, unmerge

    database = open_database(get_settings().database_url)
    try:
        result = unmerge(database, merge_id)
    except IdentityError as error:
        errors.print(f"[red]error:[/red] {error.field}: {error.reason}")
        raise typer.Exit(2) from error
    finally:
        database.close()
    moved = ", ".join(f"{n:,} {t}" for t, n in result.rows_moved.items()) or "no rows"
    console.print(
        f"profile {result.restored} restored with {result.identifiers_moved} identifiers "
        f"and {moved}; {result.links_blocked} links blocked"
    )


@export_app.command("links")
def export_links_command(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """Write source,record_id,profile_id for every imported customer record."""
    from cxm.identity import export_links

    database = open_database(get_settings().database_url)
    try:
        rows = export_links(database, out)
    except OSError as error:
        errors.print(f"[red]error:[/red] --out: cannot write {out}: {error.strerror}")
        raise typer.Exit(2) from error
    finally:
        database.close()
    console.print(f"{rows:,} records written to {out}")
