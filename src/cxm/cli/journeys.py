"""``cxm journeys funnel|retention|paths|stages``: journey analytics from the command line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings

journeys_app = typer.Typer(
    help="Journey analytics: funnels, retention, paths, stages.", no_args_is_help=True
)
stages_app = typer.Typer(help="Lifecycle stages.", no_args_is_help=True)
journeys_app.add_typer(stages_app, name="stages")
console = Console()
errors = Console(stderr=True)
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Add this stage's command groups to the ``cxm`` app."""
    app.add_typer(journeys_app, name="journeys")


def _run(work: Callable[[Any], T]) -> T:
    """Open the database, run ``work``; a bad option exits 2 with a message naming it."""
    from cxm.journeys.errors import JourneyQueryError
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    if database.dialect == "duckdb":
        # DuckDB draws a progress bar on queries over ~2 s, which would corrupt --json.
        database.execute("SET enable_progress_bar = false")
    try:
        return work(database)
    except JourneyQueryError as error:
        option = "--" + error.field.replace("_", "-")
        errors.print(f"[red]{option}[/red]: {error.reason}")
        raise typer.Exit(2) from None
    finally:
        database.close()


def _json(value: object) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@journeys_app.command("funnel")
def funnel(
    steps: str = typer.Option(..., "--steps", help='Comma-separated event names: "A,B,C".'),
    window: str = typer.Option("14d", "--window", help="Conversion window: 14d, 12h, 30m, 2w."),
    order: str = typer.Option("sequential", "--order", help="sequential | strict | any."),
    by: str | None = typer.Option(
        None,
        "--by",
        help="day | week (trend) or a dimension: channel, country, properties.KEY…",
    ),
    start: str | None = typer.Option(None, "--from", help="First entry time (ISO date/time, UTC)."),
    end: str | None = typer.Option(None, "--to", help="Last entry day (inclusive) or time."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Conversion through ordered steps within a window (PostHog semantics; docs/journeys.md)."""
    from cxm.journeys.funnels import TREND_PERIODS, compute_funnel
    from cxm.journeys.sql import parse_duration, parse_time

    def work(database: Any) -> Any:
        names = [s for s in steps.split(",")]
        return compute_funnel(
            database,
            names,
            window_seconds=parse_duration(window, "window"),
            order=order,
            breakdown=None if by is None or by in TREND_PERIODS else by,
            trend=by if by in TREND_PERIODS else None,
            start=parse_time(start, "from"),
            end=parse_time(end, "to", end_of_day=True),
        )

    result = _run(work)
    if as_json:
        _json(asdict(result))
        return
    table = Table(
        "step",
        "event",
        "persons",
        "of first",
        "of previous",
        "drop-off",
        "median time",
        title=(
            f"{result.order} funnel, window {_duration(result.window_seconds)}: "
            f"{result.converted:,} of {result.entered:,} converted ({_pct(result.conversion)})"
        ),
    )
    for step in result.step_stats:
        table.add_row(
            str(step.step), step.name, f"{step.persons:,}", _pct(step.conversion_from_first),
            _pct(step.conversion_from_previous), f"{step.drop_off:,}",
            _duration(step.median_seconds_from_previous),
        )  # fmt: skip
    console.print(table)
    if result.breakdown:
        groups = Table(result.breakdown_by or "", "entered", "converted", "conversion")
        for group in result.breakdown:
            groups.add_row(
                group.value, f"{group.entered:,}", f"{group.converted:,}", _pct(group.conversion)
            )
        console.print(groups)
    if result.trend:
        trend = Table(result.trend_by or "", "entered", "converted", "conversion")
        for point in result.trend:
            trend.add_row(
                point.period.isoformat(),
                f"{point.entered:,}",
                f"{point.converted:,}",
                _pct(point.conversion),
            )
        console.print(trend)


@journeys_app.command("retention")
def retention(
    start_event: str = typer.Option(
        ..., "--start-event", help="Event that puts a person in a cohort (first time)."
    ),
    return_event: str = typer.Option(..., "--return-event", help="Event that counts as returning."),
    period: str = typer.Option("week", "--period", help="day | week | month."),
    periods: int | None = typer.Option(
        None, "--periods", help="Periods to show (default 14 days, 12 weeks/months)."
    ),
    start: str | None = typer.Option(
        None, "--from", help="Earliest first-time start (ISO date/time)."
    ),
    end: str | None = typer.Option(None, "--to", help="Latest first-time start day (inclusive)."),
    as_json: bool = typer.Option(False, "--json", help="Print cohorts as JSON."),
) -> None:
    """First-time cohort retention: returned on period k, and on or after period k."""
    from cxm.journeys.retention import compute_retention
    from cxm.journeys.sql import parse_time

    result = _run(
        lambda database: compute_retention(
            database, start_event, return_event, period, periods=periods,
            start=parse_time(start, "from"), end=parse_time(end, "to", end_of_day=True),
        )
    )  # fmt: skip
    if as_json:
        from cxm.journeys.queries import retention_json

        _json(retention_json(result))
        return
    table = Table(
        "cohort",
        "size",
        *(f"{result.period} {k}" for k in range(result.periods)),
        title=(f"{result.start_event} → {result.return_event}, returned on {result.period} k"),
    )
    for c in result.cohorts:
        table.add_row(
            c.cohort.isoformat(),
            f"{c.size:,}",
            *(_pct(v) if v is not None else "" for v in c.retention),
        )
    console.print(table)


@journeys_app.command("paths")
def paths(
    event: str = typer.Option(..., "--event", help="The event the paths start (or end) at."),
    direction: str = typer.Option("after", "--direction", help="after | before."),
    depth: int = typer.Option(4, "--depth", help="Steps to follow (1–10)."),
    start: str | None = typer.Option(None, "--from", help="Earliest anchor time (ISO)."),
    end: str | None = typer.Option(None, "--to", help="Latest anchor day (inclusive)."),
    as_json: bool = typer.Option(False, "--json", help="Print steps and Sankey links as JSON."),
) -> None:
    """Top paths after/before an event, within a session (30 minutes of inactivity)."""
    from cxm.journeys.paths import compute_paths
    from cxm.journeys.sql import parse_time

    result = _run(
        lambda database: compute_paths(
            database, event, direction=direction, depth=depth,
            start=parse_time(start, "from"), end=parse_time(end, "to", end_of_day=True),
        )
    )  # fmt: skip
    if as_json:
        from cxm.journeys.queries import paths_json

        _json(paths_json(result))
        return
    table = Table("step", "persons", "commonest actions", title=(
        f"{result.anchors:,} persons, {result.direction} {result.event}"
    ))  # fmt: skip
    for step in result.steps:
        names = ", ".join(f"{name} ({n:,})" for name, n in step.names)
        table.add_row(
            f"{'+' if result.direction == 'after' else '−'}{step.step}", f"{step.persons:,}", names
        )
    console.print(table)


@stages_app.command("refresh")
def stages_refresh(
    rules: str | None = typer.Option(
        None, "--rules", help="A stage rules JSON file (default: built in)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Recompute every profile's lifecycle stage and stage transitions."""
    from cxm.journeys.stages import load_rules, refresh_stages

    result = _run(lambda database: refresh_stages(database, load_rules(rules)))
    if as_json:
        _json(asdict(result))
        return
    table = Table(
        "stage",
        "profiles",
        title=f"{result.profiles:,} profiles staged, {result.transitions:,} transitions",
    )
    for stage, count in result.by_stage.items():
        table.add_row(stage, f"{count:,}")
    console.print(table)


@stages_app.command("show")
def stages_show(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Profiles per stage and transitions per month."""
    from cxm.journeys.stages import stage_summary

    summary = _run(stage_summary)
    if as_json:
        _json(asdict(summary))
        return
    table = Table("stage", "profiles")
    for stage, count in summary.by_stage.items():
        table.add_row(stage, f"{count:,}")
    console.print(table)


@journeys_app.command("map")
def journey_map(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Journey map: stages x touchpoints, pain points, continuity and service blueprint."""
    from cxm.journeys.queries import journey_map_json

    body = _run(journey_map_json)
    if as_json:
        _json(body)
        return
    table = Table("touchpoint", *body["stages"], title="events per stage and touchpoint")
    cells = {(c["stage"], c["touchpoint"]): c for c in body["cells"]}
    for tp in body["touchpoints"]:
        row = []
        for stage in body["stages"]:
            cell = cells.get((stage, tp))
            csat = "" if not cell or cell["csat"] is None else f" · CSAT {cell['csat']:.0f}%"
            row.append(f"{cell['events']:,}{csat}" if cell else "–")
        table.add_row(tp, *row)
    console.print(table)
    share = body["continuity"]["switch_share"]
    console.print(f"journeys switching channel: {_pct(share)}")
