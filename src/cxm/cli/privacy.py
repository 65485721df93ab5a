"""``cxm privacy export|erase|receipts``: data-subject rights from the command line."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings
from cxm.store import Database

privacy_app = typer.Typer(help="Export or erase everything about a person.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def _audit(database: Database, action: str, subject: str | None, outcome: str) -> None:
    from cxm.auth.audit import record_audit

    record_audit(
        database,
        actor=cli_actor(),
        via="cli",
        action=f"privacy.{action}",
        resource=f"cxm privacy {action}",
        subject=subject,
        outcome=outcome,
    )


@privacy_app.command("export")
def export(
    identifier: str = typer.Argument(..., help="Profile id, type:value or a bare identifier."),
    out: Path = typer.Option(None, "--out", help="Write the JSON here instead of stdout."),
) -> None:
    """Export everything held about a person as JSON."""
    from cxm.auth.audit import NOT_FOUND, OK, identifier_subject
    from cxm.privacy import SubjectError, export_json
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    subject = identifier_subject(identifier)
    try:
        document = export_json(database, identifier)
        outcome = OK
    except SubjectError as error:
        _audit(database, "export", subject, NOT_FOUND)
        database.close()
        errors.print(f"[red]error:[/red] {error.field}: {error.reason}")
        raise typer.Exit(1) from None
    _audit(database, "export", subject, outcome)
    database.close()
    if out is None:
        typer.echo(document.decode())
    else:
        out.write_bytes(document)
        console.print(f"wrote {len(document):,} bytes to {out}")


@privacy_app.command("erase")
def erase(
    identifier: str = typer.Argument(..., help="Profile id, type:value or a bare identifier."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase a person from every table and print the erase receipt."""
    from cxm.auth.audit import NOT_FOUND, OK, identifier_subject
    from cxm.privacy import SubjectError, erase_person
    from cxm.store import open_database

    if not yes and not typer.confirm(
        f"Erase everything about {identifier!r}? This cannot be undone"
    ):
        errors.print("nothing erased")
        raise typer.Exit(1)
    database = open_database(get_settings().database_url)
    subject = identifier_subject(identifier)
    try:
        receipt = erase_person(database, identifier, cli_actor())
    except SubjectError as error:
        _audit(database, "erase", subject, NOT_FOUND)
        database.close()
        errors.print(f"[red]error:[/red] {error.field}: {error.reason}")
        raise typer.Exit(1) from None
    _audit(database, "erase", subject, OK)
    database.close()
    console.print(f"erase receipt {receipt.receipt_id}")
    console.print(f"  erased at   {receipt.erased_at.isoformat()}")
    console.print(f"  by          {receipt.actor}")
    console.print(f"  identifiers {receipt.identifier_count} (sha256 {receipt.identifiers_sha256})")
    console.print(f"  profiles    {receipt.profile_count}")
    table = Table("table", "rows deleted")
    for name, count in sorted(receipt.counts.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)
    console.print(f"{receipt.rows_deleted:,} rows deleted in one transaction")


@privacy_app.command("receipts")
def receipts(limit: int = typer.Option(20, help="How many, newest first.")) -> None:
    """List erase receipts (no personal data)."""
    from cxm.privacy import list_receipts
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    table = Table("receipt", "erased at", "by", "rows", "identifiers sha256")
    for r in list_receipts(database, limit):
        table.add_row(
            r.receipt_id,
            r.erased_at.isoformat(),
            r.actor,
            f"{r.rows_deleted:,}",
            r.identifiers_sha256[:16] + "…",
        )
    database.close()
    console.print(table)
