"""The journey map (emotional journey): lifecycle stages × touchpoints.

Each cell is what happened at one touchpoint (the event ``channel``: web, app, store,
email, messaging, contact centre…) while persons were in one lifecycle stage — the
stage the person had reached **at the time** (from ``lifecycle_stages``' per-stage
times; activity before a person's first stage counts as awareness):

- **volume**: events and distinct persons;
- **satisfaction**: CSAT from ``survey_answers`` (share of 4–5 answers) and NPS from
  promoter/passive/detractor counts, both through ``cxm.metrics.formulas``; a cell no
  survey rated falls back to ticket CSAT (``tickets.csat``, 1–5, same top-2 rule);
- **sentiment**: mean sentiment score (−1…1) of text answers (``survey_answers``)
  and analysed reviews (``review_analyses``) when present;
- **pain points**: per stage, the commonest topics of negative texts (survey answers,
  reviews) and of tickets (contact reasons).

Stages come from ``refresh_stages``; until it has run the map is empty.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from cxm.journeys.read_model import CHANNEL_DAYS, TABLE, ensure_fresh, person_hash
from cxm.journeys.stages import STAGES
from cxm.metrics.formulas import nps_from_counts, rate
from cxm.store import Database


@dataclass
class Cell:
    stage: str
    touchpoint: str
    events: int = 0
    persons: int = 0
    satisfied: int = 0  # CSAT top-2 answers
    rated: int = 0  # CSAT answers
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    sentiment_sum: float = 0.0
    sentiment_n: int = 0
    ticket_satisfied: int = 0  # ticket CSAT 4-5, the fallback when no survey rated it
    ticket_rated: int = 0

    @property
    def csat_source(self) -> str | None:
        return "surveys" if self.rated else ("tickets" if self.ticket_rated else None)

    @property
    def csat_n(self) -> int:
        return self.rated or self.ticket_rated

    @property
    def csat(self) -> float | None:
        if self.rated:
            return rate(self.satisfied, self.rated).percent
        if self.ticket_rated:
            return rate(self.ticket_satisfied, self.ticket_rated).percent
        return None

    @property
    def nps(self) -> float | None:
        if not self.promoters + self.passives + self.detractors:
            return None
        return nps_from_counts(self.promoters, self.passives, self.detractors).score

    @property
    def sentiment(self) -> float | None:
        return self.sentiment_sum / self.sentiment_n if self.sentiment_n else None


@dataclass(frozen=True)
class PainPoint:
    stage: str
    topic: str
    mentions: int
    source: str  # 'surveys' | 'reviews' | 'tickets'


@dataclass
class JourneyMap:
    stages: tuple[str, ...]
    touchpoints: tuple[str, ...]
    cells: dict[tuple[str, str], Cell]
    satisfaction_source: str  # 'surveys and tickets' | 'surveys' | 'tickets' | 'none'
    pain_points: dict[str, list[PainPoint]] = field(default_factory=dict)
    staged_profiles: int = 0

    def cell(self, stage: str, touchpoint: str) -> Cell:
        return self.cells.get((stage, touchpoint)) or Cell(stage, touchpoint)

    def stage_totals(self) -> dict[str, Cell]:
        totals: dict[str, Cell] = {}
        for (stage, _), cell in self.cells.items():
            t = totals.setdefault(stage, Cell(stage, "*"))
            t.events += cell.events
            t.persons += cell.persons  # persons may repeat across touchpoints: an upper bound
            t.satisfied += cell.satisfied
            t.rated += cell.rated
            t.ticket_satisfied += cell.ticket_satisfied
            t.ticket_rated += cell.ticket_rated
            t.promoters += cell.promoters
            t.passives += cell.passives
            t.detractors += cell.detractors
            t.sentiment_sum += cell.sentiment_sum
            t.sentiment_n += cell.sentiment_n
        return totals


def stage_at(time_column: str, alias: str = "s") -> str:
    """SQL: the stage a person (``lifecycle_stages`` row ``alias``) was in at a time."""
    whens = " ".join(
        f"WHEN {time_column} >= {alias}.{stage}_at THEN '{stage}'" for stage in reversed(STAGES)
    )
    return f"CASE {whens} ELSE 'awareness' END"


def stage_rank_at(time_column: str, alias: str = "s") -> str:
    """SQL: like ``stage_at`` but the stage's index in ``STAGES`` (0 = awareness)."""
    whens = " ".join(
        f"WHEN {time_column} >= {alias}.{stage}_at THEN {STAGES.index(stage)}"
        for stage in reversed(STAGES)
    )
    return f"CASE {whens} ELSE 0 END"


def _events_by_stage(database: Database) -> list[Any]:
    """(stage rank, channel, events, persons) from the read model.

    A profiled event's person is the hash of its profile id, so the stage rows are
    hashed the same way to join them. Most of a person's channel days
    (``journey_channel_days``: one row per person, UTC day and channel) lie wholly
    inside one stage — the stage at a time only rises with the time, so equal stages
    at the day's first and last event mean every event between is in it — and count
    as a whole (1.6M rows, not 10M); only the days a new stage began (a few hundred
    at 10M events) go back to the day's events. Those days are put in a temporary
    table first: with its real size known the planner probes the events against it
    (as a CTE it was estimated large and the hash table built on the 10M events, 2 s).
    Persons are counted by grouping per person first (cheaper than count(DISTINCT)),
    stages as integers decoded by the caller.
    """
    first, last, each = (
        stage_rank_at("cd.first_ts"),
        stage_rank_at("cd.last_ts"),
        stage_rank_at("e.ts"),
    )
    stages = (
        f"s AS (SELECT {person_hash(database.dialect, 'profile_id')} AS person, "
        "awareness_at, acquisition_at, conversion_at, retention_at, advocacy_at "
        "FROM lifecycle_stages)"
    )
    began = f"journey_map_began_{uuid.uuid4().hex[:12]}"
    with database.transaction() as tx:
        tx.execute(
            f"CREATE TEMPORARY TABLE {began} AS WITH {stages} "
            f"SELECT cd.person, cd.channel, cd.first_ts, cd.last_ts FROM {CHANNEL_DAYS} cd "
            f"JOIN s ON s.person = cd.person WHERE {first} <> {last}"
        )
        try:
            return tx.query(f"""
WITH {stages},
whole AS (
    SELECT {first} AS st, cd.channel, cd.person, cd.events AS n
    FROM {CHANNEL_DAYS} cd JOIN s ON s.person = cd.person WHERE {first} = {last}
),
split AS (
    SELECT {each} AS st, e.channel, e.person, 1 AS n
    FROM {began} cd JOIN {TABLE} e ON e.person = cd.person AND e.channel = cd.channel
         AND e.ts >= cd.first_ts AND e.ts <= cd.last_ts AND e.profiled
    JOIN s ON s.person = cd.person
),
per_person AS (
    SELECT st, channel, person, sum(n) AS n
    FROM (SELECT * FROM whole UNION ALL SELECT * FROM split) x GROUP BY st, channel, person
)
SELECT st, channel, sum(n), count(*) FROM per_person GROUP BY st, channel""")
        finally:
            tx.execute(f"DROP TABLE {began}")


def _cell(cells: dict[tuple[str, str], Cell], stage: str, touchpoint: str | None) -> Cell:
    key = (stage, touchpoint or "other")
    if key not in cells:
        cells[key] = Cell(*key)
    return cells[key]


def _topics_sql(database: Database, column: str) -> str:
    """A set-returning expression over a JSON list of topic strings (per dialect)."""
    if database.dialect == "postgresql":
        return f"jsonb_array_elements_text({column})"
    return f"unnest(CAST(json_extract_string({column}, '$[*]') AS VARCHAR[]))"


def load_journey_map(database: Database, pain_points_per_stage: int = 5) -> JourneyMap:
    tables = set(database.table_names())
    cells: dict[tuple[str, str], Cell] = {}
    ensure_fresh(database)
    for rank, tp, events, persons in _events_by_stage(database):
        c = _cell(cells, STAGES[int(rank)], tp)
        c.events, c.persons = int(events), int(persons)
    source = "none"
    if "survey_answers" in tables and database.scalar("SELECT count(*) FROM survey_answers"):
        source = "surveys"
        # Only CSAT/NPS answers and texts with a sentiment count (the other ~40% of
        # answers, ratings and CES, are dropped before the join); stage as an index.
        answer_stage = stage_rank_at("a.answered_at")
        for rank, tp, sat, rated, pro, pas, det, snt, sn in database.query(
            f"SELECT {answer_stage} AS st, coalesce(a.channel, 'survey') AS tp, "
            "sum(CASE WHEN a.question_type = 'csat' AND a.score >= 4 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN a.question_type = 'csat' AND a.score IS NOT NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN a.question_type = 'nps' AND a.score >= 9 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN a.question_type = 'nps' AND a.score >= 7 AND a.score < 9 "
            "THEN 1 ELSE 0 END), "
            "sum(CASE WHEN a.question_type = 'nps' AND a.score <= 6 THEN 1 ELSE 0 END), "
            "sum(a.sentiment_score), count(a.sentiment_score) "
            "FROM survey_answers a JOIN lifecycle_stages s ON s.profile_id = a.profile_id "
            "WHERE a.question_type IN ('csat', 'nps') OR a.sentiment_score IS NOT NULL "
            "GROUP BY st, tp"
        ):
            c = _cell(cells, STAGES[int(rank)], tp)
            c.satisfied, c.rated = int(sat or 0), int(rated or 0)
            c.promoters, c.passives, c.detractors = int(pro or 0), int(pas or 0), int(det or 0)
            c.sentiment_sum, c.sentiment_n = float(snt or 0), int(sn or 0)
    if "tickets" in tables:
        source = "surveys and tickets" if source == "surveys" else "tickets"
        ticket_stage = stage_at("t.created_at")
        for st, tp, sat, rated in database.query(
            f"SELECT {ticket_stage} AS st, t.channel, "
            "sum(CASE WHEN t.csat >= 4 THEN 1 ELSE 0 END), count(t.csat) "
            "FROM tickets t JOIN lifecycle_stages s ON s.profile_id = t.profile_id "
            "GROUP BY st, t.channel"
        ):
            c = _cell(cells, st, tp)
            c.ticket_satisfied, c.ticket_rated = int(sat or 0), int(rated or 0)
    if "review_analyses" in tables:
        review_stage = stage_at("r.posted_at")
        for st, snt, sn in database.query(
            f"SELECT {review_stage} AS st, sum(a.score), count(a.score) FROM review_analyses a "
            "JOIN reviews r ON r.source = a.source AND r.review_id = a.review_id "
            "JOIN lifecycle_stages s ON s.profile_id = r.profile_id GROUP BY st"
        ):
            c = _cell(cells, st, "review")
            c.sentiment_sum += float(snt or 0)
            c.sentiment_n += int(sn or 0)
    touchpoints = tuple(
        sorted(
            {tp for _, tp in cells},
            key=lambda tp: -sum(c.events for c in cells.values() if c.touchpoint == tp),
        )
    )
    staged = int(database.scalar("SELECT count(*) FROM lifecycle_stages") or 0)
    journey = JourneyMap(STAGES, touchpoints, cells, source, staged_profiles=staged)
    journey.pain_points = _pain_points(database, tables, pain_points_per_stage)
    return journey


def _pain_points(database: Database, tables: set[str], limit: int) -> dict[str, list[PainPoint]]:
    found: list[PainPoint] = []
    queries: list[tuple[str, str]] = []
    if "survey_answers" in tables:
        queries.append(
            (
                "surveys",
                f"SELECT {stage_at('a.answered_at')} AS st, topic, count(*) AS n FROM "
                f"(SELECT a.*, {_topics_sql(database, 'a.topics')} AS topic FROM survey_answers a "
                "WHERE a.sentiment_label = 'negative' AND a.topics IS NOT NULL) a "
                "JOIN lifecycle_stages s ON s.profile_id = a.profile_id GROUP BY st, topic",
            )
        )
    if "review_analyses" in tables:
        queries.append(
            (
                "reviews",
                f"SELECT {stage_at('r.posted_at')} AS st, topic, count(*) AS n FROM "
                f"(SELECT a.source, a.review_id, {_topics_sql(database, 'a.topics')} AS topic "
                "FROM review_analyses a WHERE a.label = 'negative' AND a.topics IS NOT NULL) a "
                "JOIN reviews r ON r.source = a.source AND r.review_id = a.review_id "
                "JOIN lifecycle_stages s ON s.profile_id = r.profile_id GROUP BY st, topic",
            )
        )
    if "tickets" in tables:
        queries.append(
            (
                "tickets",
                f"SELECT {stage_at('t.created_at')} AS st, coalesce(t.raw ->> 'topic', t.subject) "
                "AS topic, count(*) AS n FROM tickets t JOIN lifecycle_stages s "
                "ON s.profile_id = t.profile_id GROUP BY st, topic",
            )
        )
    for source, sql in queries:
        try:
            rows: list[Any] = database.query(sql)
        except Exception:
            continue
        found.extend(
            PainPoint(str(st), str(topic), int(n), source) for st, topic, n in rows if topic
        )
    by_stage: dict[str, list[PainPoint]] = {}
    for point in sorted(found, key=lambda p: (-p.mentions, p.topic)):
        bucket = by_stage.setdefault(point.stage, [])
        if len(bucket) < limit:
            bucket.append(point)
    return by_stage
