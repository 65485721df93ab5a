"""Gamma-Gamma model of spend per transaction.

Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (after Colombo &
Jiang 1999). A customer's transaction values are Gamma(p, ν); ν varies across
customers as Gamma(q, γ). Fitted on customers with x ≥ 1 repeat transactions and
their mean repeat value z̄::

    ln L = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln z̄ + px ln x
           − (px+q) ln(γ + x z̄)

Expected spend per transaction given (x, z̄) (their eq. 5)::

    E[Z | x, z̄] = (q−1)/(px+q−1) · γp/(q−1) + px/(px+q−1) · z̄

The model assumes spend is independent of purchase frequency; :func:`fit` reports
the Pearson correlation of x and z̄ so a user can check it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from cxm.predict.optimise import minimise as _minimise

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int
    frequency_spend_correlation: float
    converged: bool

    @property
    def mean_spend(self) -> float:
        """Population mean spend per transaction γp/(q−1) (finite for q > 1)."""
        return self.gamma * self.p / (self.q - 1) if self.q > 1 else float("nan")


def _objective(log_params: Floats, x: Floats, z: Floats) -> tuple[float, Floats]:
    # The optimiser's line search probes extreme parameters; overflow there yields a
    # non-finite likelihood, answered with a huge loss below, so numpy's warnings are noise.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _negative_log_likelihood(log_params, x, z)


def _negative_log_likelihood(log_params: Floats, x: Floats, z: Floats) -> tuple[float, Floats]:
    p, q, g = np.exp(log_params)
    px = p * x
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(z)
        + px * np.log(x)
        - (px + q) * np.log(g + x * z)
    )
    d_p = x * (digamma(px + q) - digamma(px) + np.log(z) + np.log(x) - np.log(g + x * z))
    d_q = digamma(px + q) - digamma(q) + np.log(g) - np.log(g + x * z)
    d_g = q / g - (px + q) / (g + x * z)
    total = float(ll.sum())
    if not np.isfinite(total):
        return 1e300, np.zeros(3)
    grad = np.array([d_p.sum() * p, d_q.sum() * q, d_g.sum() * g])
    return -total, -grad


def fit(frequency: Floats, monetary: Floats) -> GammaGammaParams:
    """Maximum-likelihood (p, q, γ) from customers with repeat purchases and z̄ > 0."""
    x = np.asarray(frequency, dtype=np.float64)
    z = np.asarray(monetary, dtype=np.float64)
    keep = (x > 0) & (z > 0)
    x, z = x[keep], z[keep]
    if len(x) < 2:
        raise ValueError("monetary: fewer than 2 customers with repeat purchases")
    start = np.log([1.0, 2.0, max(float(np.mean(z)), 1e-3)])
    result = _minimise(_objective, start, (x, z), [(-12.0, 12.0), (-12.0, 12.0), (-20.0, 25.0)])
    p, q, g = (float(v) for v in np.exp(result.x))
    corr = float(np.corrcoef(x, z)[0, 1]) if len(x) > 2 and np.std(x) > 0 else float("nan")
    return GammaGammaParams(
        p=p,
        q=q,
        gamma=g,
        log_likelihood=-float(result.fun),
        customers=len(x),
        frequency_spend_correlation=corr,
        converged=bool(result.success),
    )


def expected_spend(params: GammaGammaParams, frequency: Floats, monetary: Floats) -> Floats:
    """E[Z | x, z̄] per customer; customers with x = 0 get the population mean."""
    p, q, g = params.p, params.q, params.gamma
    x = np.asarray(frequency, dtype=np.float64)
    z = np.asarray(monetary, dtype=np.float64)
    population = g * p / (q - 1) if q > 1 else float(np.mean(z[x > 0])) if (x > 0).any() else 0.0
    denominator = p * x + q - 1
    weighted = (q - 1) / denominator * population + p * x / denominator * z
    return np.where(x > 0, weighted, population)
