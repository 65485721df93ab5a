"""Analyse reviews and mentions into ``review_analyses`` (new or changed texts only).

A review is (re)analysed when it has no row yet or its text's md5 differs from the
one analysed (``text_md5``), or for all reviews with ``everything=True`` (e.g. after
the analyser or the topic rules changed). The importer's ``language`` is trusted
when it names a language with a sentiment lexicon; otherwise the language is
detected. Open-text survey answers (voc's ``survey_answers``, when that table
exists) without a sentiment get theirs in the same pass.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from cxm.store import Database
from cxm.voc.text import SUPPORTED_LANGUAGES, TextAnalysis, analyse

TIMESTAMP = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("review_id", pa.string()),
        ("lang", pa.string()),
        ("label", pa.string()),
        ("score", pa.float64()),
        ("topics", pa.string()),
        ("analysed_at", TIMESTAMP),
        ("profile_id", pa.string()),
        ("text_md5", pa.string()),
        ("analyser", pa.string()),
    ]
)
BATCH = 5_000


@dataclass
class AnalyseRun:
    """What one pass did."""

    reviews: int = 0
    survey_answers: int = 0
    seconds: float = 0.0


def md5(text: str) -> str:
    """Same digest as SQL ``md5(text)`` in DuckDB and PostgreSQL (hex of UTF-8)."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def analyser_name() -> str:
    return os.environ.get("CXM_TEXT_ANALYSER") or "lexicon"


def _pending_sql(everything: bool) -> str:
    where = (
        ""
        if everything
        else "WHERE a.review_id IS NULL OR a.text_md5 IS DISTINCT FROM md5(coalesce(r.text, ''))"
    )
    return (
        "SELECT r.source, r.review_id, coalesce(r.text, ''), r.language, r.profile_id "
        "FROM reviews r LEFT JOIN review_analyses a "
        f"ON a.source = r.source AND a.review_id = r.review_id {where} "
        "ORDER BY r.source, r.review_id"
    )


def _analyse_rows(rows: list[tuple[str, str, str, str | None, str | None]]) -> pa.Table:
    """review_analyses rows for (source, review_id, text, language, profile_id) rows."""
    by_lang: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        given = (row[3] or "").strip().lower()
        by_lang.setdefault(given if given in SUPPORTED_LANGUAGES else "auto", []).append(index)
    results: list[TextAnalysis | None] = [None] * len(rows)
    for lang, indexes in by_lang.items():
        for index, result in zip(
            indexes, analyse([rows[i][2] for i in indexes], lang), strict=True
        ):
            results[index] = result
    now = datetime.now(UTC)
    name = analyser_name()
    columns: dict[str, list[object]] = {field.name: [] for field in SCHEMA}
    for row, maybe in zip(rows, results, strict=True):
        result = maybe if maybe is not None else TextAnalysis("und", "neutral", 0.0, ())
        columns["source"].append(row[0])
        columns["review_id"].append(row[1])
        columns["lang"].append(result.lang)
        columns["label"].append(result.label)
        columns["score"].append(result.score)
        columns["topics"].append(json.dumps(list(result.topics)))
        columns["analysed_at"].append(now)
        columns["profile_id"].append(row[4])
        columns["text_md5"].append(md5(row[2]))
        columns["analyser"].append(name)
    return pa.table(columns, schema=SCHEMA)


def analyse_reviews(
    database: Database,
    *,
    everything: bool = False,
    progress: Callable[[int], None] | None = None,
) -> AnalyseRun:
    """Fill ``review_analyses`` for new/changed reviews; then open-text survey answers."""
    started = datetime.now(UTC)
    run = AnalyseRun()
    pending = database.query(_pending_sql(everything))
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        table = _analyse_rows([tuple(row) for row in batch])  # type: ignore[misc]
        with database.transaction() as tx:
            tx.execute(
                "CREATE TEMP TABLE IF NOT EXISTS text_review_keys (source TEXT, review_id TEXT)"
            )
            tx.execute("DELETE FROM text_review_keys")
            tx.append("text_review_keys", table.select(["source", "review_id"]))
            tx.execute(
                "DELETE FROM review_analyses WHERE EXISTS (SELECT 1 FROM text_review_keys k "
                "WHERE k.source = review_analyses.source "
                "AND k.review_id = review_analyses.review_id)"
            )
            tx.append("review_analyses", table)
            tx.execute("DROP TABLE text_review_keys")
        run.reviews += len(batch)
        if progress is not None:
            progress(run.reviews)
    sync_profiles(database)
    run.survey_answers = analyse_survey_answers(database)
    run.seconds = (datetime.now(UTC) - started).total_seconds()
    return run


def sync_profiles(database: Database) -> None:
    """Copy ``reviews.profile_id`` to analyses whose review was linked to a person later.

    Reviews are often imported (and analysed) before identity resolution links them;
    without this the analysis row would keep no profile_id, and erase, which finds
    rows by profile_id, would leave it behind.
    """
    database.execute(
        "UPDATE review_analyses SET profile_id = r.profile_id FROM reviews r "
        "WHERE r.source = review_analyses.source AND r.review_id = review_analyses.review_id "
        "AND r.profile_id IS DISTINCT FROM review_analyses.profile_id"
    )


def analyse_survey_answers(database: Database) -> int:
    """Sentiment and topics for open-text survey answers that have none (0 if no table).

    The answer's own ``language`` is used when it has a lexicon, else it is detected.
    Results go through a staged table and one ``UPDATE … FROM`` (a per-row UPDATE
    would scan the un-indexed DuckDB table once per answer).
    """
    if "survey_answers" not in database.table_names():
        return 0
    rows = database.query(
        "SELECT response_id, question_id, item, text, language FROM survey_answers "
        "WHERE question_type = 'text' AND sentiment_label IS NULL "
        "AND text IS NOT NULL AND text <> ''"
    )
    if not rows:
        return 0
    by_lang: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        given = str(row[4] or "").strip().lower()
        by_lang.setdefault(given if given in SUPPORTED_LANGUAGES else "auto", []).append(index)
    results: dict[int, TextAnalysis] = {}
    for lang, indexes in by_lang.items():
        analysed = analyse([str(rows[i][3]) for i in indexes], lang)
        results.update(zip(indexes, analysed, strict=True))
    stage = pa.table(
        {
            "response_id": [str(r[0]) for r in rows],
            "question_id": [str(r[1]) for r in rows],
            "item": [str(r[2] or "") for r in rows],
            "label": [results[i].label for i in range(len(rows))],
            "score": [results[i].score for i in range(len(rows))],
            "topics": [json.dumps(list(results[i].topics)) for i in range(len(rows))],
        }
    )
    json_type = "JSONB" if database.dialect == "postgresql" else "JSON"
    with database.transaction() as tx:
        tx.execute(
            "CREATE TEMP TABLE IF NOT EXISTS text_answer_stage (response_id TEXT, "
            "question_id TEXT, item TEXT, label TEXT, score DOUBLE PRECISION, topics TEXT)"
        )
        tx.execute("DELETE FROM text_answer_stage")
        tx.append("text_answer_stage", stage)
        tx.execute(
            "UPDATE survey_answers SET sentiment_label = s.label, sentiment_score = s.score, "
            f"topics = CAST(s.topics AS {json_type}) FROM text_answer_stage s "
            "WHERE survey_answers.response_id = s.response_id "
            "AND survey_answers.question_id = s.question_id AND survey_answers.item = s.item "
            "AND survey_answers.question_type = 'text'"
        )
        tx.execute("DROP TABLE text_answer_stage")
    return len(rows)
