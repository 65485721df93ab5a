"""The built-in timeline adapters: events, orders, tickets, reviews, consent, preferences.

Orders and tickets also write ``Order Completed`` / ``Ticket Created|Resolved``
events (message ids ``order:…`` / ``ticket:…``, see ``collect.importers``); the
events adapter leaves those out so each purchase or ticket shows once, from its
richer table.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from cxm.profiles.model import TimelineEntry
from cxm.profiles.timeline import TimelineAdapter, register_adapter
from cxm.store import Row


def _json(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def _event_title(kind: str, event: str | None, url: str | None) -> str:
    if kind == "track":
        return event or "Event"
    if kind == "page":
        where = event or (urlsplit(url).path if url else None)
        return f"Viewed {where}" if where else "Viewed a page"
    if kind == "screen":
        return f"Opened screen {event}" if event else "Opened a screen"
    if kind == "identify":
        return "Identified"
    return kind.capitalize()


def _event(row: Row) -> TimelineEntry:
    at, key, kind, event, channel, source, url, properties = row
    return TimelineEntry(
        at,
        "event",
        str(key),
        channel,
        source,
        _event_title(kind, event, url),
        url,
        {"type": kind, "event": event, "properties": _json(properties)},
    )


def _order(row: Row) -> TimelineEntry:
    at, source, order_id, amount, currency, channel, store_id, items = row
    parsed = _json(items)
    count = len(parsed) if isinstance(parsed, list) else None
    detail = f"{count} item{'s' if count != 1 else ''}" if count is not None else None
    if store_id:
        detail = f"{detail} · store {store_id}" if detail else f"store {store_id}"
    return TimelineEntry(
        at,
        "order",
        f"{source}:{order_id}",
        channel,
        source,
        f"Order {order_id}: {amount:,.2f} {currency}",
        detail,
        {"order_id": order_id, "amount": amount, "currency": currency, "items": parsed},
    )


def _ticket(row: Row) -> TimelineEntry:
    at, source, ticket_id, channel, subject, resolved_at, csat, reopened = row
    status = "resolved" if resolved_at is not None else "open"
    detail = status + (f" · CSAT {csat}" if csat is not None else "")
    detail += " · reopened" if reopened else ""
    return TimelineEntry(
        at,
        "ticket",
        f"{source}:{ticket_id}",
        channel,
        source,
        f"Ticket {ticket_id}: {subject or '(no subject)'}",
        detail,
        {
            "ticket_id": ticket_id,
            "subject": subject,
            "status": status,
            "csat": csat,
            "resolved_at": resolved_at.isoformat() if resolved_at else None,
        },
    )


def _review(row: Row) -> TimelineEntry:
    at, source, review_id, rating, text, language, url = row
    title = f"Review {rating:g}/5 on {source}" if rating is not None else f"Mention on {source}"
    return TimelineEntry(
        at,
        "review",
        f"{source}:{review_id}",
        "review",
        source,
        title,
        text,
        {"review_id": review_id, "rating": rating, "language": language, "url": url},
    )


def _consent(row: Row) -> TimelineEntry:
    at, entry_id, purpose, channel, status, source, wording = row
    scope = "every channel" if channel == "*" else channel
    return TimelineEntry(
        at,
        "consent",
        str(entry_id),
        None,
        source,
        f"Consent: {purpose} via {scope} {status}",
        f"wording {wording}" if wording else None,
        {"purpose": purpose, "channel": channel, "status": status},
    )


def _preferences(row: Row) -> TimelineEntry:
    at, entry_id, source, topics, channel, frequency, language = row
    return TimelineEntry(
        at,
        "preferences",
        str(entry_id),
        None,
        source,
        "Preferences updated",
        None,
        {
            "topics": _json(topics),
            "preferred_channel": channel,
            "frequency": frequency,
            "language": language,
        },
    )


BUILT_IN = (
    TimelineAdapter(
        "event",
        "events e LEFT JOIN sources s ON s.source_id = e.source_id",
        "e.timestamp",
        "e.timestamp, CAST(e.event_key AS TEXT), e.type, e.event, e.channel, s.name, "
        "e.page_url, CAST(e.properties AS TEXT)",
        "e.event_key",
        _event,
        "e.message_id NOT LIKE 'order:%' AND e.message_id NOT LIKE 'ticket:%'",
    ),
    TimelineAdapter(
        "order",
        "orders",
        "timestamp",
        "timestamp, source, order_id, amount, currency, channel, store_id, CAST(items AS TEXT)",
        "order_id",
        _order,
    ),
    TimelineAdapter(
        "ticket",
        "tickets",
        "created_at",
        "created_at, source, ticket_id, channel, subject, resolved_at, csat, reopened",
        "ticket_id",
        _ticket,
    ),
    TimelineAdapter(
        "review",
        "reviews",
        "posted_at",
        "posted_at, source, review_id, rating, text, language, url",
        "review_id",
        _review,
    ),
    TimelineAdapter(
        "consent",
        "consent_ledger",
        "recorded_at",
        "recorded_at, entry_id, purpose, channel, status, source, wording_version",
        "entry_id",
        _consent,
    ),
    TimelineAdapter(
        "preferences",
        "preference_entries",
        "recorded_at",
        "recorded_at, entry_id, source, CAST(topics AS TEXT), preferred_channel, frequency, "
        "language",
        "entry_id",
        _preferences,
    ),
)

for _adapter in BUILT_IN:
    register_adapter(_adapter)
