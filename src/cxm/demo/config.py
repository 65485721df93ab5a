"""What a demo data set is: its size, seed and time window, and where its files go.

Everything the generator produces is a pure function of a :class:`DemoConfig`, so a
config's fingerprint names a directory that can be reused instead of regenerated.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from typing import Literal

# Bump when the generator's output changes, so stale files are regenerated.
GENERATOR_VERSION = 1

SizeName = Literal["default", "small"]

# (persons, events) per named size; "small" is what tests and CI load.
SIZES: dict[str, tuple[int, int]] = {
    "default": (20_000, 1_000_000),
    "small": (500, 20_000),
}

# Share of the event budget per CXM channel. Web and app come from sessions, so their
# counts are met by whole sessions (slightly above the share); the rest are exact.
CHANNEL_SHARES: dict[str, float] = {
    "web": 0.56,
    "app": 0.20,
    "email": 0.14,
    "store": 0.04,
    "messaging": 0.04,
    "social": 0.02,
}

COUNTRIES = ("CN", "DE", "GB", "US")
COUNTRY_WEIGHTS = (0.35, 0.30, 0.20, 0.15)
CURRENCIES = {"CN": "CNY", "DE": "EUR", "GB": "GBP", "US": "USD"}
LANGUAGES = {"CN": "zh", "DE": "de", "GB": "en", "US": "en"}
LOCALES = {"CN": "zh-CN", "DE": "de-DE", "GB": "en-GB", "US": "en-US"}


@dataclass(frozen=True)
class DemoConfig:
    """Parameters of one generated data set (two equal configs give identical files)."""

    customers: int = SIZES["default"][0]
    events: int = SIZES["default"][1]
    seed: int = 42
    # A fixed window keeps the output independent of the day it is generated.
    end: date = date(2026, 11, 16)
    days: int = 730

    def __post_init__(self) -> None:
        if self.customers < 50:
            raise ValueError("customers: at least 50 are needed for three sources to overlap")
        if self.events < 1_000:
            raise ValueError("events: at least 1,000 are needed")
        if self.days < 120:
            raise ValueError("days: the window must be at least 120 days")

    @classmethod
    def of_size(cls, size: SizeName, seed: int = 42) -> DemoConfig:
        if size not in SIZES:
            raise ValueError(f"size: unknown size {size!r}, expected one of {sorted(SIZES)}")
        customers, events = SIZES[size]
        return cls(customers=customers, events=events, seed=seed)

    @property
    def start(self) -> date:
        return date.fromordinal(self.end.toordinal() - self.days)

    def as_dict(self) -> dict[str, object]:
        values = asdict(self)
        values["end"] = self.end.isoformat()
        values["generator_version"] = GENERATOR_VERSION
        return values

    def fingerprint(self) -> str:
        text = repr(sorted(self.as_dict().items()))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def directory_name(self) -> str:
        return f"lumen-c{self.customers}-e{self.events}-s{self.seed}-{self.fingerprint()}"
