"""Customer lifetime value: BG/NBD × Gamma-Gamma, discounted, or plain historical.

Model CLV over a horizon H with an annual discount rate d (as ``lifetimes`` and
Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves"): the horizon is cut
into 30-day steps k = 1..K; in each step the customer is expected to buy
E[Y(t_k)] − E[Y(t_{k−1})] times (BG/NBD, conditional on their history) at the
Gamma-Gamma expected spend, discounted by (1 + d)^(t_k / 365)::

    CLV = Σ_k  E[Z | x, z̄] · (E[Y(t_k)] − E[Y(t_{k−1})]) / (1 + d)^(t_k/365)

Historical CLV (for a shop with too little history to fit the models, fewer than
``MIN_REPEAT_CUSTOMERS`` repeat buyers): the customer's spend rate since the first
purchase, (total spend) / max(age, 30 days), carried over the horizon and
discounted the same way, with no notion of dropout.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from cxm.errors import FieldError
from cxm.predict import bgnbd, gammagamma
from cxm.predict.rfm import UNIT_DAYS, RfmSummary, TimeUnit, rfm_summary
from cxm.store import Database

Floats = npt.NDArray[np.float64]

MIN_REPEAT_CUSTOMERS = 20
FIT_SAMPLE = 25_000  # customers the models are fitted on (all below this)
STEP_DAYS = 30


class ClvError(FieldError):
    pass


@dataclass(frozen=True)
class ClvFit:
    """Fitted CLV models on one RFM summary (``bgnbd``/``gamma_gamma`` None if historical)."""

    summary: RfmSummary
    bgnbd: bgnbd.BgNbdParams | None
    gamma_gamma: gammagamma.GammaGammaParams | None
    method: str  # "bgnbd+gamma-gamma" | "historical"

    def report(self) -> dict[str, Any]:
        """The JSON the CLI prints and the model table stores."""
        out: dict[str, Any] = {
            "method": self.method,
            "calibration_end": self.summary.calibration_end.isoformat(),
            "time_unit": self.summary.time_unit,
            "customers": self.summary.size,
            "repeat_customers": int((self.summary.frequency > 0).sum()),
        }
        if self.bgnbd is not None:
            b = self.bgnbd
            out.update(r=b.r, alpha=b.alpha, a=b.a, b=b.b)
            out["log_likelihood"] = b.log_likelihood
            out["bgnbd_converged"] = b.converged
        if self.gamma_gamma is not None:
            g = self.gamma_gamma
            out.update(p=g.p, q=g.q, gamma=g.gamma)
            out["gamma_gamma_log_likelihood"] = g.log_likelihood
            out["gamma_gamma_customers"] = g.customers
            out["frequency_spend_correlation"] = g.frequency_spend_correlation
        return out


def fit_summary(summary: RfmSummary, method: str = "auto") -> ClvFit:
    """Fit BG/NBD and Gamma-Gamma, or fall back to historical CLV with little history."""
    if method not in ("auto", "model", "historical"):
        raise ClvError("method", "must be auto, model or historical")
    if summary.size == 0:
        raise ClvError("calibration_end", "no orders on or before the calibration end")
    repeaters = int((summary.frequency > 0).sum())
    if method == "historical" or (method == "auto" and repeaters < MIN_REPEAT_CUSTOMERS):
        return ClvFit(summary, None, None, "historical")
    if repeaters < 2:
        raise ClvError("orders", "fewer than 2 customers with repeat purchases: use historical")
    x, t_x, T, z = summary.frequency, summary.recency, summary.T, summary.monetary
    if summary.size > FIT_SAMPLE:
        # Four (three) parameters are pinned down well before 25k customers; a
        # fixed-seed sample keeps a million-customer fit to seconds.
        rows = np.random.default_rng(0).choice(summary.size, FIT_SAMPLE, replace=False)
        x, t_x, T, z = x[rows], t_x[rows], T[rows], z[rows]
    bg = bgnbd.fit(x, t_x, T)
    gg = gammagamma.fit(x, z)
    return ClvFit(summary, bg, gg, "bgnbd+gamma-gamma")


def fit_clv(
    database: Database,
    calibration_end: date | None = None,
    time_unit: TimeUnit = "week",
    method: str = "auto",
) -> ClvFit:
    return fit_summary(rfm_summary(database, calibration_end, time_unit), method)


@dataclass(frozen=True)
class ClvPrediction:
    clv: Floats
    p_alive: Floats
    expected_purchases: Floats  # over the horizon
    expected_spend: Floats
    horizon_days: int
    discount_rate: float
    method: str


def _steps(horizon_days: int) -> list[float]:
    ends = [*range(STEP_DAYS, horizon_days, STEP_DAYS), horizon_days]
    return [float(e) for e in ends]


def predict(fit: ClvFit, horizon_days: int = 365, discount_rate: float = 0.1) -> ClvPrediction:
    """CLV, P(alive) and expected purchases over the horizon for every customer."""
    if horizon_days < 1:
        raise ClvError("horizon_days", "must be at least 1")
    if not 0 <= discount_rate < 1:
        raise ClvError("discount_rate", "must be in [0, 1) (annual, e.g. 0.1)")
    s = fit.summary
    unit = UNIT_DAYS[s.time_unit]
    steps = _steps(horizon_days)
    if fit.bgnbd is None or fit.gamma_gamma is None:
        age_days = np.maximum(s.T * unit, 30.0)
        rate = s.total_spend / age_days  # per day
        clv = np.zeros(s.size)
        last = 0.0
        for end in steps:
            clv += rate * (end - last) / (1 + discount_rate) ** (end / 365.0)
            last = end
        purchases = (s.frequency + 1) / age_days * horizon_days
        spend = s.total_spend / (s.frequency + 1)
        return ClvPrediction(
            clv, np.ones(s.size), purchases, spend, horizon_days, discount_rate, "historical"
        )
    spend = gammagamma.expected_spend(fit.gamma_gamma, s.frequency, s.monetary)
    clv = np.zeros(s.size)
    previous = np.zeros(s.size)
    for end in steps:
        cumulative = bgnbd.expected_purchases(fit.bgnbd, end / unit, s.frequency, s.recency, s.T)
        clv += spend * (cumulative - previous) / (1 + discount_rate) ** (end / 365.0)
        previous = cumulative
    alive = bgnbd.p_alive(fit.bgnbd, s.frequency, s.recency, s.T)
    return ClvPrediction(clv, alive, previous, spend, horizon_days, discount_rate, fit.method)


def params_dict(fit: ClvFit) -> dict[str, Any]:
    """Plain parameters for storage (no customer rows)."""
    return {
        "method": fit.method,
        "bgnbd": asdict(fit.bgnbd) if fit.bgnbd else None,
        "gamma_gamma": asdict(fit.gamma_gamma) if fit.gamma_gamma else None,
    }
