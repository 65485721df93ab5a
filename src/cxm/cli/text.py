"""``cxm text …``: sentiment of lines of text, review analysis, topics and alerts."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import IO, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from cxm.settings import get_settings

text_app = typer.Typer(help="Text analytics: sentiment, topics, reviews.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
LANGS = ("auto", "zh", "de", "en")
CHUNK = 2_000


def register(app: typer.Typer) -> None:
    """Add this stage's command groups to the ``cxm`` app."""
    app.add_typer(text_app, name="text")


def _fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _flush(lines: list[str], lang: str, out: IO[bytes]) -> None:
    from cxm.voc.text import analyse

    for result in analyse(lines, lang=lang):
        out.write(
            orjson.dumps(
                {
                    "label": result.label,
                    "score": result.score,
                    "lang": result.lang,
                    "topics": list(result.topics),
                }
            )
            + b"\n"
        )


@text_app.command("sentiment")
def sentiment(
    file: Annotated[
        str, typer.Argument(help="Text file, one text per line; '-' or nothing = stdin.")
    ] = "-",
    lang: Annotated[str, typer.Option("--lang", help="auto | zh | de | en")] = "auto",
) -> None:
    """One JSON line per input line: label (negative/neutral/positive), score (-1…1), lang.

    Empty lines get a result too (lang 'und', neutral), so output line N answers input
    line N. A line that is not valid UTF-8 gets {"line": N, "error": ...}; the others
    are still analysed and the exit code is 1.
    """
    lang = lang.strip().lower()
    if lang not in LANGS:
        raise _fail(f"--lang: must be one of {', '.join(LANGS)}, got {lang!r}")
    if file == "-":
        source: IO[bytes] = sys.stdin.buffer
    else:
        path = Path(file)
        if not path.is_file():
            raise _fail(f"FILE: {file} does not exist or is not a file")
        source = path.open("rb")
    out = sys.stdout.buffer
    bad = 0
    pending: list[str] = []
    try:
        for number, raw in enumerate(source, start=1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                _flush(pending, lang, out)
                pending = []
                out.write(orjson.dumps({"line": number, "error": f"not UTF-8: {error}"}) + b"\n")
                bad += 1
                continue
            pending.append(line)
            if len(pending) >= CHUNK:
                _flush(pending, lang, out)
                pending = []
        _flush(pending, lang, out)
    finally:
        out.flush()
        if source is not sys.stdin.buffer:
            source.close()
    if bad:
        errors.print(f"{bad} line(s) could not be read (not UTF-8); see the error lines")
        raise typer.Exit(1)


@text_app.command("analyse-reviews")
def analyse_reviews_command(
    everything: Annotated[
        bool, typer.Option("--all", help="Re-analyse every review, not only new/changed.")
    ] = False,
    alerts: Annotated[
        bool, typer.Option("--alerts/--no-alerts", help="Look for negative spikes afterwards.")
    ] = True,
) -> None:
    """Fill review_analyses for new or changed reviews (and open-text survey answers)."""
    from cxm.store import open_database
    from cxm.voc.text.listening import detect_spikes
    from cxm.voc.text.reviews import analyse_reviews

    database = open_database(get_settings().database_url)
    try:
        run = analyse_reviews(database, everything=everything)
        console.print(
            f"analysed {run.reviews:,} reviews and {run.survey_answers:,} survey answers "
            f"in {run.seconds:.1f}s"
        )
        if alerts:
            spikes = detect_spikes(database)
            console.print(f"{len(spikes)} new negative-volume alert(s)")
            for spike in spikes:
                console.print(
                    f"  {spike.day} {spike.scope}: {spike.observed} negative "
                    f"(normal ≤ {spike.threshold:.1f}, median {spike.baseline:g})"
                )
    finally:
        database.close()


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option}: expected a date YYYY-MM-DD, got {value!r}") from None


@text_app.command("topics")
def topics_command(
    start: Annotated[str | None, typer.Option("--from", help="First day YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Topic counts (with sentiment split) over analysed reviews and survey answers."""
    from cxm.store import open_database
    from cxm.voc.text.topic_stats import topic_counts

    first, last = _day(start, "--from"), _day(end, "--to")
    if first and last and first > last:
        raise _fail("--from: must not be after --to")
    database = open_database(get_settings().database_url)
    try:
        counts = topic_counts(database, start=first, end=last)
    finally:
        database.close()
    if as_json:
        sys.stdout.write(orjson.dumps({"from": start, "to": end, "topics": counts}).decode() + "\n")
        return
    table = Table("topic", "mentions", "negative", "neutral", "positive", "negative share")
    for row in counts:
        table.add_row(
            row["topic"],
            f"{row['n']:,}",
            f"{row['negative']:,}",
            f"{row['neutral']:,}",
            f"{row['positive']:,}",
            f"{row['negative_share']:.0%}",
        )
    console.print(table)


@text_app.command("alerts")
def alerts_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
) -> None:
    """Negative-volume spike alerts, newest first."""
    from cxm.store import open_database
    from cxm.voc.text.listening import list_alerts

    database = open_database(get_settings().database_url)
    try:
        alerts = list_alerts(database, limit=limit)
    finally:
        database.close()
    if as_json:
        sys.stdout.write(orjson.dumps(alerts).decode() + "\n")
        return
    table = Table("day", "scope", "negative", "median", "threshold")
    for alert in alerts:
        table.add_row(
            alert["day"],
            alert["scope"],
            str(alert["observed"]),
            f"{alert['baseline']:g}",
            f"{alert['threshold']:.1f}",
        )
    console.print(table)
