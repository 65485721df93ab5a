"""Segment-spec messages for web tests."""

from __future__ import annotations

from typing import Any

XSS = '<img src=x onerror="window.__xss=1">'


def page_view(
    message_id: str,
    timestamp: str,
    *,
    anonymous_id: str = "anon-1",
    url: str = "https://shop.example/",
    referrer: str = "",
) -> dict[str, Any]:
    return {
        "type": "page",
        "messageId": message_id,
        "anonymousId": anonymous_id,
        "timestamp": timestamp,
        "context": {"page": {"url": url, "referrer": referrer}},
    }


def track(message_id: str, timestamp: str, channel: str, user_id: str) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": message_id,
        "userId": user_id,
        "event": "Order Completed",
        "timestamp": timestamp,
        "context": {"channel": channel},
    }


def sample_batch() -> list[dict[str, Any]]:
    """Two days of web, app and email activity, one search visit, and one bad message."""
    return [
        page_view(
            "p1",
            "2026-03-01T09:00:00Z",
            url="https://shop.example/?utm_source=google&utm_medium=cpc",
        ),
        page_view(
            "p2", "2026-03-01T10:00:00Z", anonymous_id="anon-2", referrer="https://www.bing.com/"
        ),
        page_view("p3", "2026-03-02T10:00:00Z", anonymous_id="anon-3"),
        track("t1", "2026-03-02T11:00:00Z", "app", "u-1"),
        track("t2", "2026-03-02T12:00:00Z", "email", "u-2"),
        {"type": "shout", "messageId": "bad-1", "anonymousId": "a", "note": XSS},
    ]
