"""CX ROI: what loyalty and closing the loop are worth in money.

For a period [start, end) every person with a survey answer is put in a group by
their *latest* answer before ``end``: NPS group (promoter 9–10, passive 7–8,
detractor 0–6) or CSAT band (1–2 dissatisfied, 3 neutral, 4–5 satisfied; survey
CSAT, else ticket CSAT). Per group:

- customers, spend per customer in the period, historical CLTV (revenue to
  ``end``) and, when predict has scored them, mean predicted CLV;
- retention/churn among those *active at the start* (ordered in the 365 days
  before): retained = also active at the end (ordered in the 365 days before end),
  the same activity rule as the churn and retention KPIs.

Revenue at risk = the last-365-day revenue of detractors, plus that of customers
predict scores at churn risk ≥ 0.5 (``profile_scores.churn_risk``; without it,
detractors only), each person counted once; the expected loss weights each
at-risk customer's revenue by their churn risk.

Closing the loop compares detractors whose follow-up case (voc ``cases``) was
closed with detractors without a closed case: share who ordered again within
180 days after the answer, and revenue per person in those days, with the
difference's Newcombe interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cxm.metrics import formulas
from cxm.metrics.facts import to_reporting
from cxm.metrics.query import rate_value, sql_time
from cxm.store import Database

ACTIVE_DAYS = 365
AT_RISK = 0.5
FOLLOW_UP_DAYS = 180
NPS_GROUPS = ("promoter", "passive", "detractor")
CSAT_BANDS = ("satisfied", "neutral", "dissatisfied")


@dataclass(frozen=True)
class GroupEconomics:
    group: str
    customers: int
    spend_per_customer: float
    clv_historical: float
    clv_predicted: float | None
    active_at_start: int
    retained: int

    @property
    def retention(self) -> float | None:
        return 100 * self.retained / self.active_at_start if self.active_at_start else None

    @property
    def churn(self) -> float | None:
        kept = self.retention
        return None if kept is None else 100 - kept

    def as_dict(self) -> dict[str, Any]:
        interval = rate_value(self.retained, self.active_at_start)
        return {
            "group": self.group,
            "customers": self.customers,
            "spend_per_customer": round(self.spend_per_customer, 2),
            "clv_historical": round(self.clv_historical, 2),
            "clv_predicted": None if self.clv_predicted is None else round(self.clv_predicted, 2),
            "active_at_start": self.active_at_start,
            "retention": None if self.retention is None else round(self.retention, 3),
            "retention_low": interval.low,
            "retention_high": interval.high,
            "churn": None if self.churn is None else round(self.churn, 3),
        }


@dataclass(frozen=True)
class LoopEffect:
    closed_n: int
    closed_repurchase: float | None
    closed_revenue: float
    other_n: int
    other_repurchase: float | None
    other_revenue: float
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class RoiReport:
    start: datetime
    end: datetime
    currency: str
    by_nps: list[GroupEconomics]
    by_csat: list[GroupEconomics]
    csat_source: str
    revenue_at_risk: float
    expected_loss: float
    at_risk_customers: int
    risk_source: str
    loop: LoopEffect | None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.date().isoformat(),
            "to": (self.end - timedelta(microseconds=1)).date().isoformat(),
            "currency": self.currency,
            "by_nps_group": [g.as_dict() for g in self.by_nps],
            "by_csat_band": [g.as_dict() for g in self.by_csat],
            "csat_source": self.csat_source,
            "revenue_at_risk": round(self.revenue_at_risk, 2),
            "expected_loss": round(self.expected_loss, 2),
            "at_risk_customers": self.at_risk_customers,
            "risk_source": self.risk_source,
            "closing_the_loop": self.loop.as_dict() if self.loop else None,
            "reason": self.reason,
        }


def _groups_sql(answers: str, group_case: str, start: datetime, end: datetime, clv: str) -> str:
    """One row per group: customers, spend, historical CLV, predicted CLV, active, retained."""
    s, e = sql_time(start), sql_time(end)
    sw, ew = (
        sql_time(start - timedelta(days=ACTIVE_DAYS)),
        sql_time(end - timedelta(days=ACTIVE_DAYS)),
    )
    amount = to_reporting("o.amount", "o.currency")
    return f"""
        WITH answers AS ({answers}),
        latest AS (
            SELECT profile_id, score FROM (
                SELECT profile_id, score, row_number() OVER (
                    PARTITION BY profile_id ORDER BY ts DESC) AS k
                FROM answers WHERE profile_id IS NOT NULL AND ts < {e}) a WHERE k = 1
        ), people AS (SELECT profile_id, {group_case} AS grp FROM latest),
        money AS (
            SELECT o.profile_id,
                   sum(CASE WHEN o.timestamp >= {s} THEN {amount} ELSE 0 END) AS spend,
                   sum({amount}) AS lifetime,
                   max(CASE WHEN o.timestamp >= {sw} AND o.timestamp < {s} THEN 1 ELSE 0 END)
                       AS at_start,
                   max(CASE WHEN o.timestamp >= {ew} THEN 1 ELSE 0 END) AS at_end
            FROM orders o JOIN people p ON p.profile_id = o.profile_id
            WHERE o.timestamp < {e} GROUP BY o.profile_id
        )
        SELECT p.grp, count(*), avg(coalesce(m.spend, 0)), avg(coalesce(m.lifetime, 0)),
               {clv}, sum(coalesce(m.at_start, 0)),
               sum(CASE WHEN m.at_start = 1 AND m.at_end = 1 THEN 1 ELSE 0 END)
        FROM people p LEFT JOIN money m ON m.profile_id = p.profile_id
        {"LEFT JOIN profile_scores ps ON ps.profile_id = p.profile_id" if clv != "NULL" else ""}
        GROUP BY p.grp"""


def _economics(
    database: Database,
    answers: str,
    case: str,
    order: tuple[str, ...],
    start: datetime,
    end: datetime,
    scores: bool,
) -> list[GroupEconomics]:
    clv = "avg(ps.clv)" if scores else "NULL"
    rows = database.query(_groups_sql(answers, case, start, end, clv))
    found = {
        str(r[0]): GroupEconomics(
            str(r[0]),
            int(r[1]),
            float(r[2] or 0),
            float(r[3] or 0),
            None if r[4] is None else float(r[4]),
            int(r[5] or 0),
            int(r[6] or 0),
        )
        for r in rows
    }
    return [found[g] for g in order if g in found]


NPS_CASE = (
    "CASE WHEN score >= 9 THEN 'promoter' WHEN score >= 7 THEN 'passive' ELSE 'detractor' END"
)
CSAT_CASE = (
    "CASE WHEN score >= 4 THEN 'satisfied' WHEN score >= 3 THEN 'neutral' ELSE 'dissatisfied' END"
)


def _survey(question_type: str) -> str:
    return (
        "SELECT profile_id, answered_at AS ts, score FROM survey_answers "
        f"WHERE question_type = '{question_type}' AND score IS NOT NULL"
    )


def cx_roi(database: Database, start: datetime, end: datetime) -> RoiReport:
    tables = set(database.table_names())
    surveys = "survey_answers" in tables
    scores = "profile_scores" in tables and bool(
        database.query("SELECT 1 FROM profile_scores LIMIT 1")
    )
    by_nps = (
        _economics(database, _survey("nps"), NPS_CASE, NPS_GROUPS, start, end, scores)
        if surveys
        else []
    )
    survey_csat = surveys and bool(
        database.query("SELECT 1 FROM survey_answers WHERE question_type = 'csat' LIMIT 1")
    )
    if survey_csat:
        csat_answers, csat_source = _survey("csat"), "survey"
    else:
        csat_answers = (
            "SELECT profile_id, created_at AS ts, CAST(csat AS DOUBLE PRECISION) AS score "
            "FROM tickets WHERE csat BETWEEN 1 AND 5"
        )
        csat_source = "tickets"
    by_csat = _economics(database, csat_answers, CSAT_CASE, CSAT_BANDS, start, end, scores)
    at_risk, expected, count = _revenue_at_risk(database, end, surveys, scores)
    loop = _closing_the_loop(database, end) if surveys and "cases" in tables else None
    reason = "" if surveys else "no survey answers yet: NPS groups and closing the loop are empty"
    return RoiReport(
        start,
        end,
        "EUR",
        by_nps,
        by_csat,
        csat_source,
        at_risk,
        expected,
        count,
        "detractors + churn_risk ≥ 0.5 (predict)" if scores else "detractors only",
        loop,
        reason,
    )


def _revenue_at_risk(
    database: Database, end: datetime, surveys: bool, scores: bool
) -> tuple[float, float, int]:
    e = sql_time(end)
    since = sql_time(end - timedelta(days=ACTIVE_DAYS))
    parts = []
    if surveys:
        parts.append(
            f"""SELECT profile_id, 1.0 AS risk FROM (
                  SELECT profile_id, score, row_number() OVER (
                      PARTITION BY profile_id ORDER BY answered_at DESC) AS k
                  FROM survey_answers WHERE question_type = 'nps' AND score IS NOT NULL
                    AND profile_id IS NOT NULL AND answered_at < {e}) a
                WHERE k = 1 AND score < 7"""
        )
    if scores:
        parts.append(
            "SELECT profile_id, churn_risk AS risk FROM profile_scores "
            f"WHERE churn_risk >= {AT_RISK}"
        )
    if not parts:
        return 0.0, 0.0, 0
    amount = to_reporting("o.amount", "o.currency")
    union = " UNION ALL ".join(parts)
    risk = "coalesce(ps.churn_risk, f.risk)" if scores else "f.risk"
    # a detractor counts with risk 1 for "at risk" revenue; the expected loss uses the
    # predicted churn risk where there is one (detractor-only people count at 1 × revenue
    # only in revenue_at_risk, and at their churn risk if scored).
    sql = f"""
        WITH flagged AS (SELECT profile_id, max(risk) AS risk FROM ({union}) u GROUP BY profile_id),
        revenue AS (
            SELECT o.profile_id, sum({amount}) AS revenue FROM orders o
            JOIN flagged f ON f.profile_id = o.profile_id
            WHERE o.timestamp >= {since} AND o.timestamp < {e} GROUP BY o.profile_id
        )
        SELECT sum(r.revenue), sum(r.revenue * {risk}), count(*)
        FROM revenue r JOIN flagged f ON f.profile_id = r.profile_id
        {"LEFT JOIN profile_scores ps ON ps.profile_id = r.profile_id" if scores else ""}"""
    row = database.query(sql)[0]
    return float(row[0] or 0), float(row[1] or 0), int(row[2] or 0)


def _closing_the_loop(database: Database, end: datetime) -> LoopEffect | None:
    e = sql_time(end)
    amount = to_reporting("o.amount", "o.currency")
    sql = f"""
        WITH detractors AS (
            SELECT profile_id, min(answered_at) AS answered FROM survey_answers
            WHERE question_type = 'nps' AND score < 7 AND profile_id IS NOT NULL
              AND answered_at < {e}
            GROUP BY profile_id
        ), closed AS (
            SELECT DISTINCT profile_id FROM cases WHERE status = 'closed' AND profile_id IS NOT NULL
        ), people AS (
            SELECT d.profile_id, d.answered,
                   CASE WHEN c.profile_id IS NULL THEN 0 ELSE 1 END AS closed
            FROM detractors d LEFT JOIN closed c ON c.profile_id = d.profile_id
        ), after AS (
            SELECT p.profile_id, count(o.order_id) AS orders, coalesce(sum({amount}), 0) AS revenue
            FROM people p LEFT JOIN orders o ON o.profile_id = p.profile_id
             AND o.timestamp > p.answered
             AND EXTRACT(EPOCH FROM o.timestamp)
                 <= EXTRACT(EPOCH FROM p.answered) + {FOLLOW_UP_DAYS * 86400}
            GROUP BY p.profile_id
        )
        SELECT p.closed, count(*), sum(CASE WHEN a.orders > 0 THEN 1 ELSE 0 END), avg(a.revenue)
        FROM people p JOIN after a ON a.profile_id = p.profile_id GROUP BY p.closed"""
    rows = {int(r[0]): (int(r[1]), int(r[2] or 0), float(r[3] or 0)) for r in database.query(sql)}
    if not rows:
        return None
    closed = rows.get(1, (0, 0, 0.0))
    other = rows.get(0, (0, 0, 0.0))
    difference = low = high = p_value = None
    if closed[0] and other[0]:
        comparison = formulas.compare_rates(closed[1], closed[0], other[1], other[0])
        difference, low, high, p_value = (
            comparison.difference,
            comparison.low,
            comparison.high,
            comparison.p_value,
        )
    return LoopEffect(
        closed[0],
        100 * closed[1] / closed[0] if closed[0] else None,
        closed[2],
        other[0],
        100 * other[1] / other[0] if other[0] else None,
        other[2],
        difference,
        low,
        high,
        p_value,
    )
