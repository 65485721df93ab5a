"""The CX KPI catalogue: every KPI defined once and queried the same way.

Each ``Kpi`` carries its id, name, formula text, unit, direction (is up better?),
the source of its definition, the dimensions it can be broken down by and one
compute function. ``report(database, kpi_id, query)`` is the only entry point the
API, CLI, pages and benchmark use. See ``docs/metrics.md`` for every definition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cxm.metrics import base, facts
from cxm.metrics import formulas as _formulas
from cxm.metrics.dimensions import DIMENSIONS, available_person_dimensions, table_set
from cxm.metrics.engine import Fact, run_fact, share_scan
from cxm.metrics.query import (
    NO_VALUE,
    Grain,
    KpiData,
    KpiQuery,
    QueryError,
    Value,
    change,
    mean_value,
    nps_value,
    rate_value,
)
from cxm.store import Database

Direction = Literal["up", "down"]
SURVEY_DIMS = {"channel": "channel", "touchpoint": "touchpoint", "language": "language"}
CHANNEL_DIM = {"channel": "channel"}


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    group: str
    formula: str
    unit: str
    direction: Direction
    source: str
    native: tuple[str, ...]
    requires: tuple[str, ...]
    compute: Callable[[Database, KpiQuery], KpiData]
    person_dimensions: bool = True

    def dimensions(self, tables: set[str]) -> tuple[str, ...]:
        person = available_person_dimensions(tables) if self.person_dimensions else ()
        return tuple(d for d in DIMENSIONS if d in self.native or d in person)

    def as_dict(self, tables: set[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "group": self.group,
            "formula": self.formula,
            "unit": self.unit,
            "direction": self.direction,
            "better": "higher" if self.direction == "up" else "lower",
            "source": self.source,
        }
        if tables is not None:
            out["dimensions"] = list(self.dimensions(tables))
        return out


# --- finalisers: aggregate row → Value ---------------------------------------------


def _nps(v: Sequence[float]) -> Value:
    return nps_value(v[0], v[1], v[2])


def _rate(v: Sequence[float]) -> Value:
    return rate_value(v[0], v[1])


def _mean(v: Sequence[float]) -> Value:
    return mean_value(v[0], v[1], v[2])


def _ces(v: Sequence[float]) -> Value:
    value = mean_value(v[0], v[1], v[2])
    if value.value is None:
        return value
    agree = rate_value(v[3], v[2])
    return Value(
        value.value,
        value.n,
        value.low,
        value.high,
        {**value.detail, "agree_percent": agree.value or 0.0},
    )


def _ratio(v: Sequence[float]) -> Value:
    contacts, orders = v
    if orders <= 0:
        return NO_VALUE
    return Value(
        contacts / orders, int(orders), None, None, {"contacts": contacts, "orders": orders}
    )


def _gap(v: Sequence[float]) -> Value:
    important, important_n, experienced, experienced_n = (int(x) for x in v)
    if important_n == 0 or experienced_n == 0:
        return NO_VALUE
    diff = _formulas.compare_rates(important, important_n, experienced, experienced_n)
    detail = {
        "importance_percent": 100 * important / important_n,
        "experience_percent": 100 * experienced / experienced_n,
        "importance_n": important_n,
        "experience_n": experienced_n,
    }
    return Value(diff.difference, important_n + experienced_n, diff.low, diff.high, detail)


def _count_if(condition: str) -> str:
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


# --- the facts ---------------------------------------------------------------------

NPS_FACT = Fact(
    lambda _: facts.survey_answers("nps"),
    (_count_if("score >= 9"), _count_if("score >= 7 AND score < 9"), _count_if("score < 7")),
    _nps,
    SURVEY_DIMS,
)
SURVEY_CSAT_FACT = Fact(
    lambda _: facts.survey_answers("csat"),
    (_count_if("score >= 4"), "count(*)"),
    _rate,
    SURVEY_DIMS,
)
TICKET_CSAT_FACT = Fact(
    facts.ticket_csat, (_count_if("score >= 4"), "count(*)"), _rate, CHANNEL_DIM
)
CES_FACT = Fact(
    lambda _: facts.survey_answers("ces"),
    ("sum(score)", "sum(score * score)", "count(*)", _count_if("score >= 5")),
    _ces,
    SURVEY_DIMS,
)
GAP_FACT = Fact(
    facts.personalisation_answers,
    (
        _count_if(f"item = '{facts.PERSONALISATION_IMPORTANCE}' AND score >= 4"),
        _count_if(f"item = '{facts.PERSONALISATION_IMPORTANCE}'"),
        _count_if(f"item = '{facts.PERSONALISATION_EXPERIENCE}' AND score >= 4"),
        _count_if(f"item = '{facts.PERSONALISATION_EXPERIENCE}'"),
    ),
    _gap,
    SURVEY_DIMS,
)
AOV_FACT = Fact(
    facts.orders, ("sum(amount)", "sum(amount * amount)", "count(*)"), _mean, CHANNEL_DIM
)
REPEAT_FACT = Fact(
    facts.orders,
    (_count_if("orders_placed >= 2"), "count(*)"),
    _rate,
    CHANNEL_DIM,
    per_person=("count(*) AS orders_placed",),
)
CROSS_SELL_FACT = Fact(facts.repeat_orders, ("sum(cross_sold)", "count(*)"), _rate, CHANNEL_DIM)
UPSELL_FACT = Fact(facts.repeat_orders, ("sum(upsold)", "count(*)"), _rate, CHANNEL_DIM)
FRT_FACT = Fact(
    facts.tickets,
    (
        "sum(response_hours)",
        "sum(response_hours * response_hours)",
        "count(response_hours)",
    ),
    _mean,
    CHANNEL_DIM,
)
ART_FACT = Fact(
    facts.tickets,
    (
        "sum(resolution_hours)",
        "sum(resolution_hours * resolution_hours)",
        "count(resolution_hours)",
    ),
    _mean,
    CHANNEL_DIM,
)
FCR_FACT = Fact(facts.tickets, ("sum(first_contact)", "sum(resolved)"), _rate, CHANNEL_DIM)
REOPEN_FACT = Fact(
    facts.tickets,
    ("sum(CASE WHEN resolved = 1 THEN reopened ELSE 0 END)", "sum(resolved)"),
    _rate,
    CHANNEL_DIM,
)
SELF_SERVICE_FACT = Fact(facts.help_sessions, ("sum(self_served)", "count(*)"), _rate, CHANNEL_DIM)
CONTACTS_FACT = Fact(facts.contacts_and_orders, ("sum(contacts)", "sum(orders)"), _ratio)
# One scan each serves these on the Overview (see cxm.metrics.shared).
share_scan(CROSS_SELL_FACT, UPSELL_FACT)
share_scan(FRT_FACT, ART_FACT, FCR_FACT, REOPEN_FACT)


def _csat(database: Database, query: KpiQuery) -> KpiData:
    """Survey CSAT answers when any exist; otherwise the CSAT asked on tickets."""
    tables = table_set(database)
    if "survey_answers" in tables and database.query(
        "SELECT 1 FROM survey_answers WHERE question_type = 'csat' LIMIT 1"
    ):
        return run_fact(database, SURVEY_CSAT_FACT, query)
    asked = {query.by, *(name for name, _ in query.filters)}
    if asked & {"touchpoint", "language"}:
        reason = "no survey CSAT answers; ticket CSAT has no touchpoint or language"
        return KpiData(NO_VALUE, NO_VALUE, [], [], "no_data", reason)
    return run_fact(database, TICKET_CSAT_FACT, query)


def _run(fact: Fact) -> Callable[[Database, KpiQuery], KpiData]:
    def compute(database: Database, query: KpiQuery) -> KpiData:
        return run_fact(database, fact, query)

    return compute


ALL_CHANNELS = ("channel",)
SURVEY = ("channel", "touchpoint", "language")

KPIS: tuple[Kpi, ...] = (
    Kpi(
        "nps",
        "Net Promoter Score",
        "loyalty",
        "NPS = % promoters (9–10) − % detractors (0–6) of 0–10 answers; "
        "margin of error 1.96·100·√((p + d − (p − d)²)/n)",
        "score",
        "up",
        "Reichheld, 'The One Number You Need to Grow', HBR 2003; margin: Rocks 2016",
        SURVEY,
        ("survey_answers",),
        _run(NPS_FACT),
    ),
    Kpi(
        "csat",
        "Customer satisfaction (CSAT)",
        "loyalty",
        "CSAT = answers 4–5 on the 5-point scale / all answers × 100 (Wilson interval); "
        "survey CSAT questions, else the CSAT asked when a ticket closes",
        "%",
        "up",
        "ACSI / industry top-two-box convention",
        SURVEY,
        ("tickets",),
        _csat,
    ),
    Kpi(
        "ces",
        "Customer Effort Score (CES 2.0)",
        "loyalty",
        "CES = mean of 1–7 answers to 'The company made it easy for me to handle my issue'",
        "score (1–7)",
        "up",
        "Dixon, Toman & DeLisi, 'The Effortless Experience', 2013",
        SURVEY,
        ("survey_answers",),
        _run(CES_FACT),
    ),
    Kpi(
        "churn_rate",
        "Churn rate",
        "financial",
        "customers lost in the period / customers at its start × 100 "
        "(customer = ordered in the last 365 days)",
        "%",
        "down",
        "standard definition; activity rule: non-contractual 12-month active buyer",
        (),
        ("orders",),
        base.churn,
    ),
    Kpi(
        "retention_rate",
        "Customer retention rate",
        "financial",
        "CRR = (E − N) / S × 100: customers at end minus new customers, over customers at start",
        "%",
        "up",
        "standard CRR formula (the denominator is S, not N)",
        (),
        ("orders",),
        base.retention,
    ),
    Kpi(
        "repeat_purchase_rate",
        "Repeat-purchase rate",
        "financial",
        "customers with ≥ 2 orders in the period / customers with ≥ 1 order in the period × 100",
        "%",
        "up",
        "e-commerce convention (e.g. Shopify 'repeat customer rate')",
        ALL_CHANNELS,
        ("orders",),
        _run(REPEAT_FACT),
    ),
    Kpi(
        "clv_historical",
        "Historical customer lifetime value",
        "financial",
        "mean over customers of all their revenue up to the period end "
        f"({facts.REPORTING_CURRENCY})",
        facts.REPORTING_CURRENCY,
        "up",
        "historical (backward-looking) CLV: sum of past revenue",
        (),
        ("orders",),
        base.historical_clv,
    ),
    Kpi(
        "aov",
        "Average order value",
        "financial",
        f"revenue / orders in the period ({facts.REPORTING_CURRENCY})",
        facts.REPORTING_CURRENCY,
        "up",
        "standard retail definition",
        ALL_CHANNELS,
        ("orders",),
        _run(AOV_FACT),
    ),
    Kpi(
        "upsell_rate",
        "Upsell rate",
        "financial",
        "repeat orders with an item dearer than anything the customer paid before in that "
        "category / repeat orders × 100",
        "%",
        "up",
        "upsell = a higher-value item of a kind already bought (definition: docs)",
        ALL_CHANNELS,
        ("orders",),
        _run(UPSELL_FACT),
    ),
    Kpi(
        "cross_sell_rate",
        "Cross-sell rate",
        "financial",
        "repeat orders with a category the customer never bought before / repeat orders × 100",
        "%",
        "up",
        "cross-sell = a purchase in a new category (definition: docs)",
        ALL_CHANNELS,
        ("orders",),
        _run(CROSS_SELL_FACT),
    ),
    Kpi(
        "first_response_time",
        "First response time",
        "operational",
        "mean hours from ticket creation to the first agent response",
        "hours",
        "down",
        "help-desk convention (Zendesk/Freshdesk 'first reply time')",
        ALL_CHANNELS,
        ("tickets",),
        _run(FRT_FACT),
    ),
    Kpi(
        "avg_resolution_time",
        "Average resolution time",
        "operational",
        "mean hours from ticket creation to resolution, resolved tickets",
        "hours",
        "down",
        "help-desk convention ('full resolution time')",
        ALL_CHANNELS,
        ("tickets",),
        _run(ART_FACT),
    ),
    Kpi(
        "first_contact_resolution",
        "First-contact resolution",
        "operational",
        "resolved tickets with one contact and no reopen / resolved tickets × 100",
        "%",
        "up",
        "SQM Group / contact-centre FCR definition",
        ALL_CHANNELS,
        ("tickets",),
        _run(FCR_FACT),
    ),
    Kpi(
        "reopen_rate",
        "Reopen rate",
        "operational",
        "resolved tickets that were reopened / resolved tickets × 100",
        "%",
        "down",
        "help-desk convention",
        ALL_CHANNELS,
        ("tickets",),
        _run(REOPEN_FACT),
    ),
    Kpi(
        "self_service_adoption",
        "Self-service adoption",
        "operational",
        "help-centre visits (30-min rule) with no ticket within 24 h / help-centre visits × 100",
        "%",
        "up",
        "self-service success ('deflection') rate; visit rule: web analytics",
        ALL_CHANNELS,
        ("events", "tickets"),
        _run(SELF_SERVICE_FACT),
    ),
    Kpi(
        "contacts_per_order",
        "Contacts per order",
        "operational",
        "customer contacts (tickets × their contact count) / orders in the period",
        "ratio",
        "down",
        "e-commerce service convention (CPO)",
        (),
        ("orders", "tickets"),
        _run(CONTACTS_FACT),
    ),
    Kpi(
        "personalisation_gap",
        "Personalisation-perception gap",
        "loyalty",
        "% rating personalisation important (4–5) − % saying they experience it (4–5), "
        "percentage points; Newcombe interval",
        "pp",
        "down",
        "after Segment 'State of Personalization' (importance vs experience gap)",
        SURVEY,
        ("survey_answers",),
        _run(GAP_FACT),
    ),
)
CATALOGUE: dict[str, Kpi] = {k.id: k for k in KPIS}


class UnknownKpi(LookupError):
    def __init__(self, kpi_id: str) -> None:
        super().__init__(f"kpi: {kpi_id!r} is not in the catalogue ({', '.join(CATALOGUE)})")
        self.kpi_id = kpi_id


def get(kpi_id: str) -> Kpi:
    try:
        return CATALOGUE[kpi_id]
    except KeyError:
        raise UnknownKpi(kpi_id) from None


def default_period(database: Database, days: int = 90) -> tuple[datetime, datetime]:
    """The ``days`` ending with the day of the latest order (or today): demo and imported
    histories rarely end today, and an empty default dashboard helps nobody."""
    latest = database.scalar("SELECT max(timestamp) FROM orders")
    moment = latest if isinstance(latest, datetime) else datetime.now(UTC)
    moment = moment.astimezone(UTC)
    end = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
    return end - timedelta(days=days), end


def default_grain(start: datetime, end: datetime) -> Grain:
    days = (end - start).days
    if days <= 31:
        return "day"
    return "week" if days <= 190 else "month"


def validate(kpi: Kpi, query: KpiQuery, tables: set[str]) -> None:
    allowed = kpi.dimensions(tables)
    if query.by is not None and query.by not in allowed:
        reason = (
            f"unknown dimension {query.by!r}"
            if query.by not in DIMENSIONS
            else f"{kpi.id} cannot be broken down by {query.by!r}"
        )
        raise QueryError("by", f"{reason}; choose one of: {', '.join(allowed) or 'none'}")
    for name, _ in query.filters:
        if name not in allowed:
            raise QueryError(name, f"{kpi.id} cannot be filtered by {name!r}")


@dataclass(frozen=True)
class KpiReport:
    kpi: Kpi
    query: KpiQuery
    data: KpiData
    dimensions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        q, d = self.query, self.data
        delta = change(d.current, d.previous)
        return {
            "kpi": self.kpi.as_dict(),
            "dimensions": list(self.dimensions),
            "from": q.start.date().isoformat(),
            "to": (q.end - timedelta(microseconds=1)).date().isoformat(),
            "previous_from": q.previous_start.date().isoformat(),
            "grain": q.grain,
            "by": q.by,
            "filters": dict(q.filters),
            "status": d.status,
            "reason": d.reason,
            "value": d.current.as_dict(),
            "previous": d.previous.as_dict(),
            "change": delta.as_dict() if delta else None,
            "series": [
                {"period": p.start.date().isoformat(), **p.value.as_dict()} for p in d.series
            ],
            "breakdown": [
                {
                    "group": g.key,
                    **g.value.as_dict(),
                    "previous": g.previous.value and round(g.previous.value, 6),
                    "change": (lambda c: c.as_dict() if c else None)(change(g.value, g.previous)),
                }
                for g in d.groups
            ],
        }


def report(database: Database, kpi_id: str, query: KpiQuery) -> KpiReport:
    """Compute one KPI for a query; missing source tables give status ``no_data``."""
    kpi = get(kpi_id)
    tables = table_set(database)
    validate(kpi, query, tables)
    missing = [t for t in kpi.requires if t not in tables]
    if missing:
        empty = KpiData(NO_VALUE, NO_VALUE, [], [], "no_data", f"no table {', '.join(missing)} yet")
        return KpiReport(kpi, query, empty, kpi.dimensions(tables))
    data = kpi.compute(database, query)
    if data.current.value is None and data.previous.value is None and data.status == "ok":
        data = KpiData(
            data.current,
            data.previous,
            data.series,
            data.groups,
            "no_data",
            "no rows in the period",
        )
    return KpiReport(kpi, query, data, kpi.dimensions(tables))
