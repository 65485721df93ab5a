"""Score every profile: CLV, P(alive), churn risk with reasons and cause, segments.

``score_profiles`` is the contract other stages use (engage targets
``profile_scores`` and ``winback_candidates``). It runs as of the newest event or
order in the store (= now on a live system), fits the CLV models on all orders up to
then, applies the latest churn model (``cxm predict churn train``) — or, when none
was trained, uses 1 − P(alive) as the non-contractual risk — and rewrites both tables
in one transaction, so readers see either the previous run or this one.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa

from cxm.predict import clv as clv_model
from cxm.predict.churn import (
    ChurnModel,
    data_end,
    reason_text,
    single_thread,
)
from cxm.predict.features import CAUSES, FEATURE_BY_NAME, FEATURE_NAMES, build_features, profile_ids
from cxm.predict.model_store import latest_model, save_model
from cxm.predict.rfm import day_number, load_transactions, summarise
from cxm.predict.segments import deciles, lead_scores, rfm_tiers
from cxm.store import Database

Floats = npt.NDArray[np.float64]

TOP_REASONS = 3
AT_RISK = 0.5  # churn risk from which a customer is a win-back candidate
MIN_CAUSE_SHARE = 0.01  # contributions below this (risk points) explain nothing
REASONS_FROM_RISK = 0.2  # customers below this risk get no reasons
MIN_ACTIONABLE = 0.02  # an actionable cause is named from 2 points of added risk

SCORE_SCHEMA = pa.schema(
    [
        ("profile_id", pa.string()),
        ("clv", pa.float64()),
        ("clv_horizon_days", pa.int32()),
        ("clv_method", pa.string()),
        ("p_alive", pa.float64()),
        ("expected_purchases", pa.float64()),
        ("frequency", pa.int32()),
        ("recency_days", pa.float64()),
        ("monetary", pa.float64()),
        ("churn_risk", pa.float64()),
        ("churn_reasons", pa.string()),
        ("churn_cause", pa.string()),
        ("rfm_tier", pa.string()),
        ("clv_decile", pa.int32()),
        ("lead_score", pa.float64()),
        ("is_customer", pa.bool_()),
        ("model_version", pa.string()),
        ("scored_at", pa.timestamp("us", tz="UTC")),
    ]
)
WINBACK_SCHEMA = pa.schema(
    [
        ("profile_id", pa.string()),
        ("cause", pa.string()),
        ("value", pa.float64()),
        ("risk", pa.float64()),
        ("priority", pa.float64()),
        ("rank_in_cause", pa.int32()),
        ("scored_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class ScoreRun:
    profiles: int
    customers: int
    at_risk: int
    model_version: str
    clv_method: str
    churn_model: str | None
    as_of: datetime
    scored_at: datetime
    seconds: float
    causes: dict[str, int]
    phases: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "profiles": self.profiles,
            "customers": self.customers,
            "at_risk": self.at_risk,
            "model_version": self.model_version,
            "clv_method": self.clv_method,
            "churn_model": self.churn_model,
            "as_of": self.as_of.isoformat(),
            "scored_at": self.scored_at.isoformat(),
            "seconds": round(self.seconds, 2),
            "causes": self.causes,
            "phases": {k: round(v, 2) for k, v in self.phases.items()},
        }


def _json_list(items: list[dict[str, Any]]) -> str:
    import orjson

    return orjson.dumps(items).decode()


@lru_cache(maxsize=65_536)
def _text(name: str, value: float) -> str:
    # Most values are counts and days: the same few texts repeat across customers.
    return reason_text(name, value)


def explain(
    model: ChurnModel, matrix: Floats, known: npt.NDArray[np.bool_] | None = None
) -> tuple[Floats, list[str], list[str | None], Floats]:
    """Risk, top reasons (as JSON text) and grouped cause per row, and the contributions.

    Reasons are written for known people (``known``: a customer, or a record in a
    customer system — not an anonymous browser) with risk ≥ ``REASONS_FROM_RISK``.
    The cause is the strongest actionable cause (service problems, poor experience,
    price) when it adds at least ``MIN_ACTIONABLE`` (its strongest feature then leads
    the reasons); otherwise
    inactivity — the symptom of leaving, named only when nothing else explains it.
    """
    risk, contrib = model.explain(matrix)
    wanted = risk >= REASONS_FROM_RISK
    explained = np.flatnonzero(wanted if known is None else wanted & known)
    reasons: list[str] = ["[]"] * len(matrix)
    causes: list[str | None] = [None] * len(matrix)
    if not len(explained):
        return risk, reasons, causes, contrib
    sub = contrib[explained]
    values = matrix[explained]
    cause_index = {c: i for i, c in enumerate(CAUSES)}
    cause_of = np.array(
        [cause_index.get(FEATURE_BY_NAME[n].cause, -1) for n in FEATURE_NAMES], dtype=np.int64
    )
    per_cause = np.zeros((len(sub), len(CAUSES)))
    positive = np.maximum(sub, 0.0)
    for k in range(len(CAUSES)):
        per_cause[:, k] = positive[:, cause_of == k].sum(axis=1)
    actionable = per_cause.copy()
    actionable[:, CAUSES.index("inactivity")] = 0.0
    named = actionable.max(axis=1) >= MIN_ACTIONABLE
    best = np.where(named, actionable.argmax(axis=1), CAUSES.index("inactivity"))
    has_cause = (per_cause.max(axis=1) >= MIN_CAUSE_SHARE).tolist()
    # "No data" (NaN) is not a reason a person can act on: rank those last.
    ranked = np.where(np.isnan(values), -np.inf, sub)
    top = np.argpartition(-ranked, TOP_REASONS, axis=1)[:, :TOP_REASONS]
    inner = np.argsort(-np.take_along_axis(ranked, top, axis=1), axis=1)
    top = np.take_along_axis(top, inner, axis=1)
    # A named cause leads the reasons with its strongest feature, so "price" never
    # comes with three reasons about e-mails.
    in_cause = cause_of[None, :] == best[:, None]
    lead = np.argmax(np.where(in_cause, ranked, -np.inf), axis=1)
    missing = named & ~(top == lead[:, None]).any(axis=1)
    top[missing] = np.column_stack([lead[missing], top[missing][:, : TOP_REASONS - 1]])
    reason_json = _reasons_json(top, np.take_along_axis(ranked, top, axis=1), values)
    cause_names = np.array([*CAUSES, None], dtype=object)
    chosen = np.where(np.array(has_cause, dtype=bool), best, len(CAUSES))
    for row, i in enumerate(explained.tolist()):
        reasons[i] = reason_json[row]
    cause_of_row = cause_names[chosen].tolist()
    for row, i in enumerate(explained.tolist()):
        causes[i] = cause_of_row[row]
    return risk, reasons, causes, contrib


_HEADS = np.array([f'{{"feature":"{n}","contribution":' for n in FEATURE_NAMES], dtype=object)
_MIDS = np.array(
    [f',"cause":"{FEATURE_BY_NAME[n].cause}","text":' for n in FEATURE_NAMES], dtype=object
)


def _reasons_json(top: npt.NDArray[np.int64], contrib: Floats, values: Floats) -> list[str]:
    """The JSON list of reasons per row, built column-wise (no dict per reason).

    ``top`` holds each row's feature indices, largest contribution first; entries
    under ``MIN_CAUSE_SHARE`` (or with no value, ranked −inf) are left out. Texts
    are formatted once per distinct (feature, value).
    """
    rows, slots = top.shape
    valid = contrib >= MIN_CAUSE_SHARE
    features = top[valid]
    shown = np.round(np.take_along_axis(values, top, axis=1)[valid], 2)
    pairs, inverse = np.unique(
        np.column_stack([features.astype(np.float64), shown]), axis=0, return_inverse=True
    )
    texts = np.array(
        [orjson.dumps(_text(FEATURE_NAMES[int(j)], float(x))).decode() for j, x in pairs],
        dtype=object,
    )
    amounts = np.array([f"{c:.4f}".rstrip("0").rstrip(".") for c in contrib[valid]], dtype=object)
    element = np.full((rows, slots), "", dtype=object)
    element[valid] = _HEADS[features] + amounts + _MIDS[features] + texts[inverse.ravel()] + "}"
    joined = np.full(rows, "[", dtype=object)
    for k in range(slots):
        separator = np.where(valid[:, k] & valid[:, :k].any(axis=1), ",", "")
        joined = joined + separator.astype(object) + element[:, k]
    out: list[str] = (joined + "]").tolist()
    return out


def score_profiles(
    database: Database,
    horizon_days: int = 365,
    discount_rate: float = 0.1,
    as_of: datetime | None = None,
) -> ScoreRun:
    """Score every profile and rewrite ``profile_scores`` and ``winback_candidates``."""
    with single_thread():
        return _score(database, horizon_days, discount_rate, as_of)


def _score(
    database: Database, horizon_days: int, discount_rate: float, as_of: datetime | None
) -> ScoreRun:
    started = time.perf_counter()
    scored_at = datetime.now(UTC)
    as_of = as_of or data_end(database) or scored_at
    profiles = profile_ids(database)
    index = {p: i for i, p in enumerate(profiles)}
    n = len(profiles)

    # CLV on every order up to as_of; only customers linked to a profile are written.
    clv = np.full(n, np.nan)
    p_alive = np.full(n, np.nan)
    expected = np.full(n, np.nan)
    frequency = np.zeros(n, dtype=np.int64)
    recency_days = np.full(n, np.nan)
    monetary = np.full(n, np.nan)
    is_customer = np.zeros(n, dtype=bool)
    clv_method = "none"
    clv_version = "clv-none"
    phases: dict[str, float] = {}
    mark = time.perf_counter()
    tx = load_transactions(database)
    if len(tx.day):
        summary = summarise(tx, as_of.date(), "week")
        if summary.size:
            fit = clv_model.fit_summary(summary)
            prediction = clv_model.predict(fit, horizon_days, discount_rate)
            clv_method = fit.method
            stored = save_model(
                database,
                "clv",
                {"horizon_days": horizon_days, "discount_rate": discount_rate},
                fit.report(),
                clv_model.params_dict(fit),
            )
            clv_version = stored.version
            rows = np.array([index.get(c, -1) for c in summary.customers], dtype=np.int64)
            ok = rows >= 0
            target = rows[ok]
            clv[target] = prediction.clv[ok]
            p_alive[target] = prediction.p_alive[ok]
            expected[target] = prediction.expected_purchases[ok]
            frequency[target] = summary.frequency[ok].astype(np.int64) + 1
            recency_days[target] = (
                day_number(summary.calibration_end) - summary.last_day[ok]
            ).astype(np.float64)
            monetary[target] = summary.total_spend[ok] / (summary.frequency[ok] + 1)
            is_customer[target] = True

    phases["clv"], mark = time.perf_counter() - mark, time.perf_counter()
    frame = build_features(database, as_of, profiles)
    phases["features"], mark = time.perf_counter() - mark, time.perf_counter()
    churn = latest_model(database, "churn")
    reasons: list[str]
    causes: list[str | None]
    contrib = np.zeros((n, len(FEATURE_NAMES)))
    if churn is not None and isinstance(churn.payload, ChurnModel) and n:
        model: ChurnModel = churn.payload
        matrix = frame.matrix.copy()
        known = is_customer | (frame.column("sources") > 0)
        risk, reasons, causes, contrib = explain(model, matrix, known)
        churn_version: str | None = churn.version
    else:
        churn_version = None
        risk = np.where(is_customer, 1.0 - p_alive, np.nan)
        reasons, causes = [], []
        for i in range(n):
            if is_customer[i] and risk[i] >= MIN_CAUSE_SHARE:
                days = recency_days[i]
                reasons.append(
                    _json_list(
                        [
                            {
                                "feature": "p_alive",
                                "contribution": round(float(risk[i]), 4),
                                "cause": "inactivity",
                                "text": f"no purchase for {days:.0f} days "
                                f"(P(alive) {p_alive[i]:.2f})",
                            }
                        ]
                    )
                )
                causes.append("inactivity")
            else:
                reasons.append("[]")
                causes.append(None)

    phases["churn and reasons"], mark = time.perf_counter() - mark, time.perf_counter()
    tiers = ["prospect"] * n
    decile = np.full(n, -1, dtype=np.int64)
    customers = np.flatnonzero(is_customer)
    if len(customers):
        purchases = frequency[customers].astype(np.float64)
        named = rfm_tiers(recency_days[customers], purchases, monetary[customers] * purchases)
        for i, tier in zip(customers.tolist(), named, strict=True):
            tiers[i] = tier
        decile[customers] = deciles(np.nan_to_num(clv[customers]))
    lead = lead_scores(frame.matrix, is_customer, clv)
    version = clv_version + ("+" + churn_version if churn_version else "")

    def _f(values: Floats) -> pa.Array:
        return pa.array(values, type=pa.float64(), mask=~np.isfinite(values))

    phases["segments and lead score"], mark = time.perf_counter() - mark, time.perf_counter()
    scores = pa.table(
        {
            "profile_id": profiles,
            "clv": _f(clv),
            "clv_horizon_days": [horizon_days] * n,
            "clv_method": pa.array([clv_method] * n, pa.string(), mask=~is_customer),
            "p_alive": _f(p_alive),
            "expected_purchases": _f(expected),
            "frequency": pa.array(frequency, pa.int32()),
            "recency_days": _f(recency_days),
            "monetary": _f(monetary),
            "churn_risk": _f(risk),
            "churn_reasons": pa.array(reasons, pa.string()),
            "churn_cause": causes,
            "rfm_tier": tiers,
            "clv_decile": pa.array(decile, pa.int32(), mask=decile <= 0),
            "lead_score": _f(lead),
            "is_customer": pa.array(is_customer, pa.bool_()),
            "model_version": [version] * n,
            "scored_at": [scored_at] * n,
        },
        schema=SCORE_SCHEMA,
    )
    winback = _winback(profiles, is_customer, clv, monetary, frequency, risk, causes, scored_at)
    with database.transaction() as tx_:
        tx_.execute("DELETE FROM profile_scores")
        tx_.execute("DELETE FROM winback_candidates")
        if n:
            tx_.append("profile_scores", scores)
        if winback.num_rows:
            tx_.append("winback_candidates", winback)
    phases["write"], mark = time.perf_counter() - mark, time.perf_counter()
    cause_counts = Counter(
        c
        for c, r, cust in zip(causes, risk, is_customer, strict=True)
        if c and cust and r >= AT_RISK
    )
    report = {
        "as_of": as_of.isoformat(),
        "profiles": n,
        "customers": int(is_customer.sum()),
        "at_risk": winback.num_rows,
        "clv_method": clv_method,
        "model_version": version,
        "churn_model": churn_version,
        "causes_by_segment": _causes_by_segment(tiers, causes, risk, is_customer),
        "drivers_by_segment": _drivers_by_segment(tiers, contrib, is_customer),
    }
    save_model(database, "score_run", {"horizon_days": horizon_days}, report)
    return ScoreRun(
        profiles=n,
        customers=int(is_customer.sum()),
        at_risk=winback.num_rows,
        model_version=version,
        clv_method=clv_method,
        churn_model=churn_version,
        as_of=as_of,
        scored_at=scored_at,
        seconds=time.perf_counter() - started,
        phases=phases,
        causes=dict(cause_counts),
    )


def _winback(
    profiles: list[str],
    is_customer: npt.NDArray[np.bool_],
    clv: Floats,
    monetary: Floats,
    frequency: npt.NDArray[np.int64],
    risk: Floats,
    causes: list[str | None],
    scored_at: datetime,
) -> pa.Table:
    """Customers at risk, by cause, ranked by value × risk within each cause."""
    # Value: model CLV; with none, what they spent on average per purchase.
    value = np.where(np.isfinite(clv), clv, np.nan_to_num(monetary) * frequency)
    cause_array = np.array([c or "" for c in causes], dtype=object)
    chosen = np.flatnonzero(is_customer & (np.nan_to_num(risk) >= AT_RISK) & (cause_array != ""))
    priority = value[chosen] * risk[chosen]
    # Sort by cause, then priority descending; rank restarts in each cause.
    order = np.lexsort((-priority, cause_array[chosen].astype(str)))
    picked = chosen[order]
    picked_cause = cause_array[picked].astype(str)
    starts = (
        np.r_[True, picked_cause[1:] != picked_cause[:-1]] if len(picked) else np.zeros(0, bool)
    )
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(picked)), 0))
    rank = np.arange(len(picked)) - group_start + 1
    profile_array = np.array(profiles, dtype=object)
    return pa.table(
        {
            "profile_id": pa.array(profile_array[picked].tolist(), pa.string()),
            "cause": pa.array(picked_cause.tolist(), pa.string()),
            "value": pa.array(value[picked], pa.float64()),
            "risk": pa.array(risk[picked], pa.float64()),
            "priority": pa.array(priority[order], pa.float64()),
            "rank_in_cause": pa.array(rank, pa.int32()),
            "scored_at": pa.array(
                [scored_at] * len(picked), WINBACK_SCHEMA.field("scored_at").type
            ),
        },
        schema=WINBACK_SCHEMA,
    )


def _causes_by_segment(
    tiers: list[str], causes: list[str | None], risk: Floats, is_customer: npt.NDArray[np.bool_]
) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for tier, cause, r, cust in zip(tiers, causes, risk, is_customer, strict=True):
        if cust and cause and np.isfinite(r) and r >= AT_RISK:
            out[tier][cause] += 1
    return {k: dict(v) for k, v in out.items()}


def _drivers_by_segment(
    tiers: list[str], contrib: Floats, is_customer: npt.NDArray[np.bool_], top: int = 5
) -> dict[str, list[dict[str, Any]]]:
    """Per RFM tier: the features that add the most risk on average."""
    out: dict[str, list[dict[str, Any]]] = {}
    tier_array = np.array(tiers, dtype=object)
    for tier in sorted(set(tiers)):
        mask = (tier_array == tier) & (is_customer if tier != "prospect" else ~is_customer)
        if not mask.any() or not contrib.any():
            continue
        mean = np.maximum(contrib[mask], 0).mean(axis=0)
        order = np.argsort(-mean)[:top]
        out[tier] = [
            {
                "feature": FEATURE_NAMES[j],
                "cause": FEATURE_BY_NAME[FEATURE_NAMES[j]].cause,
                "mean_contribution": round(float(mean[j]), 4),
            }
            for j in order
            if mean[j] > 0
        ]
    return out
