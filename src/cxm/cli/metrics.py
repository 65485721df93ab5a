"""``cxm metrics list|show``: the KPI catalogue from the command line."""

from __future__ import annotations

from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings

metrics_app = typer.Typer(help="The CX KPI catalogue.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this stage's command groups to the ``cxm`` app."""
    app.add_typer(metrics_app, name="metrics")


def _json(value: object) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit in {"%", "pp"}:
        return f"{value:.1f}{' pp' if unit == 'pp' else '%'}"
    return f"{value:,.2f}"


@metrics_app.command("list")
def list_kpis(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Every KPI with its formula, unit and direction."""
    from cxm.metrics import catalogue

    kpis = [k.as_dict() for k in catalogue.KPIS]
    if as_json:
        _json(kpis)
        return
    table = Table("id", "name", "unit", "better", "formula")
    for k in kpis:
        table.add_row(k["id"], k["name"], k["unit"], k["better"], k["formula"])
    console.print(table)


@metrics_app.command("show")
def show(
    kpi: str = typer.Argument(..., help="KPI id (see `cxm metrics list`)."),
    by: str | None = typer.Option(None, "--by", help="Breakdown dimension: channel, country…"),
    start: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--to", help="Last day, included (YYYY-MM-DD)."),
    grain: str | None = typer.Option(None, "--grain", help="day | week | month."),
    where: list[str] = typer.Option(
        [], "--where", help="Filter DIM=VALUE (repeatable), e.g. --where channel=web."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """One KPI for a period: value with interval, previous period, series and breakdown."""
    from cxm.metrics import catalogue
    from cxm.metrics.query import QueryError
    from cxm.metrics.request import build_query
    from cxm.store import open_database

    if kpi not in catalogue.CATALOGUE:
        errors.print(
            f"[red]KPI[/red]: {kpi!r} is not in the catalogue ({', '.join(catalogue.CATALOGUE)})"
        )
        raise typer.Exit(2)
    filters = []
    for item in where:
        name, sep, value = item.partition("=")
        if not sep:
            errors.print(f"[red]--where[/red]: {item!r} is not DIM=VALUE")
            raise typer.Exit(2)
        filters.append((name.strip(), value.strip()))
    database = open_database(get_settings().database_url)
    try:
        query = build_query(database, start, end, grain, by, filters)
        result = catalogue.report(database, kpi, query).as_dict()
    except QueryError as error:
        option = {"from": "--from", "to": "--to", "grain": "--grain", "by": "--by"}.get(
            error.field, f"--where {error.field}"
        )
        errors.print(f"[red]{option}[/red]: {error.reason}")
        raise typer.Exit(2) from None
    finally:
        database.close()
    if as_json:
        _json(result)
        return
    _print(result)


def _print(result: dict[str, Any]) -> None:
    kpi, value = result["kpi"], result["value"]
    unit = kpi["unit"]
    console.print(f"[bold]{kpi['name']}[/bold] {result['from']} … {result['to']}")
    if result["status"] != "ok":
        console.print(f"no data: {result['reason']}")
        return
    interval = ""
    if value["low"] is not None:
        interval = f" (95% {_fmt(value['low'], unit)} – {_fmt(value['high'], unit)})"
    console.print(
        f"{_fmt(value['value'], unit)} {unit if unit not in {'%', 'pp'} else ''}"
        f"{interval}, n = {value['n']:,}"
    )
    delta = result["change"]
    if delta:
        marker = " significant" if delta["significant"] else ""
        console.print(
            f"vs previous {_fmt(result['previous']['value'], unit)}: "
            f"{delta['difference']:+.2f}{marker}"
        )
    if result["breakdown"]:
        table = Table(result["by"], "value", "n", "previous")
        for row in result["breakdown"]:
            table.add_row(
                row["group"], _fmt(row["value"], unit), f"{row['n']:,}", _fmt(row["previous"], unit)
            )
        console.print(table)
