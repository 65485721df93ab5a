"""CXM touchpoint channels: where an interaction happened (not where traffic came from).

Traffic channels (GA4 grouping, in ``traffic.py``) answer "how did the visitor arrive";
touchpoint channels answer "which part of the company did the customer meet".
"""

from __future__ import annotations

from enum import StrEnum


class Touchpoint(StrEnum):
    WEB = "web"
    APP = "app"
    STORE = "store"
    EMAIL = "email"
    MESSAGING = "messaging"
    SOCIAL = "social"
    CONTACT_CENTRE = "contact_centre"
    HELP_DESK = "help_desk"
    REVIEW = "review"
    SURVEY = "survey"
    OTHER = "other"


TOUCHPOINTS = frozenset(t.value for t in Touchpoint)

# Spellings customers' tools send, mapped to the canonical name.
_ALIASES = {
    "chat": Touchpoint.MESSAGING,
    "messenger": Touchpoint.MESSAGING,
    "wechat": Touchpoint.MESSAGING,
    "whatsapp": Touchpoint.MESSAGING,
    "sms": Touchpoint.MESSAGING,
    "call_centre": Touchpoint.CONTACT_CENTRE,
    "call_center": Touchpoint.CONTACT_CENTRE,
    "contact_center": Touchpoint.CONTACT_CENTRE,
    "phone": Touchpoint.CONTACT_CENTRE,
    "helpdesk": Touchpoint.HELP_DESK,
    "support": Touchpoint.HELP_DESK,
    "pos": Touchpoint.STORE,
    "shop": Touchpoint.STORE,
    "browser": Touchpoint.WEB,
    "website": Touchpoint.WEB,
    "mobile": Touchpoint.APP,
}


def parse_touchpoint(value: str | None) -> Touchpoint | None:
    """Return the touchpoint a name stands for, or None when it names none."""
    if not value:
        return None
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    if key in TOUCHPOINTS:
        return Touchpoint(key)
    return _ALIASES.get(key)
