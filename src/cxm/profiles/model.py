"""What a unified profile is made of: frozen values, no database rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cxm.privacy.consent import ConsentState
from cxm.privacy.preferences import Preferences


@dataclass(frozen=True)
class ProfileIdentifier:
    id_type: str
    id_value: str
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    shared: bool


@dataclass(frozen=True)
class Trait:
    """One resolved attribute and where it came from (the survivorship decision)."""

    name: str
    value: Any
    source: str
    observed_at: datetime | None
    rule: str
    candidates: int


@dataclass(frozen=True)
class SpendByCurrency:
    currency: str
    total: float
    orders: int


@dataclass(frozen=True)
class ValueAssessment:
    order_count: int
    currency: str | None
    total_spend: float
    average_spend: float | None
    spend_by_currency: tuple[SpendByCurrency, ...]
    first_order_at: datetime | None
    last_order_at: datetime | None
    first_seen_at: datetime | None
    tenure_days: int | None
    recency_score: int | None
    frequency_score: int | None
    monetary_score: int | None
    rfm_tier: str


@dataclass(frozen=True)
class Lifecycle:
    stage: str
    reason: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    key: str
    channel: str | None
    source: str | None
    title: str
    detail: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TimelinePage:
    entries: tuple[TimelineEntry, ...]
    next_before: str | None


@dataclass(frozen=True)
class Profile:
    profile_id: str
    created_at: datetime | None
    updated_at: datetime | None
    identifiers: tuple[ProfileIdentifier, ...]
    sources: tuple[str, ...]
    traits: tuple[Trait, ...]
    value: ValueAssessment
    lifecycle: Lifecycle
    consent: tuple[ConsentState, ...]
    preferences: Preferences
    timeline: TimelinePage | None

    def trait(self, name: str) -> Any:
        for item in self.traits:
            if item.name == name:
                return item.value
        return None

    @property
    def display_name(self) -> str:
        first, last = self.trait("first_name"), self.trait("last_name")
        name = " ".join(str(part) for part in (first, last) if part)
        return name or str(self.trait("email") or self.profile_id)


@dataclass(frozen=True)
class ProfileSummary:
    profile_id: str
    name: str | None
    email: str | None
    phone: str | None
    sources: tuple[str, ...]
    matched_on: str
