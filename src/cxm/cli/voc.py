"""``cxm voc ...``: surveys, triggers, invitations, scores, Kano and the case inbox.

Errors print ``error: <field>: <reason>`` and exit 2 (bad input) or 1 (not found).
"""

from __future__ import annotations

import sys
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

voc_app = typer.Typer(help="Voice of the customer: surveys, scores, cases.", no_args_is_help=True)
surveys_app = typer.Typer(help="Create and list surveys.", no_args_is_help=True)
cases_app = typer.Typer(help="The closed-loop case inbox.", no_args_is_help=True)
triggers_app = typer.Typer(
    help="Event triggers that send survey invitations.", no_args_is_help=True
)
voc_app.add_typer(surveys_app, name="surveys")
voc_app.add_typer(cases_app, name="cases")
voc_app.add_typer(triggers_app, name="triggers")
console = Console()
errors = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this stage's command groups to the ``cxm`` app."""
    app.add_typer(voc_app, name="voc")


def _fail(field: str, reason: str, code: int = 2) -> typer.Exit:
    errors.print(f"[red]error:[/red] {field}: {reason}", markup=True, highlight=False)
    return typer.Exit(code)


@contextmanager
def _database() -> Iterator[Database]:
    from cxm.store import open_database
    from cxm.voc.model import SurveyError
    from cxm.voc.reports import ReportError

    database = open_database(get_settings().database_url)
    try:
        yield database
    except SurveyError as error:
        raise _fail(error.field, error.reason, 1 if error.status == 404 else 2) from None
    except ReportError as error:
        raise _fail(f"--{error.field}", error.reason) from None
    finally:
        database.close()


def _print_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def _require(database: Database, survey_id: str) -> None:
    from cxm.voc.surveys import get_survey

    if get_survey(database, survey_id) is None:
        raise _fail("--survey", f"no survey {survey_id!r}", 1)


@voc_app.command("nps")
def nps(
    survey: str = typer.Option(..., "--survey", help="Survey id."),
    by: str = typer.Option(None, "--by", help="touchpoint, channel, language or month."),
    split: str = typer.Option(
        None, "--split", help="Compare answers before vs from this date (YYYY-MM-DD)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """NPS with promoters, passives, detractors and its 95% margin of error; with --by
    each segment is tested against the rest, with --split two periods are compared."""
    from datetime import UTC, datetime

    from cxm.voc.reports import compare_periods, comparison_json, nps_by, nps_json, versus_rest

    split_at = None
    if split:
        try:
            split_at = datetime.fromisoformat(split).replace(tzinfo=UTC)
        except ValueError:
            raise _fail("--split", "a date such as 2026-06-01") from None
    with _database() as database:
        _require(database, survey)
        overall = nps_by(database, survey).get("all")
        groups = nps_by(database, survey, by) if by else {}
        periods = compare_periods(database, survey, split_at) if split_at else None
    empty = {
        "score": None,
        "n": 0,
        "promoters": 0,
        "passives": 0,
        "detractors": 0,
        "margin_of_error": None,
    }
    result: dict[str, Any] = {"survey_id": survey, **(nps_json(overall) if overall else empty)}
    if by:
        result["by"] = by
        tests = versus_rest(groups)
        result["groups"] = {
            g: {**nps_json(r), **({"vs_rest": comparison_json(tests[g])} if g in tests else {})}
            for g, r in groups.items()
        }
    if split_at:
        result["periods"] = (
            {
                "before": nps_json(periods[0]),
                "from": nps_json(periods[1]),
                "change": comparison_json(periods[2]),
            }
            if periods
            else None
        )
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"NPS of {survey}")
    for column in ("group", "NPS", "± margin", "n", "promoters", "passives", "detractors"):
        table.add_column(column)
    rows = [("all", result)] + [(g, r) for g, r in result.get("groups", {}).items()]
    for name, r in rows:
        table.add_row(
            name,
            str(r["score"]),
            str(r["margin_of_error"]),
            str(r["n"]),
            str(r["promoters"]),
            str(r["passives"]),
            str(r["detractors"]),
        )
    console.print(table)


@voc_app.command("kano")
def kano(
    survey: str = typer.Option(..., "--survey", help="Survey id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Each Kano feature's category and its Better/Worse coefficients."""
    from cxm.voc.reports import kano_report

    with _database() as database:
        _require(database, survey)
        features = kano_report(database, survey)
    if as_json:
        _print_json({"survey_id": survey, "features": [f.as_json() for f in features]})
        return
    table = Table(title=f"Kano of {survey}")
    for column in ("feature", "category", "better", "worse", "n"):
        table.add_column(column)
    for f in features:
        table.add_row(
            f.label, f.category_name or "–", f"{f.better:.2f}", f"{f.worse:.2f}", str(f.n)
        )
    console.print(table)


@voc_app.command("scores")
def scores(
    survey: str = typer.Option(..., "--survey", help="Survey id."),
    by: str = typer.Option(None, "--by", help="touchpoint, channel, language or month."),
) -> None:
    """NPS, CSAT (% top-2) and CES (mean, % agree) as JSON."""
    from cxm.voc.reports import ces_by, ces_json, csat_by, nps_by, nps_json, rate_json

    with _database() as database:
        _require(database, survey)
        _print_json(
            {
                "survey_id": survey,
                "nps": {g: nps_json(r) for g, r in nps_by(database, survey, by).items()},
                "csat": {g: rate_json(r) for g, r in csat_by(database, survey, by).items()},
                "ces": {g: ces_json(r) for g, r in ces_by(database, survey, by).items()},
            }
        )


@voc_app.command("invite")
def invite_command(
    survey: str = typer.Option(..., "--survey", help="Survey id."),
    identifier: str = typer.Option(..., "--identifier", help="Any identifier of the person."),
    channel: str = typer.Option(
        "email", "--channel", help="email, sms, messaging, push, web, app."
    ),
    touchpoint: str = typer.Option(
        None, "--touchpoint", help="Touchpoint (default: the survey's)."
    ),
) -> None:
    """Invite one person (consent and recontact rules checked); prints the personal link."""
    from cxm.voc.invitations import invite

    with _database() as database:
        invitation = invite(
            database,
            survey_id=survey,
            profile_id=identifier,
            touchpoint=touchpoint,
            channel=channel,
        )
    _print_json(invitation.as_json())
    if invitation.blocked:
        raise typer.Exit(1)


@surveys_app.command("create")
def surveys_create(
    file: Path = typer.Option(..., "--file", help="Survey definition (JSON)."),
    status: str = typer.Option("live", "--status", help="draft or live."),
) -> None:
    """Create a survey from a JSON definition (see docs/voc.md)."""
    from cxm.voc.surveys import create_survey

    try:
        data = orjson.loads(file.read_bytes())
    except FileNotFoundError:
        raise _fail("--file", f"{file} does not exist") from None
    except orjson.JSONDecodeError as error:
        raise _fail("--file", f"not JSON: {error}") from None
    with _database() as database:
        survey = create_survey(database, data, status=status)
    _print_json(survey.summary())


@surveys_app.command("list")
def surveys_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every survey with its state and response counts."""
    from cxm.voc.reports import response_counts
    from cxm.voc.surveys import list_surveys

    with _database() as database:
        found = [(s, response_counts(database, s.survey_id)) for s in list_surveys(database)]
    if as_json:
        _print_json([{**s.summary(), "responses": c} for s, c in found])
        return
    table = Table(title="Surveys")
    for column in ("id", "name", "status", "version", "touchpoint", "complete", "partial"):
        table.add_column(column)
    for s, c in found:
        table.add_row(
            s.survey_id,
            s.name,
            s.status,
            str(s.version),
            s.definition.touchpoint or "–",
            str(c.get("complete", 0)),
            str(c.get("partial", 0)),
        )
    console.print(table)


@cases_app.command("list")
def cases_list(
    status: str = typer.Option(None, "--status", help="open, in_progress or closed."),
    owner: str = typer.Option(None, "--owner", help="Owner."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Closed-loop cases, newest first, and the share closed within SLA."""
    from cxm.voc.cases import CASE_STATUSES, list_cases, sla_report

    if status is not None and status not in CASE_STATUSES:
        raise _fail("--status", f"one of {', '.join(CASE_STATUSES)}")
    with _database() as database:
        cases = list_cases(database, status=status, owner=owner, limit=limit)
        sla = sla_report(database)
    if as_json:
        _print_json({"cases": [c.as_json() for c in cases], "sla": sla.as_json()})
        return
    table = Table(title="Cases")
    for column in ("case", "reason", "status", "owner", "survey", "opened", "due"):
        table.add_column(column)
    for c in cases:
        table.add_row(
            c.case_id,
            c.reason,
            c.status,
            c.owner or "–",
            c.survey_id or "–",
            f"{c.created_at:%Y-%m-%d %H:%M}",
            f"{c.due_at:%Y-%m-%d %H:%M}" if c.due_at else "–",
        )
    console.print(table)
    share = sla.share_within_sla
    console.print(
        f"{sla.total} cases, {sla.open} open ({sla.overdue_open} overdue); "
        + (f"{share:.0%} of closed loops within SLA" if share is not None else "none closed yet")
    )


@triggers_app.command("add")
def triggers_add(
    survey: str = typer.Option(..., "--survey", help="Survey id."),
    event: str = typer.Option(..., "--event", help="Event name, e.g. 'Ticket Resolved'."),
    delay_minutes: int = typer.Option(0, "--delay-minutes", help="Wait after the event."),
    sample_percent: float = typer.Option(100.0, "--sample-percent", help="Share of events."),
    channel: str = typer.Option("email", "--channel", help="Invitation channel."),
    where: str = typer.Option(
        None, "--filter", help='Property filter as JSON, e.g. {"channel":"web"}.'
    ),
) -> None:
    """Add a trigger: when EVENT [filter] → invite to the survey after the delay."""
    from cxm.voc.triggers import create_trigger

    try:
        flt = orjson.loads(where) if where else {}
    except orjson.JSONDecodeError as error:
        raise _fail("--filter", f"not JSON: {error}") from None
    with _database() as database:
        trigger = create_trigger(
            database,
            survey,
            {
                "event": event,
                "delay_minutes": delay_minutes,
                "sample_percent": sample_percent,
                "channel": channel,
                "filter": flt,
            },
        )
    _print_json(trigger.as_json())


@triggers_app.command("run")
def triggers_run(
    from_start: bool = typer.Option(False, "--from-start", help="Ignore the cursor (re-scan all)."),
) -> None:
    """Run every trigger once over the events since the last run (what the worker does)."""
    from cxm.voc.triggers import run_triggers

    with _database() as database:
        run = run_triggers(database, from_start=from_start)
    _print_json(run.as_json())
