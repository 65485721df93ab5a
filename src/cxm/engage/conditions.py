"""The segment condition language: JSON validated here, compiled to one SQL predicate.

One compiler serves both the full recompute (every profile) and the real-time path
(the same SQL restricted to the persons in the committed events), so the two can
never disagree about who is a member.

A condition is one of::

    {"and": [c, ...]}   {"or": [c, ...]}   {"not": c}
    {"trait": "country", "op": "eq", "value": "DE"}
    {"score": "churn_risk", "op": "gte", "value": 0.7}          # profile_scores (predict)
    {"consent": "marketing", "channel": "email", "allowed": true}
    {"event": "Order Completed", "did": true, "min_count": 2,
     "within_days": 30, "where": {"category": "home"}}         # events in a time window
    {"lifecycle": ["retention", "advocacy"]}                    # lifecycle_stages (journeys)
    {"nps_group": "detractor"}                                  # latest NPS answer (voc)

A condition on a table another stage has not created yet is false (and noted), so a
segment can be defined before the data exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cxm.collect.importers.customers import CANONICAL_FIELDS
from cxm.errors import FieldError
from cxm.privacy.consent import CHANNELS, PURPOSES
from cxm.privacy.consent_check import consent_defaults

OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "in", "contains", "exists")
_NUMERIC_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
SCORE_FIELDS = {
    "clv": "number",
    "p_alive": "number",
    "expected_purchases": "number",
    "churn_risk": "number",
    "clv_decile": "number",
    "lead_score": "number",
    "clv_horizon_days": "number",
    "rfm_tier": "text",
    "churn_cause": "text",
}
STAGES = ("awareness", "acquisition", "conversion", "retention", "advocacy")
NPS_GROUPS = ("promoter", "passive", "detractor")
_LEAF_KEYS = ("trait", "score", "consent", "event", "lifecycle", "nps_group")
_MAX_DEPTH = 12


class ConditionError(FieldError):
    pass


@dataclass
class Compiled:
    sql: str
    params: list[Any]
    notes: list[str] = field(default_factory=list)
    events: set[str] = field(default_factory=set)  # event names the condition reads


def _json_text(dialect: str, column: str, path: str) -> str:
    parts = path.split(".")
    for part in parts:
        if not part or '"' in part or "'" in part or "\\" in part:
            raise ConditionError("path", f"{path!r} is not a valid property path")
    if dialect == "postgresql":
        return f"({column} #>> '{{{','.join(parts)}}}')"
    dotted = ".".join(f'"{p}"' for p in parts)
    return f"json_extract_string({column}, '$.{dotted}')"


def _as_number(dialect: str, text_sql: str) -> str:
    if dialect == "postgresql":
        return (
            f"(CASE WHEN {text_sql} ~ '^\\s*-{{0,1}}[0-9]+(\\.[0-9]+){{0,1}}\\s*$' "
            f"THEN CAST({text_sql} AS DOUBLE PRECISION) END)"
        )
    return f"TRY_CAST({text_sql} AS DOUBLE)"


class _Compiler:
    def __init__(
        self, dialect: str, tables: set[str], now: datetime, unstitched: bool = False
    ) -> None:
        self.unstitched = unstitched
        self.dialect = dialect
        self.tables = tables
        self.now = now
        self.params: list[Any] = []
        self.notes: list[str] = []
        self.events: set[str] = set()

    def missing(self, table: str, where: str) -> str:
        self.notes.append(f"{where}: table {table} does not exist yet; condition is false")
        return "FALSE"

    def node(self, cond: Any, where: str, depth: int = 0) -> str:
        if depth > _MAX_DEPTH:
            raise ConditionError(where, f"nested deeper than {_MAX_DEPTH}")
        if not isinstance(cond, dict) or not cond:
            raise ConditionError(where, "must be a non-empty JSON object")
        if "and" in cond or "or" in cond:
            key = "and" if "and" in cond else "or"
            items = cond[key]
            if not isinstance(items, list) or not items:
                raise ConditionError(f"{where}.{key}", "must be a non-empty list")
            parts = [self.node(c, f"{where}.{key}[{i}]", depth + 1) for i, c in enumerate(items)]
            return "(" + f" {key.upper()} ".join(parts) + ")"
        if "not" in cond:
            return f"(NOT COALESCE({self.node(cond['not'], f'{where}.not', depth + 1)}, FALSE))"
        for leaf in _LEAF_KEYS:
            if leaf in cond:
                return str(getattr(self, leaf)(cond, where))
        raise ConditionError(where, f"needs one of and, or, not, {', '.join(_LEAF_KEYS)}")

    # -- comparisons ------------------------------------------------------------------
    def compare(self, cond: dict[str, Any], where: str, text_sql: str, numeric: bool) -> str:
        op = cond.get("op", "eq")
        if op not in OPS:
            raise ConditionError(f"{where}.op", f"must be one of {', '.join(OPS)}")
        if op == "exists":
            return f"({text_sql} IS NOT NULL)"
        if "value" not in cond:
            raise ConditionError(f"{where}.value", "is required for this op")
        value = cond["value"]
        if op == "in":
            if not isinstance(value, list) or not value:
                raise ConditionError(f"{where}.value", "must be a non-empty list for op in")
            self.params.extend(str(v) for v in value)
            return f"({text_sql} IN ({', '.join('?' for _ in value)}))"
        if isinstance(value, dict | list) or value is None:
            raise ConditionError(f"{where}.value", "must be a string, number or boolean")
        if op in _NUMERIC_OPS or (numeric and op in ("eq", "neq")):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConditionError(f"{where}.value", f"must be a number for op {op}")
            self.params.append(float(value))
            sym = _NUMERIC_OPS.get(op, "=" if op == "eq" else "<>")
            target = text_sql if numeric else _as_number(self.dialect, text_sql)
            return f"({target} {sym} ?)"
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if op == "contains":
            self.params.append(f"%{text.lower()}%")
            return f"(lower({text_sql}) LIKE ?)"
        self.params.append(text)
        return f"({text_sql} {'=' if op == 'eq' else '<>'} ?)"

    # -- leaves -----------------------------------------------------------------------
    def trait(self, cond: dict[str, Any], where: str) -> str:
        name = cond["trait"]
        if not isinstance(name, str) or not name.strip():
            raise ConditionError(f"{where}.trait", "must be a trait name")
        try:
            json_traits = _json_text(self.dialect, "r.traits", name)
            json_identify = _json_text(self.dialect, "e.traits", name)
        except ConditionError:
            raise ConditionError(f"{where}.trait", f"{name!r} is not a valid trait name") from None
        record_value = f"r.{name}" if name in CANONICAL_FIELDS else json_traits
        # Two placeholder sets, in SQL order: the customer records', then identify's.
        record = self.compare(cond, where, record_value, numeric=False)
        identify = self.compare(cond, where, json_identify, numeric=False)
        return (
            "(EXISTS (SELECT 1 FROM customer_records r WHERE r.profile_id = p.profile_id "
            f"AND {record}) OR EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.profile_id "
            f"AND e.type = 'identify' AND {identify}))"
        )

    def score(self, cond: dict[str, Any], where: str) -> str:
        name = cond["score"]
        if name not in SCORE_FIELDS:
            raise ConditionError(f"{where}.score", f"must be one of {', '.join(SCORE_FIELDS)}")
        if "profile_scores" not in self.tables:
            before = len(self.params)
            self.compare(cond, where, f"s.{name}", SCORE_FIELDS[name] == "number")
            del self.params[before:]
            return self.missing("profile_scores", where)
        test = self.compare(cond, where, f"s.{name}", SCORE_FIELDS[name] == "number")
        return (
            f"EXISTS (SELECT 1 FROM profile_scores s WHERE s.profile_id = p.profile_id AND {test})"
        )

    def consent(self, cond: dict[str, Any], where: str) -> str:
        purpose = cond["consent"]
        if purpose not in PURPOSES:
            raise ConditionError(f"{where}.consent", f"must be one of {', '.join(PURPOSES)}")
        channel = cond.get("channel", "*")
        if channel != "*" and channel not in CHANNELS:
            raise ConditionError(f"{where}.channel", f"must be * or one of {', '.join(CHANNELS)}")
        allowed = cond.get("allowed", True)
        if not isinstance(allowed, bool):
            raise ConditionError(f"{where}.allowed", "must be true or false")
        default = "TRUE" if consent_defaults()[purpose] else "FALSE"
        self.params.extend([purpose, channel])
        # Same rule as may_contact: the newest entry for (purpose, channel) or (purpose, *).
        latest = (
            "(SELECT c.status = 'granted' FROM consent_ledger c WHERE c.profile_id = p.profile_id "
            "AND c.purpose = ? AND c.channel IN (?, '*') ORDER BY c.recorded_at DESC LIMIT 1)"
        )
        test = f"COALESCE({latest}, {default})"
        return test if allowed else f"(NOT {test})"

    def event(self, cond: dict[str, Any], where: str) -> str:
        name = cond["event"]
        if not isinstance(name, str) or not name.strip():
            raise ConditionError(f"{where}.event", "must be an event name")
        did = cond.get("did", True)
        if not isinstance(did, bool):
            raise ConditionError(f"{where}.did", "must be true or false")
        min_count = cond.get("min_count", 1)
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise ConditionError(f"{where}.min_count", "must be a whole number ≥ 1")
        window = timedelta(0)
        for key, unit in (("within_days", 86400), ("within_hours", 3600), ("within_minutes", 60)):
            if key in cond:
                amount = cond[key]
                if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
                    raise ConditionError(f"{where}.{key}", "must be a positive number")
                window = timedelta(seconds=float(amount) * unit)
        filters = cond.get("where", {})
        if not isinstance(filters, dict):
            raise ConditionError(f"{where}.where", "must be an object of property: value")
        self.events.add(name)
        person = "e.profile_id = p.profile_id"
        if self.unstitched:
            # Real-time path: also count the person's events the identity stitcher has not
            # attributed yet, through the identifiers already known to belong to them.
            person = (
                "(e.profile_id = p.profile_id OR (e.profile_id IS NULL AND ("
                "EXISTS (SELECT 1 FROM identifiers iu WHERE iu.profile_id = p.profile_id "
                "AND iu.id_type = 'user_id' AND iu.id_value = e.user_id) OR "
                "EXISTS (SELECT 1 FROM identifiers ia WHERE ia.profile_id = p.profile_id "
                "AND ia.id_type = 'anonymous_id' AND ia.id_value = e.anonymous_id))))"
            )
        sql = [person, "e.event = ?"]
        self.params.append(name)
        if window:
            sql.append("e.timestamp >= ?")
            self.params.append(self.now - window)
        for prop, value in filters.items():
            try:
                column = _json_text(self.dialect, "e.properties", str(prop))
            except ConditionError:
                raise ConditionError(f"{where}.where.{prop}", "is not a valid property") from None
            if isinstance(value, list):
                if not value:
                    raise ConditionError(f"{where}.where.{prop}", "must not be an empty list")
                sql.append(f"{column} IN ({', '.join('?' for _ in value)})")
                self.params.extend(str(v) for v in value)
            elif isinstance(value, dict) or value is None:
                raise ConditionError(f"{where}.where.{prop}", "must be a value or a list")
            else:
                sql.append(f"{column} = ?")
                self.params.append(str(value).lower() if isinstance(value, bool) else str(value))
        count = f"(SELECT count(*) FROM events e WHERE {' AND '.join(sql)})"
        if not did:
            return f"({count} = 0)"
        self.params.append(min_count)
        return f"({count} >= ?)"

    def lifecycle(self, cond: dict[str, Any], where: str) -> str:
        stages = cond["lifecycle"]
        stages = [stages] if isinstance(stages, str) else stages
        if not isinstance(stages, list) or not stages or any(s not in STAGES for s in stages):
            raise ConditionError(
                f"{where}.lifecycle", f"must be one or a list of {', '.join(STAGES)}"
            )
        if "lifecycle_stages" not in self.tables:
            return self.missing("lifecycle_stages", where)
        self.params.extend(stages)
        return (
            "EXISTS (SELECT 1 FROM lifecycle_stages l WHERE l.profile_id = p.profile_id "
            f"AND l.stage IN ({', '.join('?' for _ in stages)}))"
        )

    def nps_group(self, cond: dict[str, Any], where: str) -> str:
        groups = cond["nps_group"]
        groups = [groups] if isinstance(groups, str) else groups
        if not isinstance(groups, list) or not groups or any(g not in NPS_GROUPS for g in groups):
            raise ConditionError(
                f"{where}.nps_group", f"must be one or a list of {', '.join(NPS_GROUPS)}"
            )
        if "survey_answers" not in self.tables:
            return self.missing("survey_answers", where)
        self.params.extend(groups)
        # Groups as cxm.metrics.formulas.nps_group: 9–10 promoter, 7–8 passive, 0–6 detractor.
        latest = (
            "(SELECT CASE WHEN a.score >= 9 THEN 'promoter' WHEN a.score >= 7 THEN 'passive' "
            "ELSE 'detractor' END FROM survey_answers a WHERE a.profile_id = p.profile_id "
            "AND a.question_type = 'nps' AND a.score IS NOT NULL "
            "ORDER BY a.answered_at DESC LIMIT 1)"
        )
        return f"({latest} IN ({', '.join('?' for _ in groups)}))"


def compile_conditions(
    conditions: Any, dialect: str, tables: Sequence[str], now: datetime, unstitched: bool = False
) -> Compiled:
    """Validate ``conditions`` and compile them to a predicate over profiles ``p``.

    Raises ``ConditionError`` whose field is the JSON path (``conditions.and[1].event``).
    ``unstitched``: event conditions also count events not yet attributed to a profile
    whose user or anonymous id belongs to the person (the real-time path).
    """
    compiler = _Compiler(dialect, set(tables), now, unstitched)
    sql = compiler.node(conditions, "conditions")
    return Compiled(sql, compiler.params, compiler.notes, compiler.events)


def validate_conditions(conditions: Any, dialect: str = "duckdb") -> list[str]:
    """Raise ``ConditionError`` for a bad condition; return notes (missing tables)."""
    from datetime import UTC

    return compile_conditions(conditions, dialect, _ALL_TABLES, datetime.now(UTC)).notes


_ALL_TABLES = ("profile_scores", "lifecycle_stages", "survey_answers")
