"""``cxm predict …``: CLV fit, churn model training and profile scoring (thin wrappers)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings
from cxm.store import open_database

predict_app = typer.Typer(
    help="Predict: CLV (BG/NBD + Gamma-Gamma), churn risk with reasons, scoring.",
    no_args_is_help=True,
)
churn_app = typer.Typer(help="Churn-risk model.", no_args_is_help=True)
predict_app.add_typer(churn_app, name="churn")
console = Console()
errors = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this stage's command groups to the ``cxm`` app."""
    app.add_typer(predict_app, name="predict")


def _fail(option: str, reason: str) -> typer.Exit:
    errors.print(f"[red]error[/red] {option}: {reason}")
    return typer.Exit(2)


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(option, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _print_json(payload: dict[str, Any]) -> None:
    # Plain print: Rich would wrap long lines and break the JSON for pipes.
    typer.echo(json.dumps(payload, indent=2, default=str))


@predict_app.command("clv")
def clv(
    calibration_end: str = typer.Option(
        None, "--calibration-end", help="Last day of the calibration period (YYYY-MM-DD)."
    ),
    time_unit: str = typer.Option("week", "--time-unit", help="day or week."),
    method: str = typer.Option("auto", "--method", help="auto, model or historical."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fit BG/NBD and Gamma-Gamma on the orders and print the parameters."""
    from cxm.predict.clv import ClvError, fit_clv

    end = _date("--calibration-end", calibration_end)
    if time_unit not in ("day", "week"):
        raise _fail("--time-unit", f"must be day or week, not {time_unit!r}")
    database = open_database(get_settings().database_url)
    try:
        fit = fit_clv(database, end, time_unit, method)  # type: ignore[arg-type]
    except ClvError as error:
        raise _fail(
            "--calibration-end" if error.field == "calibration_end" else f"--{error.field}",
            error.reason,
        ) from None
    finally:
        database.close()
    report = fit.report()
    if as_json:
        _print_json(report)
        return
    table = Table("figure", "value")
    for key, value in report.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)


@churn_app.command("train")
def churn_train(
    label: str = typer.Option(
        ...,
        "--label",
        help="no-purchase | inactive (non-contractual), or a churn event name or trait name.",
    ),
    horizon_days: int = typer.Option(90, "--horizon-days", help="Label window after the cutoff."),
    cutoff: str = typer.Option(
        None, "--cutoff", help="Feature cutoff (YYYY-MM-DD); default: newest data − horizon."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Train the churn model on a time split; print cross-validated AUC and top drivers."""
    from datetime import UTC, datetime

    from cxm.predict.churn import ChurnError, train_churn

    day = _date("--cutoff", cutoff)
    when = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    database = open_database(get_settings().database_url)
    try:
        result = train_churn(database, label, horizon_days, when)
    except ChurnError as error:
        raise _fail(f"--{error.field.replace('_', '-')}", error.reason) from None
    finally:
        database.close()
    report = dict(result.report)
    if as_json:
        report.pop("reliability", None)
        _print_json(report)
        return
    console.print(
        f"churn model {report['model_version']}: {report['profiles']:,} profiles, "
        f"{report['churn_rate']:.1%} churned ({report['label_kind']})"
    )
    console.print(
        f"CV AUC {report['cv_auc']:.3f} · precision@top decile "
        f"{report['precision_top_decile']:.3f} · recall@top decile "
        f"{report['recall_top_decile']:.3f} · Brier {report['brier']:.4f}"
    )
    table = Table("driver", "cause", "importance", "direction")
    for driver in report["top_drivers"]:
        table.add_row(
            driver["feature"], driver["cause"], f"{driver['importance']:.4f}", driver["direction"]
        )
    console.print(table)


@predict_app.command("score")
def score(
    horizon_days: int = typer.Option(365, "--horizon-days", help="CLV horizon in days."),
    discount_rate: float = typer.Option(0.1, "--discount-rate", help="Annual discount rate."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Score every profile: CLV, P(alive), churn risk and reasons, segments, win-back."""
    from cxm.predict.clv import ClvError
    from cxm.predict.scoring import score_profiles

    if horizon_days < 1:
        raise _fail("--horizon-days", "must be at least 1")
    if not 0 <= discount_rate < 1:
        raise _fail("--discount-rate", "must be in [0, 1)")
    database = open_database(get_settings().database_url)
    try:
        run = score_profiles(database, horizon_days, discount_rate)
    except ClvError as error:
        raise _fail(f"--{error.field.replace('_', '-')}", error.reason) from None
    finally:
        database.close()
    if as_json:
        _print_json(run.as_dict())
        return
    console.print(
        f"scored {run.profiles:,} profiles ({run.customers:,} customers, {run.at_risk:,} at "
        f"risk) in {run.seconds:.1f} s · model {run.model_version}"
    )
    if run.churn_model is None:
        console.print("no churn model trained: risk = 1 − P(alive) (cxm predict churn train)")
