"""Topic counts and trends, and verbatim search, over analysed reviews and survey answers.

Topics are stored as a JSON list per row; counting is done in Python after one scan
(the JSON functions differ between DuckDB and PostgreSQL, and review volumes are
small next to events). Survey answers (voc's ``survey_answers``, when that table
exists) join in as source ``survey``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from cxm.store import Database
from cxm.voc.text.listening import LABELS, _range, period_sql


def _has_survey_answers(database: Database) -> bool:
    return "survey_answers" in database.table_names()


def _topics(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return []
    return [str(v) for v in parsed] if isinstance(parsed, list) else []


def _rows(
    database: Database, period: str, start: date | None, end: date | None
) -> list[tuple[Any, ...]]:
    params: list[Any] = []
    where = _range(start, end, params, "r.posted_at")
    rows = database.query(
        f"SELECT {period_sql(period)}, a.label, CAST(a.topics AS TEXT) FROM review_analyses a "
        "JOIN reviews r ON r.source = a.source AND r.review_id = a.review_id "
        f"WHERE 1 = 1{where}",
        params,
    )
    if _has_survey_answers(database):
        survey_params: list[Any] = []
        survey_where = _range(start, end, survey_params, "r.answered_at")
        rows += database.query(
            f"SELECT {period_sql(period, 'r.answered_at')}, r.sentiment_label, "
            "CAST(r.topics AS TEXT) FROM survey_answers r WHERE r.question_type = 'text' "
            f"AND r.sentiment_label IS NOT NULL AND r.answered_at IS NOT NULL{survey_where}",
            survey_params,
        )
    return rows


def topic_counts(
    database: Database, *, start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    """Per topic: mentions, split by sentiment, and the negative share; most mentioned first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for _period, label, topics in _rows(database, "day", start, end):
        for topic in _topics(topics):
            counts[topic][str(label)] += 1
    result: list[dict[str, Any]] = []
    for topic, by_label in counts.items():
        total = sum(by_label.values())
        result.append(
            {
                "topic": topic,
                "n": total,
                **{label: by_label.get(label, 0) for label in LABELS},
                "negative_share": round(by_label.get("negative", 0) / total, 4),
            }
        )
    result.sort(key=lambda row: (-int(row["n"]), str(row["topic"])))
    return result


def topic_trend(
    database: Database,
    *,
    period: str = "week",
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """Mentions per period and topic (and how many of them negative)."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for bucket, label, topics in _rows(database, period, start, end):
        for topic in _topics(topics):
            counts[(str(bucket), topic)][str(label)] += 1
    return [
        {"period": p, "topic": t, "n": sum(c.values()), "negative": c.get("negative", 0)}
        for (p, t), c in sorted(counts.items())
    ]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


KINDS = ("all", "reviews", "surveys")


@dataclass(frozen=True)
class _Filter:
    q: str
    topic: str | None
    label: str | None
    lang: str | None
    start: date | None
    end: date | None


def _filters(columns: dict[str, str], f: _Filter) -> tuple[str, list[Any]]:
    """SQL conditions (and their parameters) for ``f`` on a table's ``columns``."""
    q, topic, label, lang = f.q, f.topic, f.label, f.lang
    params: list[Any] = []
    where = _range(f.start, f.end, params, columns["at"])
    if q:
        where += f" AND lower({columns['text']}) LIKE ? ESCAPE '\\'"
        params.append(_like(q.lower()))
    if topic:
        where += f" AND CAST({columns['topics']} AS TEXT) LIKE ? ESCAPE '\\'"
        params.append(_like(json.dumps(topic)))
    if label:
        where += f" AND {columns['label']} = ?"
        params.append(label)
    if lang:
        where += f" AND {columns['lang']} = ?"
        params.append(lang)
    return where, params


def search(
    database: Database,
    *,
    q: str = "",
    topic: str | None = None,
    label: str | None = None,
    lang: str | None = None,
    source: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 50,
    offset: int = 0,
    kind: str = "all",
) -> list[dict[str, Any]]:
    """Analysed verbatims matching all given filters, newest first.

    ``kind``: ``reviews`` (reviews and mentions), ``surveys`` (open-text survey
    answers, source ``survey:<survey_id>``, id = response id) or ``all``.
    """
    if label is not None and label not in LABELS:
        raise ValueError(f"label must be one of {', '.join(LABELS)}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    wanted = limit + offset
    filters = _Filter(q, topic, label, lang, start, end)
    rows: list[dict[str, Any]] = []
    if kind in ("all", "reviews") and not (source or "").startswith("survey"):
        where, params = _filters(
            {
                "at": "r.posted_at",
                "text": "r.text",
                "topics": "a.topics",
                "label": "a.label",
                "lang": "a.lang",
            },
            filters,
        )
        if source:
            where += " AND r.source = ?"
            params.append(source)
        rows += database.query_dicts(
            "SELECT r.source, r.review_id, r.posted_at, r.rating, r.text, r.url, r.profile_id, "
            "a.lang, a.label, a.score, CAST(a.topics AS TEXT) AS topics "
            "FROM review_analyses a JOIN reviews r "
            "ON r.source = a.source AND r.review_id = a.review_id "
            f"WHERE 1 = 1{where} ORDER BY r.posted_at DESC, r.review_id LIMIT ?",
            [*params, wanted],
        )
    surveys_wanted = kind in ("all", "surveys") and (not source or source.startswith("survey"))
    if surveys_wanted and _has_survey_answers(database):
        where, params = _filters(
            {
                "at": "s.answered_at",
                "text": "s.text",
                "topics": "s.topics",
                "label": "s.sentiment_label",
                "lang": "s.language",
            },
            filters,
        )
        if source and source.startswith("survey:"):
            where += " AND s.survey_id = ?"
            params.append(source.removeprefix("survey:"))
        rows += database.query_dicts(
            "SELECT 'survey:' || s.survey_id AS source, s.response_id AS review_id, "
            "s.answered_at AS posted_at, NULL AS rating, s.text, NULL AS url, s.profile_id, "
            "s.language AS lang, s.sentiment_label AS label, s.sentiment_score AS score, "
            "CAST(s.topics AS TEXT) AS topics FROM survey_answers s "
            "WHERE s.question_type = 'text' AND s.sentiment_label IS NOT NULL"
            f"{where} ORDER BY s.answered_at DESC, s.response_id LIMIT ?",
            [*params, wanted],
        )
    rows.sort(key=lambda row: (row["posted_at"], row["review_id"]), reverse=True)
    rows = rows[offset:wanted]
    for row in rows:
        row["posted_at"] = row["posted_at"].isoformat() if row["posted_at"] else None
        row["topics"] = _topics(row["topics"])
        row["rating"] = None if row["rating"] is None else float(row["rating"])
        row["score"] = None if row["score"] is None else float(row["score"])
    return rows
