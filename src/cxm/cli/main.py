"""The ``cxm`` command: thin wrappers over the packages (parse, call, print)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cxm.cli import engage, journeys, metrics, predict, recommend, text, voc
from cxm.cli.auth import audit_app, keys_app, users_app
from cxm.cli.consent import consent_app, preference_link_command
from cxm.cli.identity import export_app, identity_app
from cxm.cli.operations import quarantine_app, sessions_app
from cxm.cli.privacy import privacy_app
from cxm.cli.profiles import profiles_app
from cxm.settings import get_settings

app = typer.Typer(
    name="cxm",
    help="CXM: customer-experience management.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
sources_app = typer.Typer(
    help="Sources that send data, and their write keys.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")
app.add_typer(sessions_app, name="sessions")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(identity_app, name="identity")
app.add_typer(export_app, name="export")
app.add_typer(privacy_app, name="privacy")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(profiles_app, name="profiles")
app.add_typer(consent_app, name="consent")
privacy_app.command("link")(preference_link_command)
for stage in (voc, text, metrics, journeys, predict, engage, recommend):
    stage.register(app)
console = Console()
errors = Console(stderr=True)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default: CXM_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default: CXM_PORT or 8000)."),
    workers: int = typer.Option(1, help="Worker processes (more than 1 needs PostgreSQL)."),
) -> None:
    """Serve the API, the tracker and the web pages."""
    from cxm.cli.serve import ServeError, run_server

    settings = get_settings().model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    console.print(f"CXM serving on http://{settings.host}:{settings.port}/  (docs at /docs)")
    try:
        run_server(settings, workers=workers)
    except ServeError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error


@db_app.command("migrate")
def migrate() -> None:
    """Create or upgrade the schema of CXM_DATABASE_URL."""
    from cxm.store import apply_migrations, open_database

    database = open_database(get_settings().database_url, migrate=False)
    applied = apply_migrations(database)
    database.close()
    console.print(f"applied migrations: {applied or 'none (up to date)'}")


@sources_app.command("add")
def sources_add(
    name: str = typer.Argument(..., help="A unique name, e.g. 'website'."),
    channel: str = typer.Option("web", help="Touchpoint: web, app, store, email, messaging…"),
    kind: str = typer.Option("http", help="http, import or webhook."),
) -> None:
    """Register a source and print its write key."""
    from cxm.collect.sources import SourceError, create_source
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        source = create_source(database, name, kind=kind, channel=channel)
    except SourceError as error:
        errors.print(f"[red]error:[/red] {error.field}: {error.reason}")
        raise typer.Exit(2) from error
    finally:
        database.close()
    console.print(f"source {source.name!r} ({source.channel}) write key: {source.write_key}")


@sources_app.command("list")
def sources_list() -> None:
    """List sources with their write keys."""
    from cxm.collect.sources import list_sources
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    table = Table("name", "kind", "channel", "write key")
    for source in list_sources(database):
        table.add_row(source.name, source.kind, source.channel.value, source.write_key)
    database.close()
    console.print(table)


def _register_optional() -> None:
    """Commands owned by packages that are built alongside this one."""
    try:
        from cxm.cli.imports import import_app

        app.add_typer(import_app, name="import")
    except ImportError:
        pass
    try:
        from cxm.cli.demo import demo

        app.command("demo")(demo)
    except ImportError:
        pass


_register_optional()


def main() -> None:
    """The ``cxm`` entry point: any package's bad-input error that a command did not
    report itself becomes ``error: field: reason`` and exit code 2, not a traceback."""
    from cxm.errors import FieldError

    try:
        app()
    except FieldError as error:
        errors.print(f"[red]error:[/red] {error.field}: {error.reason}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
