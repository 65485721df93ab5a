"""Validate a Segment-spec message and turn it into one ``events`` row.

This is the ingest hot path (every API call and every imported event passes
here), so checks are plain dict look-ups rather than a model per message; the
OpenAPI schema in ``cxm.api.segment_models`` documents the same shape.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from cxm.collect.clock import InvalidTimestamp, corrected_timestamp, parse_timestamp
from cxm.collect.rows import event_key
from cxm.collect.sources import Source
from cxm.collect.touchpoints import Touchpoint, parse_touchpoint
from cxm.collect.traffic import classify_traffic
from cxm.collect.urls import host_of, utm_from_url
from cxm.errors import FieldError

MESSAGE_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})
_OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
_ID_MAX_LENGTH = 512
_CLICK_ID_KEYS = ("gclid", "wbraid", "gbraid", "dclid", "msclkid", "fbclid", "ttclid")


class InvalidMessage(FieldError):
    """A message breaks the spec; ``field`` is its path inside the message."""


def _identifier(message: dict[str, Any], key: str) -> str | None:
    value = message.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidMessage(key, "must be a string")
    text = str(value)
    if len(text) > _ID_MAX_LENGTH:
        raise InvalidMessage(key, f"longer than {_ID_MAX_LENGTH} characters")
    return text


def _object(message: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = message.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidMessage(key, "must be a JSON object")
    return value


def _time(message: dict[str, Any], key: str) -> datetime | None:
    value = message.get(key)
    if value is None or value == "":
        return None
    try:
        return parse_timestamp(value)
    except InvalidTimestamp as error:
        raise InvalidMessage(key, str(error)) from error


def _text(container: dict[str, Any] | None, key: str) -> str | None:
    if not container:
        return None
    value = container.get(key)
    return value if isinstance(value, str) and value else None


def _touchpoint(context: dict[str, Any] | None, message_type: str, source: Source) -> Touchpoint:
    explicit = parse_touchpoint(_text(context, "channel"))
    if explicit is not None and explicit is not Touchpoint.OTHER:
        return explicit
    if message_type == "page":
        return Touchpoint.WEB
    if message_type == "screen":
        return Touchpoint.APP
    return explicit or source.channel


def _traffic(
    message_type: str, context: dict[str, Any] | None, properties: dict[str, Any] | None
) -> dict[str, str | None]:
    """Traffic fields for page/screen views, which are what start a session."""
    page = context.get("page") if context else None
    page = page if isinstance(page, dict) else None
    url = _text(page, "url") or _text(properties, "url")
    referrer = _text(page, "referrer") or _text(properties, "referrer")
    campaign = context.get("campaign") if context else None
    utm: tuple[str | None, str | None, str | None] | None = None
    if isinstance(campaign, dict) and campaign:
        utm = (
            _text(campaign, "source"),
            _text(campaign, "medium"),
            _text(campaign, "name") or _text(campaign, "campaign"),
        )
    return dict(_traffic_fields(message_type in ("page", "screen"), url, referrer, utm))


@lru_cache(maxsize=65_536)
def _traffic_fields(
    is_view: bool,
    url: str | None,
    referrer: str | None,
    campaign: tuple[str | None, str | None, str | None] | None,
) -> tuple[tuple[str, str | None], ...]:
    """Cached: landing URLs and referrers repeat, and URL parsing dominates the cost."""
    fields: dict[str, str | None] = {
        "page_url": url,
        "referrer_host": host_of(referrer) if referrer else None,
        "utm_source": None,
        "utm_medium": None,
        "utm_campaign": None,
        "traffic_channel": None,
    }
    if not is_view:
        return tuple(fields.items())
    from_url = utm_from_url(url) if url else {}
    source, medium, name = campaign or (
        from_url.get("utm_source"),
        from_url.get("utm_medium"),
        from_url.get("utm_campaign"),
    )
    fields.update(utm_source=source, utm_medium=medium, utm_campaign=name)
    click_id = next((k for k in _CLICK_ID_KEYS if from_url.get(k)), None)
    fields["traffic_channel"] = str(
        classify_traffic(
            source=source,
            medium=medium,
            campaign=name,
            referrer_host=fields["referrer_host"],
            page_host=host_of(url) if url else None,
            click_id=click_id,
        )
    )
    return tuple(fields.items())


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def normalise_message(
    raw: Any,
    *,
    source: Source,
    received_at: datetime,
    default_type: str | None = None,
    raw_json: str | None = None,
) -> dict[str, Any]:
    """Validate one message and return its ``events`` row; raise ``InvalidMessage``.

    ``raw_json`` is ``raw`` already serialised (callers that measured its size
    have it), so it is not serialised twice.
    """
    if not isinstance(raw, dict):
        raise InvalidMessage("(message)", "must be a JSON object")
    message_type = raw.get("type", default_type)
    if message_type not in MESSAGE_TYPES:
        raise InvalidMessage("type", f"must be one of {', '.join(sorted(MESSAGE_TYPES))}")
    user_id = _identifier(raw, "userId")
    anonymous_id = _identifier(raw, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise InvalidMessage("userId", "userId or anonymousId is required")
    objects = {key: _object(raw, key) for key in _OBJECT_FIELDS}
    properties, traits, context = objects["properties"], objects["traits"], objects["context"]
    event_name: str | None = None
    if message_type == "track":
        event_name = raw.get("event")
        if not isinstance(event_name, str) or not event_name.strip():
            raise InvalidMessage("event", "a track call needs a non-empty event name")
    elif message_type in ("page", "screen"):
        name = raw.get("name")
        if name is not None and not isinstance(name, str):
            raise InvalidMessage("name", "must be a string")
        event_name = name or None
    group_id = _identifier(raw, "groupId")
    if message_type == "group" and group_id is None:
        raise InvalidMessage("groupId", "a group call needs a groupId")
    previous_id = _identifier(raw, "previousId")
    if message_type == "alias" and (previous_id is None or user_id is None):
        raise InvalidMessage("previousId", "an alias call needs previousId and userId")
    if message_type == "identify" and traits is None and context:
        traits = _object(context, "traits")
    original = _time(raw, "timestamp")
    sent_at = _time(raw, "sentAt")
    message_id = _identifier(raw, "messageId") or f"cxm-{uuid.uuid4()}"
    return {
        "event_key": event_key(source.source_id, message_id),
        "source_id": source.source_id,
        "message_id": message_id,
        "type": message_type,
        "event": event_name,
        "anonymous_id": anonymous_id,
        "user_id": user_id,
        "group_id": group_id,
        "previous_id": previous_id,
        "timestamp": corrected_timestamp(original, sent_at, received_at),
        "original_timestamp": original,
        "sent_at": sent_at,
        "received_at": received_at,
        "channel": _touchpoint(context, message_type, source).value,
        **_traffic(message_type, context, properties),
        "ip": _text(context, "ip"),
        "user_agent": _text(context, "userAgent"),
        "locale": _text(context, "locale"),
        "properties": _json(properties),
        "traits": _json(traits),
        "context": _json(context),
        "raw": raw_json if raw_json is not None else orjson.dumps(raw).decode(),
    }
