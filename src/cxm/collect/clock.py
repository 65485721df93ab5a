"""Timestamps: parsing ISO 8601 and correcting client clock skew the way Segment does.

A device's clock may be wrong. The client stamps when the event happened
(``timestamp``) and when it sent it (``sentAt``) with that same clock, so their
difference is trustworthy; the server knows when it received it. Hence
``timestamp = receivedAt - (sentAt - originalTimestamp)``.
"""

from __future__ import annotations

from datetime import UTC, datetime


class InvalidTimestamp(ValueError):
    pass


def parse_timestamp(value: object) -> datetime:
    """Parse an ISO 8601 string (naive means UTC) or epoch milliseconds into aware UTC."""
    if isinstance(value, bool):
        raise InvalidTimestamp("must be an ISO 8601 date-time string")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError) as error:
            raise InvalidTimestamp(f"epoch milliseconds out of range: {value}") from error
    if not isinstance(value, str):
        raise InvalidTimestamp("must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidTimestamp(f"not an ISO 8601 date-time: {value[:40]!r}") from error
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def corrected_timestamp(
    original: datetime | None, sent_at: datetime | None, received_at: datetime
) -> datetime:
    if original is None:
        return received_at
    if sent_at is None:
        return original
    return received_at - (sent_at - original)
