"""Survey results: NPS, CSAT, CES (by touchpoint, channel, language, period), Kano,
distributions, trends, verbatims and topics — counted in SQL, scored by
``cxm.metrics.formulas`` (the one place the formulas live)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cxm.errors import FieldError
from cxm.metrics.formulas import (
    KANO_NAMES,
    CesResult,
    Comparison,
    NpsResult,
    Rate,
    ces,
    compare_nps,
    csat,
    kano_category,
    kano_from_counts,
    nps_from_counts,
)
from cxm.store import Database

GROUPINGS = {
    "touchpoint": "touchpoint",
    "channel": "channel",
    "language": "language",
    "survey": "survey_id",
    "month": "substr(CAST(answered_at AS TEXT), 1, 7)",
}


class ReportError(FieldError):
    pass


def _where(
    survey_id: str | None, kind: str, since: datetime | None, until: datetime | None
) -> tuple[str, list[Any]]:
    conditions: list[str] = ["question_type = ?", "score IS NOT NULL"]
    params: list[Any] = [kind]
    if survey_id:
        conditions.append("survey_id = ?")
        params.append(survey_id)
    if since:
        conditions.append("answered_at >= ?")
        params.append(since)
    if until:
        conditions.append("answered_at < ?")
        params.append(until)
    return " AND ".join(conditions), params


def _group_expression(by: str | None) -> str:
    if by is None:
        return "'all'"
    if by not in GROUPINGS:
        raise ReportError("by", f"one of {', '.join(GROUPINGS)}")
    return f"coalesce(CAST({GROUPINGS[by]} AS TEXT), '(none)')"


def nps_by(
    database: Database,
    survey_id: str | None = None,
    by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, NpsResult]:
    where, params = _where(survey_id, "nps", since, until)
    rows = database.query(
        f"SELECT {_group_expression(by)} AS g, "
        "sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN score >= 7 AND score < 9 THEN 1 ELSE 0 END), "
        "sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END) "
        f"FROM survey_answers WHERE {where} GROUP BY g ORDER BY g",
        params,
    )
    return {str(g): nps_from_counts(int(p or 0), int(n or 0), int(d or 0)) for g, p, n, d in rows}


def nps_json(result: NpsResult) -> dict[str, Any]:
    return {
        "score": round(result.score, 2),
        "n": result.n,
        "promoters": result.promoters,
        "passives": result.passives,
        "detractors": result.detractors,
        "margin_of_error": round(result.margin_of_error, 2),
        "low": round(result.low, 2),
        "high": round(result.high, 2),
    }


def _scores_by(
    database: Database,
    survey_id: str | None,
    kind: str,
    by: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, list[float]]:
    where, params = _where(survey_id, kind, since, until)
    rows = database.query(
        f"SELECT {_group_expression(by)} AS g, score, count(*) FROM survey_answers "
        f"WHERE {where} GROUP BY g, score ORDER BY g, score",
        params,
    )
    groups: dict[str, list[float]] = {}
    for group, score, count in rows:
        groups.setdefault(str(group), []).extend([float(score)] * int(count))
    return groups


def csat_by(
    database: Database, survey_id: str | None = None, by: str | None = None
) -> dict[str, Rate]:
    return {g: csat(v) for g, v in _scores_by(database, survey_id, "csat", by).items()}


def ces_by(
    database: Database, survey_id: str | None = None, by: str | None = None
) -> dict[str, CesResult]:
    return {g: ces(v) for g, v in _scores_by(database, survey_id, "ces", by).items()}


def rate_json(result: Rate) -> dict[str, Any]:
    return {
        "percent": round(result.percent, 2),
        "n": result.n,
        "successes": result.successes,
        "low": round(result.low, 2),
        "high": round(result.high, 2),
    }


def ces_json(result: CesResult) -> dict[str, Any]:
    return {"mean": round(result.mean, 3), "n": result.n, "agree": rate_json(result.agree)}


def compare_periods(
    database: Database, survey_id: str | None, split: datetime
) -> tuple[NpsResult, NpsResult, Comparison] | None:
    """NPS before vs from ``split`` with the two-sample test (None if a side is empty)."""
    before = nps_by(database, survey_id, until=split).get("all")
    after = nps_by(database, survey_id, since=split).get("all")
    if not before or not after or not before.n or not after.n:
        return None
    return before, after, compare_nps(after, before)


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "difference": round(comparison.difference, 2),
        "low": round(comparison.low, 2),
        "high": round(comparison.high, 2),
        "z": round(comparison.z, 3),
        "p_value": round(comparison.p_value, 4),
        "significant": comparison.significant(),
    }


def versus_rest(groups: dict[str, NpsResult]) -> dict[str, Comparison]:
    """Each segment's NPS against all other answers together (two-sample test), so a
    touchpoint that differs from the rest beyond chance stands out."""
    compared: dict[str, Comparison] = {}
    for name, result in groups.items():
        others = [r for g, r in groups.items() if g != name]
        rest = nps_from_counts(
            sum(r.promoters for r in others),
            sum(r.passives for r in others),
            sum(r.detractors for r in others),
        )
        if result.n and rest.n:
            compared[name] = compare_nps(result, rest)
    return compared


@dataclass(frozen=True)
class KanoFeature:
    question_id: str
    feature: str
    label: str
    category: str | None
    category_name: str | None
    better: float
    worse: float
    n: int
    counts: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "feature": self.feature,
            "label": self.label,
            "category": self.category,
            "category_name": self.category_name,
            "better": round(self.better, 4),
            "worse": round(self.worse, 4),
            "n": self.n,
            "counts": self.counts,
        }


def kano_report(database: Database, survey_id: str) -> list[KanoFeature]:
    from cxm.voc.surveys import get_survey

    survey = get_survey(database, survey_id)
    labels: dict[tuple[str, str], str] = {}
    if survey is not None:
        for question in survey.definition.questions:
            for option in question.options:
                labels[(question.id, option.id)] = survey.definition.text(
                    option.text, survey.definition.default_language
                )
    rows = database.query(
        "SELECT question_id, item, kano_functional, kano_dysfunctional, count(*) "
        "FROM survey_answers WHERE survey_id = ? AND question_type = 'kano' "
        "AND kano_functional IS NOT NULL GROUP BY question_id, item, kano_functional, "
        "kano_dysfunctional",
        [survey_id],
    )
    counts: dict[tuple[str, str], Counter[Any]] = {}
    for question_id, item, functional, dysfunctional, count in rows:
        category = kano_category(functional, dysfunctional)
        counts.setdefault((question_id, item), Counter())[category] += int(count)
    features = []
    for (question_id, item), counter in sorted(counts.items()):
        result = kano_from_counts(dict(counter))
        features.append(
            KanoFeature(
                question_id,
                item,
                labels.get((question_id, item), item),
                result.category,
                KANO_NAMES[result.category] if result.category else None,
                result.better,
                result.worse,
                result.n,
                {k: int(v) for k, v in result.counts.items()},
            )
        )
    return features


def distribution(database: Database, survey_id: str, kind: str) -> list[tuple[int, int]]:
    rows = database.query(
        "SELECT score, count(*) FROM survey_answers WHERE survey_id = ? AND question_type = ? "
        "AND score IS NOT NULL GROUP BY score ORDER BY score",
        [survey_id, kind],
    )
    return [(int(s), int(c)) for s, c in rows]


def question_kinds(database: Database, survey_id: str) -> list[str]:
    rows = database.query(
        "SELECT DISTINCT question_type FROM survey_answers WHERE survey_id = ?", [survey_id]
    )
    order = ("nps", "csat", "ces")
    return [k for k in order if k in {r[0] for r in rows}]


@dataclass(frozen=True)
class Verbatim:
    response_id: str
    text: str
    language: str | None
    sentiment: str | None
    sentiment_score: float | None
    topics: tuple[str, ...]
    answered_at: datetime
    profile_id: str | None


def verbatims(
    database: Database,
    survey_id: str,
    *,
    search: str | None = None,
    sentiment: str | None = None,
    limit: int = 50,
) -> list[Verbatim]:
    conditions, params = (
        ["survey_id = ?", "question_type = 'text'", "text IS NOT NULL"],
        [survey_id],
    )
    if search:
        conditions.append("lower(text) LIKE ?")
        params.append(f"%{search.lower()}%")
    if sentiment:
        conditions.append("sentiment_label = ?")
        params.append(sentiment)
    rows = database.query(
        "SELECT response_id, text, language, sentiment_label, sentiment_score, "
        "CAST(topics AS TEXT), answered_at, profile_id FROM survey_answers "
        f"WHERE {' AND '.join(conditions)} ORDER BY answered_at DESC LIMIT ?",
        [*params, limit],
    )
    return [
        Verbatim(
            r[0], r[1], r[2], r[3], r[4], tuple(orjson.loads(r[5]) if r[5] else ()), r[6], r[7]
        )
        for r in rows
    ]


def topic_counts(database: Database, survey_id: str) -> list[tuple[str, int, int]]:
    """(topic, mentions, negative mentions) over the survey's open answers."""
    rows = database.query(
        "SELECT CAST(topics AS TEXT), sentiment_label FROM survey_answers "
        "WHERE survey_id = ? AND question_type = 'text' AND topics IS NOT NULL",
        [survey_id],
    )
    mentions: Counter[str] = Counter()
    negative: Counter[str] = Counter()
    for topics, label in rows:
        for topic in orjson.loads(topics) or []:
            mentions[topic] += 1
            if label == "negative":
                negative[topic] += 1
    return [(t, c, negative[t]) for t, c in mentions.most_common()]


def response_counts(database: Database, survey_id: str) -> dict[str, int]:
    rows = database.query(
        "SELECT status, count(*) FROM survey_responses WHERE survey_id = ? GROUP BY status",
        [survey_id],
    )
    counts = {str(s): int(c) for s, c in rows}
    invited = database.query(
        "SELECT status, count(*) FROM survey_invitations WHERE survey_id = ? GROUP BY status",
        [survey_id],
    )
    for status, count in invited:
        counts[f"invitations_{status}"] = int(count)
    return counts


def latest_scores(database: Database, profile_id: str) -> list[dict[str, Any]]:
    """A person's latest NPS/CSAT/CES answers (profile panel)."""
    rows = database.query(
        "SELECT a.survey_id, s.name, a.question_type, a.score, a.answered_at FROM survey_answers a "
        "LEFT JOIN surveys s ON s.survey_id = a.survey_id WHERE a.profile_id = ? "
        "AND a.question_type IN ('nps', 'csat', 'ces') AND a.score IS NOT NULL "
        "ORDER BY a.answered_at DESC LIMIT 10",
        [profile_id],
    )
    return [
        {
            "survey_id": r[0],
            "survey": r[1] or r[0],
            "type": r[2],
            "score": r[3],
            "answered_at": r[4],
        }
        for r in rows
    ]
