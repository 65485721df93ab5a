"""Amounts in one reporting currency, so a customer's CLV adds like with like.

Orders carry their own currency (the demo sells in CNY, EUR, GBP and USD). CLV,
deciles and value × risk rankings need one unit, so amounts are converted with
fixed reference rates to the reporting currency (``CXM_PREDICT_CURRENCY``, EUR by
default); orders all in one currency are left as they are. The rates are a
documented approximation (ECB reference rates, late 2026 order of magnitude), not
a live feed; set ``CXM_PREDICT_RATES`` ("USD=0.92,GBP=1.17,...", value of one unit
in the reporting currency) to override. An unknown currency counts at 1.0 and is
reported by :func:`unknown_currencies`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def reporting_currency() -> str:
    return os.environ.get("CXM_PREDICT_CURRENCY", "EUR").upper()


# Value of one unit in EUR.
DEFAULT_RATES: dict[str, float] = {
    "EUR": 1.0,
    "USD": 0.92,
    "GBP": 1.17,
    "CNY": 0.13,
    "JPY": 0.0061,
    "CHF": 1.05,
}


def rates() -> dict[str, float]:
    """Reference rates, with ``CXM_PREDICT_RATES`` overriding the defaults."""
    out = dict(DEFAULT_RATES)
    for part in os.environ.get("CXM_PREDICT_RATES", "").split(","):
        code, _, value = part.partition("=")
        if code.strip() and value.strip():
            out[code.strip().upper()] = float(value)
    base = out.get(reporting_currency(), 1.0)
    return {code: value / base for code, value in out.items()}


def to_reporting(
    amount: npt.NDArray[np.float64], currency: Sequence[str | None]
) -> npt.NDArray[np.float64]:
    """Convert amounts row by row; with a single currency nothing is converted."""
    if len(set(currency)) <= 1:
        return amount
    table = rates()
    factor = np.array([table.get((c or "").upper(), 1.0) for c in currency], dtype=np.float64)
    return amount * factor


def unknown_currencies(currency: Sequence[str | None]) -> set[str]:
    table = rates()
    return {c for c in currency if c and c.upper() not in table}
