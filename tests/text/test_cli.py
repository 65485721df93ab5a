"""``cxm text sentiment|analyse-reviews|topics|alerts``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cxm.cli.main import app
from cxm.store import open_database
from tests.support.cli import cxm
from tests.text.helpers import add_review


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_sentiment_one_json_line_per_input_line_from_stdin() -> None:
    text = "Terrible support, nobody answered.\n\n物流很快，非常满意！\nSehr gut verpackt, danke.\n"
    code, out, _ = _run("text", "sentiment", stdin=text.encode())
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(r["lang"], r["label"]) for r in lines] == [
        ("en", "negative"),
        ("und", "neutral"),
        ("zh", "positive"),
        ("de", "positive"),
    ]
    assert all(-1 <= r["score"] <= 1 for r in lines)


def test_sentiment_from_file_with_fixed_language_and_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "texts.txt"
    path.write_bytes(b"gut\n\xff\xfe\nschlecht\n")
    code, out, err = _run("text", "sentiment", "--lang", "de", str(path))
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0] == {"label": "positive", "score": lines[0]["score"], "lang": "de", "topics": []}
    assert lines[1]["line"] == 2 and "UTF-8" in lines[1]["error"]
    assert lines[2]["label"] == "negative"
    assert "not UTF-8" in err


def test_sentiment_bad_options_name_the_option(tmp_path: Path) -> None:
    code, _, err = _run("text", "sentiment", "--lang", "fr")
    assert code == 2 and "--lang" in err
    code, _, err = _run("text", "sentiment", str(tmp_path / "missing.txt"))
    assert code == 2 and "FILE" in err


def test_analyse_reviews_topics_and_alerts(database_file: Path) -> None:
    database = open_database(f"duckdb:///{database_file}")
    add_review(database, "r1", "The courier was rude and the parcel was damaged.", rating=1)
    add_review(database, "r2", "Great price and lovely quality.", rating=5)
    database.close()
    code, output = cxm("text", "analyse-reviews")
    assert code == 0 and "analysed 2 reviews" in output
    code, output = cxm("text", "analyse-reviews")
    assert "analysed 0 reviews" in output
    code, out, _ = _run("text", "topics", "--json")
    topics = {row["topic"]: row for row in json.loads(out)["topics"]}
    assert topics["delivery"]["negative"] == 1 and topics["price"]["positive"] == 1
    code, out, _ = _run("text", "topics", "--from", "2026-04-01", "--json")
    assert json.loads(out)["topics"] == []
    code, _, err = _run("text", "topics", "--from", "yesterday")
    assert code == 2 and "--from" in err
    code, out, _ = _run("text", "alerts", "--json")
    assert code == 0 and json.loads(out) == []
