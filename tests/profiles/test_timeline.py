from __future__ import annotations

from datetime import timedelta

import pytest

from cxm.profiles import TimelineAdapter, TimelineEntry, TimelineError, load_timeline
from cxm.store import Database, Row
from tests.profiles.people import (
    NOW,
    add_event,
    add_order,
    add_profile,
    add_review,
    add_ticket,
)


def _person(database: Database) -> str:
    return add_profile(database, "p-1", [("email", "p1@example.com")])


def test_timeline_unites_tables_newest_first(database: Database) -> None:
    _person(database)
    add_event(database, "p-1", NOW - timedelta(hours=5), event="Product Viewed")
    add_order(database, "p-1", "O-1", NOW - timedelta(hours=4), 42.0)
    add_ticket(database, "p-1", "T-1", NOW - timedelta(hours=3), "Where is my <parcel>?")
    add_review(database, "p-1", "R-1", NOW - timedelta(hours=2), "Great")
    add_event(database, "p-other", NOW, event="Someone else")
    page = load_timeline(database, "p-1")
    assert [e.kind for e in page.entries] == ["review", "ticket", "order", "event"]
    assert page.entries[1].title == "Ticket T-1: Where is my <parcel>?"
    assert page.entries[2].data["amount"] == 42.0
    assert page.next_before is None


def test_timeline_leaves_out_events_imports_wrote_for_orders_and_tickets(
    database: Database,
) -> None:
    _person(database)
    add_order(database, "p-1", "O-1", NOW - timedelta(hours=4), 42.0)
    add_event(
        database,
        "p-1",
        NOW - timedelta(hours=4),
        event="Order Completed",
        message_id="order:shop-web:O-1",
    )
    add_event(
        database,
        "p-1",
        NOW - timedelta(hours=3),
        event="Ticket Created",
        message_id="ticket:helpdesk:T-1:created",
    )
    page = load_timeline(database, "p-1")
    assert [e.kind for e in page.entries] == ["order"]


def test_timeline_pages_through_ties_without_loss_or_repeat(database: Database) -> None:
    _person(database)
    same = NOW - timedelta(hours=1)
    keys = {add_event(database, "p-1", same, event=f"E{i}") for i in range(5)}
    add_order(database, "p-1", "O-1", same, 1.0)
    add_order(database, "p-1", "O-0", NOW - timedelta(hours=2), 1.0)
    seen: list[str] = []
    before = None
    for _ in range(10):
        page = load_timeline(database, "p-1", before=before, limit=2)
        seen += [e.key for e in page.entries]
        before = page.next_before
        if before is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert keys | {"shop-web:O-1", "shop-web:O-0"} == set(seen)
    assert seen[-1] == "shop-web:O-0"


def test_timeline_before_a_time_is_strictly_earlier(database: Database) -> None:
    _person(database)
    at = NOW - timedelta(hours=1)
    add_event(database, "p-1", at)
    add_event(database, "p-1", at - timedelta(seconds=1), event="Earlier")
    page = load_timeline(database, "p-1", before=at.isoformat())
    assert [e.title for e in page.entries] == ["Earlier"]


@pytest.mark.parametrize(
    ("before", "limit", "field"),
    [
        ("yesterday", 10, "before"),
        (NOW.isoformat() + "|x", 10, "before"),
        (None, 0, "limit"),
        (None, 500, "limit"),
    ],
)
def test_timeline_bad_paging_names_the_field(
    database: Database, before: str | None, limit: int, field: str
) -> None:
    with pytest.raises(TimelineError) as error:
        load_timeline(database, "p-1", before=before, limit=limit)
    assert error.value.field == field


def test_timeline_takes_a_new_adapter(database: Database) -> None:
    """How a later issue adds survey responses: one adapter over its own table."""
    _person(database)
    database.execute(
        "CREATE TABLE notes (note_id TEXT, noted_at TIMESTAMPTZ, body TEXT, profile_id TEXT)"
    )
    database.execute("INSERT INTO notes VALUES ('n1', ?, 'called back', 'p-1')", [NOW])
    add_event(database, "p-1", NOW - timedelta(days=1))

    def note(row: Row) -> TimelineEntry:
        return TimelineEntry(row[0], "note", row[1], "contact_centre", "crm", "Note", row[2])

    from cxm.profiles.timeline import TIMELINE_ADAPTERS

    adapters = [
        *TIMELINE_ADAPTERS,
        TimelineAdapter("note", "notes", "noted_at", "noted_at, note_id, body", "note_id", note),
    ]
    page = load_timeline(database, "p-1", adapters=adapters)
    assert [e.kind for e in page.entries] == ["note", "event"]
    assert page.entries[0].detail == "called back"
