"""Key driver analysis: which attributes (or touchpoints) drive NPS or CSAT.

Importance is Johnson's (2000) *relative weight*: the outcome is regressed on the
orthogonal counterparts of the standardised predictors, and each predictor gets
the share of R² it accounts for — unlike regression coefficients it stays
meaningful when the attributes are correlated, as survey ratings always are, and
the weights add up to R². Significance follows Tonidandel, LeBreton & Johnson
(2009): bootstrap the weights together with those of a random noise variable and
call a driver significant when its weight exceeds the noise weight in ≥ 95% of
resamples (p = share of resamples where it does not).

Predictors are the items of rating/matrix answers of the same response (e.g.
"delivery", "price"). A survey without them falls back to what each respondent
experienced at the touchpoints (their CSAT/CES answers per touchpoint, tickets,
reopened tickets, ticket CSAT, review ratings), person by person. Performance is
the mean rescaled to 0–100 over the observed range, oriented so that higher is
better; the quadrant splits at the mean importance and mean performance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from cxm.metrics.query import QueryError, sql_time
from cxm.store import Database

Outcome = Literal["nps", "csat"]
MIN_RESPONSES = 20
MAX_ROWS_FOR_BOOTSTRAP = 2000
BOOTSTRAP_SAMPLES = 200
EXCLUDED_ITEMS = ("personalisation_importance", "personalisation_experience")
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Driver:
    name: str
    weight: float  # raw relative weight (its part of R²)
    share: float  # percent of R²
    performance: float  # 0–100
    p_value: float
    quadrant: str

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight": round(self.weight, 6),
            "share": round(self.share, 3),
            "performance": round(self.performance, 3),
            "p_value": round(self.p_value, 4),
            "significant": self.significant,
            "quadrant": self.quadrant,
        }


@dataclass(frozen=True)
class DriverAnalysis:
    outcome: str
    kind: str  # "attributes" | "touchpoints" | "none"
    n: int
    r_squared: float
    drivers: list[Driver]
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "predictors": self.kind,
            "n": self.n,
            "r_squared": round(self.r_squared, 6),
            "drivers": [d.as_dict() for d in self.drivers],
            "reason": self.reason,
        }


def relative_weights(x: Matrix, y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Johnson's (2000) raw relative weights of the columns of ``x`` for ``y``."""
    both = np.nan_to_num(np.atleast_2d(np.corrcoef(np.column_stack([x, y]), rowvar=False)))
    rxx, rxy = both[:-1, :-1], both[:-1, -1]
    eigenvalues, eigenvectors = np.linalg.eigh(rxx)
    eigenvalues = np.clip(eigenvalues, 1e-12, None)
    lam = eigenvectors @ np.diag(np.sqrt(eigenvalues)) @ eigenvectors.T
    beta = np.linalg.solve(lam, rxy)
    return np.asarray((lam**2) @ (beta**2), dtype=np.float64)


def _significance(x: Matrix, y: npt.NDArray[np.float64], seed: int = 7) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    if len(y) > MAX_ROWS_FOR_BOOTSTRAP:
        keep = rng.choice(len(y), MAX_ROWS_FOR_BOOTSTRAP, replace=False)
        x, y = x[keep], y[keep]
    noise = rng.standard_normal(len(y))
    with_noise = np.column_stack([x, noise])
    not_above = np.zeros(x.shape[1])
    for _ in range(BOOTSTRAP_SAMPLES):
        rows = rng.integers(0, len(y), len(y))
        weights = relative_weights(with_noise[rows], y[rows])
        not_above += weights[:-1] <= weights[-1]
    return np.asarray((not_above + 1) / (BOOTSTRAP_SAMPLES + 1), dtype=np.float64)


def _quadrant(important: bool, performing: bool) -> str:
    if important:
        return "strength: keep it up" if performing else "priority: fix first"
    return "maintain: possible overkill" if performing else "secondary: low priority"


def analyse(
    x: Matrix,
    y: npt.NDArray[np.float64],
    names: list[str],
    performance: list[float],
    outcome: str,
    kind: str,
) -> DriverAnalysis:
    usable = [j for j in range(x.shape[1]) if np.std(x[:, j]) > 0]
    x = x[:, usable]
    names = [names[j] for j in usable]
    performance = [performance[j] for j in usable]
    if len(y) < MIN_RESPONSES or not names:
        reason = f"needs at least {MIN_RESPONSES} responses with a varying predictor"
        return DriverAnalysis(outcome, "none", len(y), 0.0, [], reason)
    weights = relative_weights(x, y)
    r_squared = float(weights.sum())
    p_values = _significance(x, y)
    mean_weight = float(weights.mean())
    mean_performance = float(np.mean(performance))
    drivers = [
        Driver(
            name,
            float(w),
            100 * float(w) / r_squared if r_squared > 0 else 0.0,
            perf,
            float(p),
            _quadrant(bool(w >= mean_weight), perf >= mean_performance),
        )
        for name, w, perf, p in zip(names, weights, performance, p_values, strict=True)
    ]
    drivers.sort(key=lambda d: -d.weight)
    return DriverAnalysis(outcome, kind, len(y), r_squared, drivers)


def key_drivers(
    database: Database,
    outcome: Outcome = "nps",
    start: datetime | None = None,
    end: datetime | None = None,
) -> DriverAnalysis:
    """Relative importance of the rated attributes (or touchpoints) for NPS or CSAT."""
    if outcome not in ("nps", "csat"):
        raise QueryError("outcome", "must be nps or csat")
    if "survey_answers" not in database.table_names():
        return DriverAnalysis(outcome, "none", 0, 0.0, [], "no survey answers yet")
    period = ""
    if start is not None:
        period += f" AND answered_at >= {sql_time(start)}"
    if end is not None:
        period += f" AND answered_at < {sql_time(end)}"
    excluded = ", ".join(f"'{i}'" for i in EXCLUDED_ITEMS)
    items = [
        (str(r[0]), float(r[1]), float(r[2]))
        for r in database.query(
            "SELECT item, min(score), max(score) FROM survey_answers "
            "WHERE question_type IN ('rating', 'matrix') AND item <> '' AND score IS NOT NULL "
            f"AND item NOT IN ({excluded}){period} GROUP BY item HAVING count(*) >= ? "
            "ORDER BY item",
            [MIN_RESPONSES],
        )
    ]
    if len(items) >= 2:
        return _attributes(database, outcome, items, period)
    return _experience(database, outcome, period, end)


def _attributes(
    database: Database, outcome: str, items: list[tuple[str, float, float]], period: str
) -> DriverAnalysis:
    columns = ", ".join(
        f"max(CASE WHEN question_type IN ('rating', 'matrix') AND item = ? THEN score END) AS x{j}"
        for j in range(len(items))
    )
    sql = (
        f"SELECT max(CASE WHEN question_type = ? THEN score END) AS y, {columns} "
        "FROM survey_answers WHERE score IS NOT NULL "
        f"AND question_type IN (?, 'rating', 'matrix'){period} GROUP BY response_id"
    )
    table = database.query_arrow(sql, [outcome, *(name for name, _, _ in items), outcome])
    data = np.column_stack(
        [table.column(i).to_numpy(zero_copy_only=False) for i in range(table.num_columns)]
    ).astype(np.float64)
    data = data[~np.isnan(data).any(axis=1)]
    y, x = data[:, 0], data[:, 1:]
    performance = [
        100 * (float(np.mean(x[:, j])) - low) / (high - low) if high > low and len(x) else 0.0
        for j, (_, low, high) in enumerate(items)
    ]
    return analyse(x, y, [name for name, _, _ in items], performance, outcome, "attributes")


# Person-level experience features, when a survey rates no attributes: for each person
# with an outcome answer, what they went through at each touchpoint up to the period
# end. (SQL, higher-is-better) — "higher is better" orients the performance axis.
_EXPERIENCE: tuple[tuple[str, str, bool], ...] = (
    (
        "SELECT profile_id, question_type || ' at ' || coalesce(touchpoint, 'any') AS feature, "
        "avg(CASE WHEN question_type = 'ces' THEN score * 5.0 / 7 ELSE score END) AS value "
        "FROM survey_answers WHERE question_type IN ('csat', 'ces', 'rating') "
        "AND question_type <> '{outcome}' AND score IS NOT NULL AND answered_at < {end} "
        "AND profile_id IS NOT NULL GROUP BY profile_id, question_type, touchpoint",
        "",
        True,
    ),
    (
        "SELECT profile_id, 'ticket CSAT' AS feature, avg(csat) AS value FROM tickets "
        "WHERE csat IS NOT NULL AND created_at < {end} AND profile_id IS NOT NULL "
        "GROUP BY profile_id",
        "ticket CSAT",
        True,
    ),
    (
        "SELECT profile_id, 'support tickets' AS feature, count(*) AS value FROM tickets "
        "WHERE created_at < {end} AND profile_id IS NOT NULL GROUP BY profile_id",
        "support tickets",
        False,
    ),
    (
        "SELECT profile_id, 'ticket reopened' AS feature, "
        "max(CASE WHEN reopened THEN 1.0 ELSE 0.0 END) AS value FROM tickets "
        "WHERE created_at < {end} AND profile_id IS NOT NULL GROUP BY profile_id",
        "ticket reopened",
        False,
    ),
    (
        "SELECT profile_id, 'review rating' AS feature, avg(rating) AS value FROM reviews "
        "WHERE rating IS NOT NULL AND posted_at < {end} AND profile_id IS NOT NULL "
        "GROUP BY profile_id",
        "review rating",
        True,
    ),
)
MIN_COVERAGE = 0.1


def _experience(
    database: Database, outcome: str, period: str, end: datetime | None
) -> DriverAnalysis:
    """Drivers among what each respondent experienced at the touchpoints (person level).

    Missing values (a person who never opened a ticket) are filled with the
    feature's mean; features that fewer than 10% of respondents have are dropped.
    """
    answers = database.query(
        "SELECT profile_id, score FROM (SELECT profile_id, score, row_number() OVER ("
        "PARTITION BY profile_id ORDER BY answered_at DESC) AS k FROM survey_answers "
        f"WHERE question_type = ? AND score IS NOT NULL AND profile_id IS NOT NULL{period}) a "
        "WHERE k = 1",
        [outcome],
    )
    if not answers:
        return DriverAnalysis(outcome, "none", 0, 0.0, [], f"no {outcome} answers in the period")
    index = {str(r[0]): i for i, r in enumerate(answers)}
    y = np.array([float(r[1]) for r in answers])
    end_sql = sql_time(end) if end is not None else "CAST('9999-01-01' AS TIMESTAMPTZ)"
    tables = set(database.table_names())
    columns: dict[str, npt.NDArray[np.float64]] = {}
    better_up: dict[str, bool] = {}
    for sql, _, up in _EXPERIENCE:
        source = sql.split(" FROM ")[1].split()[0]
        if source not in tables:
            continue
        for profile_id, feature, value in database.query(sql.format(outcome=outcome, end=end_sql)):
            row = index.get(str(profile_id))
            if row is None or value is None:
                continue
            name = str(feature)
            if name not in columns:
                columns[name] = np.full(len(y), np.nan)
                better_up[name] = up
            columns[name][row] = float(value)
    names, matrix, performance = [], [], []
    for name, column in sorted(columns.items()):
        present = ~np.isnan(column)
        if present.mean() < MIN_COVERAGE or present.sum() < 2:
            continue
        values = column[present]
        low, high = float(values.min()), float(values.max())
        scaled = 100 * (float(values.mean()) - low) / (high - low) if high > low else 50.0
        names.append(name)
        performance.append(scaled if better_up[name] else 100 - scaled)
        matrix.append(np.where(present, column, float(values.mean())))
    if not names:
        return DriverAnalysis(outcome, "none", len(y), 0.0, [], "no touchpoint experience data")
    result = analyse(np.column_stack(matrix), y, names, performance, outcome, "touchpoints")
    reason = (
        "no rated attributes in this survey: drivers are what each respondent experienced "
        "at the touchpoints (survey scores per touchpoint, tickets, reviews)"
    )
    return DriverAnalysis(
        result.outcome,
        result.kind,
        result.n,
        result.r_squared,
        result.drivers,
        result.reason or reason,
    )
