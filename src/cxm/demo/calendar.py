"""When things happen: seasonality, weekly rhythm, time of day and fading activity.

Times are int64 milliseconds since the Unix epoch (UTC). Days are indexes into the
demo window (0 = ``config.start``). Sampling is inverse-CDF over per-country day
weights, so a whole column of timestamps is drawn in one vectorised step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

from cxm.demo.config import COUNTRIES, DemoConfig

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
DAY_MS = 86_400_000
# Activity of a churning customer declines linearly to zero over this many days.
FADE_DAYS = 120.0

# Share of activity per local hour (0-23): quiet nights, lunch bump, evening peak.
_HOURS = np.array(
    [
        1,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1.2,
        2.2,
        3.0,
        3.6,
        4.0,
        4.4,
        5.0,
        4.8,
        4.4,
        4.4,
        4.6,
        5.0,
        5.8,
        6.6,
        7.2,
        6.8,
        5.0,
        2.6,
    ],
    dtype=np.float64,
)
# Store opening hours (9:00-20:00), busiest on late afternoons.
_STORE_HOURS = np.array([0] * 9 + [2, 3, 4, 5, 5, 4, 5, 6, 7, 7, 4] + [0] * 4, dtype=np.float64)


def _day_weights(start: date, days: int, country: str) -> Floats:
    """Relative volume per day: growth, weekends, sales seasons, national holidays."""
    ordinals = np.arange(days) + start.toordinal()
    dates = [date.fromordinal(int(o)) for o in ordinals]
    month = np.array([d.month for d in dates])
    mday = np.array([d.day for d in dates])
    weekday = np.array([d.weekday() for d in dates])
    weights = 1.0 + 0.35 * np.arange(days) / 365.0  # the business grows
    weights = weights * np.where(weekday >= 5, 1.15, 1.0)
    weights = weights * np.where(np.isin(month, [11, 12]), 1.45, 1.0)
    weights = weights * np.where((month == 1) & (mday <= 10), 1.3, 1.0)  # January sales
    weights = weights * np.where((month == 6) & (mday >= 20), 1.25, 1.0)  # summer sale
    if country == "CN":
        weights = weights * np.where((month == 11) & (mday >= 1) & (mday <= 11), 1.8, 1.0)
        weights = weights * np.where((month == 11) & (mday == 11), 2.5, 1.0)  # Singles' Day
        weights = weights * np.where((month == 6) & (mday == 18), 2.0, 1.0)  # 618 festival
        weights = weights * np.where((month == 2) & (mday <= 14), 0.6, 1.0)  # Spring Festival
    else:
        # Black Friday: the Friday between 23 and 29 November, and the weekend after.
        black = (month == 11) & (mday >= 23) & (mday <= 29) & (weekday == 4)
        weights = weights + 2.5 * black + 1.2 * np.roll(black, 1) + 1.2 * np.roll(black, 3)
        weights = weights * np.where((month == 12) & (mday >= 24) & (mday <= 26), 0.5, 1.0)
    return np.asarray(weights, dtype=np.float64)


class Clock:
    """Samples timestamps inside the demo window for people in different countries."""

    def __init__(self, config: DemoConfig) -> None:
        self.days = config.days
        start = datetime.combine(config.start, datetime.min.time(), tzinfo=UTC)
        self.start_ms = int(start.timestamp() * 1000)
        self.end_ms = self.start_ms + self.days * DAY_MS
        self._cdf = np.zeros((len(COUNTRIES), self.days + 1))
        for index, country in enumerate(COUNTRIES):
            weights = _day_weights(config.start, self.days, country)
            self._cdf[index, 1:] = np.cumsum(weights) / weights.sum()

    def sample_days(
        self,
        rng: np.random.Generator,
        country: Ints,
        lo: Floats,
        hi: Floats,
        churn: npt.NDArray[np.bool_] | None = None,
    ) -> Floats:
        """A fractional day in [lo, hi) per row, following the country's seasonality.

        Rows flagged ``churn`` end at ``hi`` with activity fading over the last
        ``FADE_DAYS`` days, so a churner's last months are visibly quieter.
        """
        n = len(country)
        lo = np.clip(lo, 0, self.days)
        hi = np.clip(np.maximum(hi, lo + 1e-3), 0, self.days)
        u = rng.random(n)
        if churn is not None and churn.any():
            span = hi - lo
            fade = np.minimum(FADE_DAYS, span)
            flat = span - fade
            fade_mass = 0.5 * fade / np.maximum(flat + 0.5 * fade, 1e-9)
            in_fade = rng.random(n) < fade_mass
            # Linear decline: the inverse CDF of a triangle peaking at the fade start.
            faded = (flat + fade * (1.0 - np.sqrt(1.0 - u))) / np.maximum(span, 1e-9)
            steady = u * flat / np.maximum(span, 1e-9)
            u = np.where(churn, np.where(in_fade, faded, steady), u)
        lo_day = np.floor(lo).astype(np.int64)
        hi_day = np.minimum(np.ceil(hi).astype(np.int64), self.days)
        c_lo = self._cdf[country, lo_day]
        c_hi = self._cdf[country, hi_day]
        target = c_lo + u * (c_hi - c_lo)
        # Invert the piecewise-linear CDF row by row of the same country.
        result = np.empty(n)
        for index in range(len(COUNTRIES)):
            rows = country == index
            if not rows.any():
                continue
            cdf = self._cdf[index]
            day = np.clip(np.searchsorted(cdf, target[rows], side="right") - 1, 0, self.days - 1)
            width = np.maximum(cdf[day + 1] - cdf[day], 1e-12)
            result[rows] = day + (target[rows] - cdf[day]) / width
        return np.clip(result, lo, hi)

    def to_ms(
        self, rng: np.random.Generator, days: Floats, tz_hours: Floats, store: bool = False
    ) -> Ints:
        """Timestamps on the sampled days at a plausible local hour, converted to UTC."""
        profile = _STORE_HOURS if store else _HOURS
        hours = rng.choice(24, size=len(days), p=profile / profile.sum())
        local_ms = (hours + rng.random(len(days))) * 3_600_000
        day_ms = np.floor(days).astype(np.int64) * DAY_MS
        utc = (
            self.start_ms
            + day_ms
            + local_ms.astype(np.int64)
            - (tz_hours * 3_600_000).astype(np.int64)
        )
        # Local hours can fall outside the window in UTC at its edges: move them a day in.
        utc = np.where(utc < self.start_ms, utc + DAY_MS, utc)
        utc = np.where(utc >= self.end_ms, utc - DAY_MS, utc)
        return np.asarray(utc, dtype=np.int64)


def iso_ms(ms: Ints) -> npt.NDArray[np.str_]:
    """ISO 8601 UTC strings with millisecond precision, as Segment libraries send them."""
    text: npt.NDArray[np.str_] = np.datetime_as_string(
        ms.astype("datetime64[ms]"), unit="ms", timezone="UTC"
    )
    return text
