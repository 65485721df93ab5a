"""Lifecycle stages: awareness → acquisition → conversion → retention → advocacy.

Each stage is reached the first time a person matches its rule (``stage_rules.json``
in this package; pass another file to override):

- **awareness**: any web/app visit (page or screen view, anonymous or not);
- **acquisition**: identified or signed up (an ``identify`` call, ``Signed Up``…);
- **conversion**: the first ``Order Completed``;
- **retention**: an order that follows the person's previous order within
  ``within_days`` (default 180) — a repeat purchase;
- **advocacy**: a promoter answer (NPS ≥ 9 in ``survey_answers``, when that table
  exists), a review rated ≥ 4 (``reviews``) or positive (``review_analyses``), or a
  referral/share event.

A person's current stage is the **highest stage reached**; the transitions are the
moves to a higher stage in time order (a store customer who bought before ever
identifying goes none → conversion, and a later identify is not a step back).
Stages are kept per ``profile_id``: visitors the identity stage has not given a
profile are not staged. ``refresh_stages`` rebuilds both tables in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxm.journeys.errors import JourneyQueryError
from cxm.journeys.sql import interval
from cxm.store import Database

STAGES = ("awareness", "acquisition", "conversion", "retention", "advocacy")
RULES_FILE = Path(__file__).with_name("stage_rules.json")


@dataclass(frozen=True)
class EventRule:
    events: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageRules:
    awareness: EventRule
    acquisition: EventRule
    conversion: EventRule
    retention: EventRule
    retention_within_days: int = 180
    advocacy: EventRule = field(default_factory=EventRule)
    nps_promoter_min: float | None = 9
    review_rating_min: float | None = 4


def _rule(spec: Any, stage: str) -> EventRule:
    if not isinstance(spec, dict):
        raise JourneyQueryError("rules", f"{stage}: expected an object")
    parts: dict[str, tuple[str, ...]] = {}
    for key in ("events", "types", "channels"):
        value = spec.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise JourneyQueryError("rules", f"{stage}.{key}: expected a list of strings")
        parts[key] = tuple(value)
    return EventRule(**parts)


def load_rules(path: str | Path | None = None) -> StageRules:
    """The stage rules from a JSON file (default: the package's ``stage_rules.json``)."""
    source = Path(path) if path else RULES_FILE
    try:
        spec = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise JourneyQueryError("rules", f"cannot read {source}: {error}") from None
    if not isinstance(spec, dict):
        raise JourneyQueryError("rules", "expected a JSON object with one key per stage")
    missing = [s for s in STAGES if s not in spec]
    if missing:
        raise JourneyQueryError("rules", f"missing stage(s): {', '.join(missing)}")
    retention = spec["retention"]
    advocacy = spec["advocacy"]
    within = retention.get("within_days", 180) if isinstance(retention, dict) else 180
    if not isinstance(within, int) or within <= 0:
        raise JourneyQueryError("rules", "retention.within_days: expected a positive integer")
    return StageRules(
        awareness=_rule(spec["awareness"], "awareness"),
        acquisition=_rule(spec["acquisition"], "acquisition"),
        conversion=_rule(spec["conversion"], "conversion"),
        retention=_rule(retention, "retention"),
        retention_within_days=within,
        advocacy=_rule(advocacy, "advocacy"),
        nps_promoter_min=advocacy.get("nps_promoter_min") if isinstance(advocacy, dict) else None,
        review_rating_min=advocacy.get("review_rating_min") if isinstance(advocacy, dict) else None,
    )


def _match(rule: EventRule, params: list[Any]) -> str:
    """SQL condition over ``events`` for a rule; values go to ``params`` in order."""
    clauses: list[str] = []
    if rule.events:
        clauses.append(f"event IN ({', '.join('?' for _ in rule.events)})")
        params.extend(rule.events)
    if rule.types:
        typed = f"type IN ({', '.join('?' for _ in rule.types)})"
        params.extend(rule.types)
        if rule.channels:
            typed += f" AND channel IN ({', '.join('?' for _ in rule.channels)})"
            params.extend(rule.channels)
        clauses.append(f"({typed})")
    return "(" + (" OR ".join(clauses) or "FALSE") + ")"


def _stage_times_sql(database: Database, rules: StageRules) -> tuple[str, list[Any]]:
    """SQL yielding (profile_id, awareness_at, …, advocacy_at) for every staged person."""
    params: list[Any] = []
    aware = _match(rules.awareness, params)
    acquired = _match(rules.acquisition, params)
    converted = _match(rules.conversion, params)
    event_times = (
        "SELECT profile_id, "
        f"min(CASE WHEN {aware} THEN timestamp END) AS awareness_at, "
        f"min(CASE WHEN {acquired} THEN timestamp END) AS acquisition_at, "
        f"min(CASE WHEN {converted} THEN timestamp END) AS conversion_at "
        "FROM events WHERE profile_id IS NOT NULL GROUP BY profile_id"
    )
    repeat_params: list[Any] = []
    repeated = _match(rules.retention, repeat_params)
    params.extend(repeat_params)
    repeats = (
        "SELECT profile_id, min(ts) AS retention_at FROM ("
        "SELECT profile_id, timestamp AS ts, lag(timestamp) OVER "
        "(PARTITION BY profile_id ORDER BY timestamp) AS previous_ts "
        f"FROM events WHERE profile_id IS NOT NULL AND {repeated}) o "
        "WHERE previous_ts IS NOT NULL AND ts <= previous_ts + "
        f"{interval(rules.retention_within_days * 86400)} "
        "GROUP BY profile_id"
    )
    advocacy_sources = []
    advocacy_params: list[Any] = []
    if rules.advocacy.events or rules.advocacy.types:
        cond = _match(rules.advocacy, advocacy_params)
        advocacy_sources.append(
            "SELECT profile_id, timestamp AS at_ FROM events "
            f"WHERE profile_id IS NOT NULL AND {cond}"
        )
    tables = set(database.table_names())
    if rules.nps_promoter_min is not None and "survey_answers" in tables:
        advocacy_sources.append(
            "SELECT profile_id, answered_at AS at_ FROM survey_answers "
            "WHERE profile_id IS NOT NULL AND question_type = 'nps' AND score >= ?"
        )
        advocacy_params.append(float(rules.nps_promoter_min))
    if rules.review_rating_min is not None and "reviews" in tables:
        time_column = _review_time_column(database)
        if time_column:
            advocacy_sources.append(
                f"SELECT profile_id, {time_column} AS at_ FROM reviews "
                "WHERE profile_id IS NOT NULL AND rating >= ?"
            )
            advocacy_params.append(float(rules.review_rating_min))
            if "review_analyses" in tables:
                advocacy_sources.append(
                    f"SELECT r.profile_id, r.{time_column} AS at_ FROM reviews r "
                    "JOIN review_analyses a ON a.source = r.source AND a.review_id = r.review_id "
                    "WHERE r.profile_id IS NOT NULL AND a.label = 'positive' AND r.rating IS NULL"
                )
    params.extend(advocacy_params)
    advocacy = (
        "SELECT profile_id, min(at_) AS advocacy_at FROM ("
        + " UNION ALL ".join(
            advocacy_sources or ["SELECT CAST(NULL AS TEXT), CAST(NULL AS TIMESTAMPTZ)"]
        )
        + ") a WHERE at_ IS NOT NULL GROUP BY profile_id"
    )
    sql = (
        f"WITH ev AS ({event_times}), rep AS ({repeats}), adv AS ({advocacy}), "
        "ids AS (SELECT profile_id FROM ev UNION SELECT profile_id FROM adv) "
        "SELECT ids.profile_id, ev.awareness_at, ev.acquisition_at, ev.conversion_at, "
        "rep.retention_at, adv.advocacy_at FROM ids "
        "LEFT JOIN ev ON ev.profile_id = ids.profile_id "
        "LEFT JOIN rep ON rep.profile_id = ids.profile_id "
        "LEFT JOIN adv ON adv.profile_id = ids.profile_id"
    )
    return sql, params


def _review_time_column(database: Database) -> str | None:
    columns = {
        r[0]
        for r in database.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'reviews' "
            "AND table_schema = current_schema()"
        )
    }
    for name in ("created_at", "posted_at", "timestamp", "imported_at"):
        if name in columns:
            return name
    return None


@dataclass(frozen=True)
class StageRefresh:
    profiles: int
    transitions: int
    by_stage: dict[str, int]


def refresh_stages(database: Database, rules: StageRules | None = None) -> StageRefresh:
    """Recompute every profile's stage and transitions from the rules; replace both tables."""
    rules = rules or load_rules()
    times_sql, params = _stage_times_sql(database, rules)
    ranked = " UNION ALL ".join(
        f"SELECT profile_id, {rank} AS rank, '{stage}' AS stage, {stage}_at AS changed_at "
        f"FROM times WHERE {stage}_at IS NOT NULL"
        for rank, stage in enumerate(STAGES, start=1)
    )
    # A stage counts as a transition only if it is higher than every stage reached before.
    moves = (
        f"WITH times AS ({times_sql}), ranked AS ({ranked}), "
        "seq AS (SELECT profile_id, rank, stage, changed_at, max(rank) OVER (PARTITION BY "
        "profile_id ORDER BY changed_at, rank ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) "
        "AS before_rank FROM ranked) "
        "SELECT profile_id, before_rank, rank, changed_at FROM seq "
        "WHERE before_rank IS NULL OR rank > before_rank"
    )
    now = datetime.now(UTC)
    stage_case = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(STAGES, start=1))
    # Ranks only rise along a person's transitions, so the highest is the current stage.
    rank_case = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STAGES, start=1))
    with database.transaction() as tx:
        tx.execute("DELETE FROM lifecycle_transitions")
        tx.execute("DELETE FROM lifecycle_stages")
        tx.execute(
            "INSERT INTO lifecycle_transitions (profile_id, from_stage, to_stage, changed_at) "
            f"SELECT profile_id, CASE before_rank {stage_case} END, CASE rank {stage_case} END, "
            f"changed_at FROM ({moves}) m",
            params,
        )
        tx.execute(
            "INSERT INTO lifecycle_stages (profile_id, stage, entered_at, updated_at, "
            "awareness_at, acquisition_at, conversion_at, retention_at, advocacy_at) "
            "SELECT t.profile_id, last.to_stage, last.changed_at, ?, t.awareness_at, "
            "t.acquisition_at, t.conversion_at, t.retention_at, t.advocacy_at "
            f"FROM ({times_sql}) t JOIN (SELECT profile_id, to_stage, changed_at, row_number() "
            f"OVER (PARTITION BY profile_id ORDER BY CASE to_stage {rank_case} END DESC) AS r "
            "FROM lifecycle_transitions) last ON last.profile_id = t.profile_id AND last.r = 1",
            [now, *params],
        )
        counts = tx.query("SELECT stage, count(*) FROM lifecycle_stages GROUP BY stage")
        transitions = tx.query("SELECT count(*) FROM lifecycle_transitions")[0][0]
    by_stage = {stage: 0 for stage in STAGES}
    by_stage.update({str(s): int(n) for s, n in counts})
    return StageRefresh(sum(by_stage.values()), int(transitions), by_stage)


@dataclass(frozen=True)
class StageTransitionCount:
    month: str  # YYYY-MM (UTC)
    from_stage: str | None
    to_stage: str
    profiles: int


@dataclass(frozen=True)
class StageSummary:
    refreshed_at: datetime | None
    by_stage: dict[str, int]
    transitions: tuple[StageTransitionCount, ...]


def stage_summary(database: Database) -> StageSummary:
    """Profiles per current stage and stage transitions per UTC month."""
    counts = database.query(
        "SELECT stage, count(*), max(updated_at) FROM lifecycle_stages GROUP BY stage"
    )
    by_stage = {stage: 0 for stage in STAGES}
    refreshed: datetime | None = None
    for stage, n, updated in counts:
        by_stage[str(stage)] = int(n)
        refreshed = updated if refreshed is None or (updated and updated > refreshed) else refreshed
    from cxm.journeys.sql import utc_period

    month = utc_period("changed_at", "month")
    rows = database.query(
        f"SELECT {month} AS m, from_stage, to_stage, count(*) FROM lifecycle_transitions "
        "GROUP BY m, from_stage, to_stage ORDER BY m, to_stage"
    )
    transitions = tuple(
        StageTransitionCount(m.strftime("%Y-%m"), f, t, int(n)) for m, f, t, n in rows
    )
    return StageSummary(refreshed, by_stage, transitions)
