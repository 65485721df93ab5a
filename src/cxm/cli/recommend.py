"""``cxm recommend train|export|evaluate``: recommendations from the command line."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings

recommend_app = typer.Typer(
    help="Recommendations: personalised (ALS), related, trending, combined.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this stage's command groups to the ``cxm`` app."""
    app.add_typer(recommend_app, name="recommend")


def _fail(field: str, reason: str, code: int = 2) -> typer.Exit:
    errors.print(f"[red]error:[/red] {field}: {reason}")
    return typer.Exit(code)


def _date(option: str, value: str | None) -> datetime | None:
    """An ISO date or date-time; a date means midnight UTC at its start."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _fail(option, f"{value!r} is not an ISO date (YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@recommend_app.command("train")
def train_command(
    until: str | None = typer.Option(
        None, "--until", help="Learn only from events before this date (YYYY-MM-DD)."
    ),
    factors: int = typer.Option(4, help="ALS latent factors."),
    iterations: int = typer.Option(15, help="ALS iterations."),
    half_life_days: float = typer.Option(14.0, help="Trending: half-life of an interaction."),
    threads: int = typer.Option(1, help="ALS threads (0: all cores)."),
) -> None:
    """Fit every recommender on the events and store the model for `cxm serve`."""
    from cxm.recommend.model import TrainParams
    from cxm.recommend.service import RecommendError, train_and_save
    from cxm.store import open_database

    cut = _date("--until", until)
    params = TrainParams(
        factors=factors, iterations=iterations, half_life_days=half_life_days, threads=threads
    )
    try:
        params.check()
    except ValueError as error:
        name, _, reason = str(error).partition(": ")
        raise _fail(f"--{name.replace('_', '-')}", reason) from None
    database = open_database(get_settings().database_url)
    try:
        summary = train_and_save(database, cut, params)
    except RecommendError as error:
        raise _fail(error.field, error.reason, 1) from None
    finally:
        database.close()
    console.print(
        f"model {summary.version}: {summary.interactions:,} interactions, "
        f"{summary.people:,} people, {summary.items:,} items"
        + (f", until {cut:%Y-%m-%d}" if cut else "")
        + f", trained in {summary.seconds:.1f}s"
    )


@recommend_app.command("export")
def export_command(
    kind: str = typer.Option(..., "--kind", help="personalised, related, trending or combined."),
    k: int = typer.Option(10, "--k", help="Items per profile (1-100)."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """Write profile_id,rank,item_id (+ item_name, served, identifiers) for every profile."""
    from cxm.auth.audit import OK, record_audit
    from cxm.recommend.export import export_recommendations
    from cxm.recommend.service import RecommendError
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        summary = export_recommendations(database, kind, k, out)
        record_audit(
            database,
            actor=f"cli:{getpass.getuser()}",
            via="cli",
            action="recommend.export",
            resource="cxm recommend export",
            subject=None,
            outcome=OK,
        )
    except RecommendError as error:
        field = {"kind": "--kind", "k": "--k", "out": "--out"}.get(error.field, error.field)
        raise _fail(field, error.reason, 1 if error.field == "model" else 2) from None
    finally:
        database.close()
    console.print(
        f"wrote {summary.rows:,} rows for {summary.profiles:,} profiles to {out} "
        f"({summary.personalised:,} with personalisation consent; model {summary.model_version})"
    )


@recommend_app.command("evaluate")
def evaluate_command(
    split_date: str = typer.Option(
        ..., "--split-date", help="Train before this date, test on and after it (YYYY-MM-DD)."
    ),
    k: int = typer.Option(10, "--k", help="List length (1-100)."),
    relevant: str = typer.Option(
        "any", "--relevant", help="What counts as a hit after the split: any or purchase."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Precision@k, recall@k and NDCG@k of every kind against the popularity baseline."""
    from cxm.recommend.evaluate import evaluate
    from cxm.recommend.service import RecommendError
    from cxm.store import open_database

    split = _date("--split-date", split_date)
    assert split is not None
    database = open_database(get_settings().database_url)
    try:
        result = evaluate(database, split, k, relevant=relevant)
    except RecommendError as error:
        field = {"split_date": "--split-date", "k": "--k", "relevant": "--relevant"}
        raise _fail(field.get(error.field, error.field), error.reason) from None
    finally:
        database.close()
    if as_json:
        typer.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("kind", f"P@{k}", f"R@{k}", f"NDCG@{k}")
    for name, scores in result.kinds.items():
        table.add_row(name, f"{scores.precision:.4f}", f"{scores.recall:.4f}", f"{scores.ndcg:.4f}")
    console.print(table)
    console.print(
        f"{result.persons:,} persons evaluated; {result.train_interactions:,} interactions "
        f"before {split:%Y-%m-%d}, {result.test_interactions:,} after"
    )
