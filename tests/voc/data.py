"""Surveys, people and events the voc tests share (written straight into the tables)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import orjson

from cxm.privacy.consent import record_consent
from cxm.store import Database
from tests.profiles.people import add_profile


def relationship_survey(**extra: Any) -> dict[str, Any]:
    """NPS with a follow-up shown to detractors only, a Kano pair and a CES question."""
    return {
        "name": "Relationship NPS",
        "default_language": "en",
        "languages": ["en", "de", "zh"],
        "touchpoint": "relationship",
        "title": {"en": "Your opinion", "de": "Ihre Meinung", "zh": "您的意见"},
        "questions": [
            {
                "id": "nps",
                "type": "nps",
                "required": True,
                "text": {
                    "en": "How likely are you to recommend us?",
                    "de": "Wie wahrscheinlich empfehlen Sie uns weiter?",
                    "zh": "您向朋友推荐我们的可能性有多大？",
                },
            },
            {
                "id": "why",
                "type": "text",
                "text": {
                    "en": "What went wrong?",
                    "de": "Was lief schief?",
                    "zh": "哪里出了问题？",
                },
                "show_if": {"question": "nps", "op": "lte", "value": 6},
            },
            {
                "id": "features",
                "type": "kano",
                "text": "Features",
                "features": [
                    {
                        "id": "fast_delivery",
                        "text": {
                            "en": "Next-day delivery",
                            "de": "Lieferung am nächsten Tag",
                            "zh": "次日达",
                        },
                    },
                    {"id": "gift_wrap", "text": "Gift wrapping"},
                ],
            },
            {"id": "effort", "type": "ces", "text": "It was easy to shop with us."},
        ],
        **extra,
    }


def person(database: Database, profile_id: str, email: str, *, consent: bool = True) -> str:
    add_profile(database, profile_id, [("email", email)])
    if consent:
        record_consent(database, email, "surveys", "*", "granted", source="test")
    return profile_id


def add_event(
    database: Database,
    profile_id: str,
    event: str,
    at: datetime,
    properties: dict[str, Any] | None = None,
    received_at: datetime | None = None,
) -> str:
    message_id = f"m-{uuid.uuid4().hex[:12]}"
    key = str(uuid.UUID(hashlib.md5(f"src\x1f{message_id}".encode()).hexdigest()))
    cast = "CAST(? AS JSONB)" if database.dialect == "postgresql" else "CAST(? AS JSON)"
    database.execute(
        "INSERT INTO events (event_key, source_id, message_id, type, event, timestamp, "
        f"received_at, channel, properties, raw, profile_id) VALUES (CAST(? AS UUID), ?, ?, "
        f"'track', ?, ?, ?, 'web', {cast}, {cast}, ?)",
        [
            key,
            "src",
            message_id,
            event,
            at,
            received_at or at,
            orjson.dumps(properties or {}).decode(),
            orjson.dumps({"event": event}).decode(),
            profile_id,
        ],
    )
    return key
