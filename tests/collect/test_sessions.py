"""Sessionisation on both backends against hand-computed sessions.

Fixture (times UTC, 2024-03-01 unless noted):

person a1 (anonymous)       session
  10:00 page google/cpc/spring  Paid Search   A1  (landing)
  10:10 track Product Viewed                  A1
  10:20 page internal           Direct        A1
  10:45 page newsletter/email   Email         A2  campaign differs → new session
  10:50 page newsletter/email   Email         A2  same campaign → same session
  11:30 page internal           Direct        A3  40 min gap > 30 → new session
  11:55 page newsletter/email   Email         A4  campaign differs from none → new
person u-b (user id only)
  09:00 track App Opened                      B1
  09:01 screen weibo/social     Organic Social B1  first view: no split
  09:31 screen                  Direct        B1  exactly 30 min: not a timeout
  03-02 09:00 track Order Completed           B2  no traffic channel → Direct
person c1 (anonymous, identifies as u-c)
  12:00 page                    Referral      C1
  12:05 identify                              —   not a session event
  12:06 track Signed Up (user u-c)            C1
"""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxm.collect.rows import event_key
from cxm.collect.sessions import build_sessions
from cxm.store import Database, open_database

DAY = datetime(2024, 3, 1, tzinfo=UTC)
SOURCE = "src_web"


def at(hour: int, minute: int, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hour, minutes=minute)


def add_event(
    database: Database,
    message_id: str,
    when: datetime,
    kind: str,
    *,
    anonymous_id: str | None = None,
    user_id: str | None = None,
    traffic: str | None = None,
    utm: tuple[str, str, str] | None = None,
    referrer_host: str | None = None,
    page_url: str | None = None,
    channel: str = "web",
) -> None:
    source, medium, campaign = utm or (None, None, None)
    database.execute(
        "INSERT INTO events (event_key, source_id, message_id, type, event, anonymous_id, user_id, "
        '"timestamp", received_at, channel, traffic_channel, utm_source, utm_medium, '
        "utm_campaign, referrer_host, page_url, raw) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event_key(SOURCE, message_id), SOURCE, message_id, kind, None, anonymous_id,
            user_id, when, when, channel, traffic, source, medium, campaign, referrer_host,
            page_url, "{}",
        ],
    )  # fmt: skip


NEWSLETTER = ("newsletter", "email", "may")


def load_fixture(database: Database) -> None:
    a = {"anonymous_id": "a1"}
    add_event(
        database, "a-01", at(10, 0), "page", **a, traffic="Paid Search",
        utm=("google", "cpc", "spring"), referrer_host="www.google.com",
        page_url="https://shop.example/?utm_source=google",
    )  # fmt: skip
    add_event(database, "a-02", at(10, 10), "track", **a)
    add_event(database, "a-03", at(10, 20), "page", **a, traffic="Direct")
    add_event(database, "a-04", at(10, 45), "page", **a, traffic="Email", utm=NEWSLETTER)
    add_event(database, "a-05", at(10, 50), "page", **a, traffic="Email", utm=NEWSLETTER)
    add_event(
        database, "a-06", at(11, 30), "page", **a, traffic="Direct",
        page_url="https://shop.example/cart",
    )  # fmt: skip
    add_event(database, "a-07", at(11, 55), "page", **a, traffic="Email", utm=NEWSLETTER)
    b = {"user_id": "u-b", "channel": "app"}
    add_event(database, "b-01", at(9, 0), "track", **b)
    add_event(
        database, "b-02", at(9, 1), "screen", **b, traffic="Organic Social",
        utm=("weibo", "social", "launch"),
    )  # fmt: skip
    add_event(database, "b-03", at(9, 31), "screen", **b, traffic="Direct")
    add_event(database, "b-04", at(9, 0, days=1), "track", **b)
    add_event(
        database, "c-01", at(12, 0), "page", anonymous_id="c1", traffic="Referral",
        referrer_host="news.ycombinator.com", page_url="https://shop.example/blog",
    )  # fmt: skip
    add_event(database, "c-02", at(12, 5), "identify", anonymous_id="c1", user_id="u-c")
    add_event(database, "c-03", at(12, 6), "track", anonymous_id="c1", user_id="u-c")


def session_id(person_key: str, first_message_id: str) -> str:
    key = uuid.UUID(event_key(SOURCE, first_message_id))
    return hashlib.md5(f"{person_key}\x1f{key}".encode()).hexdigest()


def sessions_of(database: Database) -> list[dict[str, Any]]:
    return database.query_dicts("SELECT * FROM sessions ORDER BY person_key, started_at")


def test_build_sessions_splits_on_timeout_and_campaign(database: Database) -> None:
    load_fixture(database)
    stats = build_sessions(database)
    rows = sessions_of(database)
    summary = [
        (r["person_key"], r["started_at"], r["ended_at"], r["event_count"], r["traffic_channel"])
        for r in rows
    ]
    assert summary == [
        ("a1", at(10, 0), at(10, 20), 3, "Paid Search"),
        ("a1", at(10, 45), at(10, 50), 2, "Email"),
        ("a1", at(11, 30), at(11, 30), 1, "Direct"),
        ("a1", at(11, 55), at(11, 55), 1, "Email"),
        ("c1", at(12, 0), at(12, 6), 2, "Referral"),
        ("u-b", at(9, 0), at(9, 31), 3, "Organic Social"),
        ("u-b", at(9, 0, days=1), at(9, 0, days=1), 1, "Direct"),
    ]
    assert (stats.events, stats.sessions, stats.persons) == (13, 7, 3)


def test_build_sessions_keeps_landing_campaign_and_identity(database: Database) -> None:
    load_fixture(database)
    build_sessions(database)
    first = sessions_of(database)[0]
    assert first["session_id"] == session_id("a1", "a-01")
    assert (first["utm_source"], first["utm_medium"], first["utm_campaign"]) == (
        "google", "cpc", "spring",
    )  # fmt: skip
    assert first["referrer_host"] == "www.google.com"
    assert first["landing_url"] == "https://shop.example/?utm_source=google"
    assert first["channel"] == "web"
    by_person = {(r["person_key"], r["started_at"]): r for r in sessions_of(database)}
    returning = by_person[("a1", at(11, 30))]
    assert returning["utm_source"] is None
    assert returning["landing_url"] == "https://shop.example/cart"
    signed_up = by_person[("c1", at(12, 0))]
    assert (signed_up["anonymous_id"], signed_up["user_id"]) == ("c1", "u-c")
    assert by_person[("u-b", at(9, 0))]["channel"] == "app"
    assert by_person[("u-b", at(9, 0))]["anonymous_id"] is None


def test_build_sessions_person_touch_first_and_last(database: Database) -> None:
    load_fixture(database)
    build_sessions(database)
    touches = {
        r["person_key"]: r
        for r in database.query_dicts("SELECT * FROM person_touch ORDER BY person_key")
    }
    assert set(touches) == {"a1", "c1", "u-b"}
    a1 = touches["a1"]
    assert (a1["first_channel"], a1["last_channel"], a1["sessions"]) == ("Paid Search", "Email", 4)
    assert a1["first_session_id"] == session_id("a1", "a-01")
    assert a1["last_session_id"] == session_id("a1", "a-07")
    assert (a1["first_seen_at"], a1["last_seen_at"]) == (at(10, 0), at(11, 55))
    b = touches["u-b"]
    assert (b["first_channel"], b["last_channel"], b["sessions"]) == ("Organic Social", "Direct", 2)
    c1 = touches["c1"]
    assert c1["first_session_id"] == c1["last_session_id"] == session_id("c1", "c-01")


def test_build_sessions_longer_timeout_merges_visits(database: Database) -> None:
    load_fixture(database)
    build_sessions(database, timeout_minutes=60)
    a1 = [r for r in sessions_of(database) if r["person_key"] == "a1"]
    # 10:50 → 11:30 is no longer a timeout, and 11:55 repeats the current campaign.
    assert [(r["started_at"], r["event_count"], r["traffic_channel"]) for r in a1] == [
        (at(10, 0), 3, "Paid Search"),
        (at(10, 45), 4, "Email"),
    ]


def test_build_sessions_rebuild_replaces_previous_result(database: Database) -> None:
    load_fixture(database)
    first = build_sessions(database)
    ids = {r["session_id"] for r in sessions_of(database)}
    add_event(database, "a-08", at(12, 10), "page", anonymous_id="a1", traffic="Direct")
    second = build_sessions(database)
    assert second.sessions == first.sessions
    assert second.events == first.events + 1
    assert {r["session_id"] for r in sessions_of(database)} == ids
    extended = [r for r in sessions_of(database) if r["session_id"] == session_id("a1", "a-07")]
    assert [(r["ended_at"], r["event_count"]) for r in extended] == [(at(12, 10), 2)]
    touch = database.query_dicts("SELECT * FROM person_touch WHERE person_key = 'a1'")
    assert [(t["last_seen_at"], t["sessions"]) for t in touch] == [(at(12, 10), 4)]
    assert database.scalar("SELECT count(*) FROM person_touch") == 3


def test_build_sessions_rebuild_drops_sessions_no_longer_implied(database: Database) -> None:
    load_fixture(database)
    build_sessions(database, timeout_minutes=30)
    stats = build_sessions(database, timeout_minutes=60)
    a1 = [r for r in sessions_of(database) if r["person_key"] == "a1"]
    assert [r["session_id"] for r in a1] == [session_id("a1", "a-01"), session_id("a1", "a-04")]
    assert stats.sessions == database.scalar("SELECT count(*) FROM sessions") == 5
    assert database.scalar("SELECT sessions FROM person_touch WHERE person_key = 'a1'") == 2


def test_build_sessions_empty_events_gives_no_sessions(database: Database) -> None:
    stats = build_sessions(database)
    assert (stats.events, stats.sessions, stats.persons) == (0, 0, 0)
    assert database.scalar("SELECT count(*) FROM person_touch") == 0


@pytest.mark.parametrize("timeout", [0, -5, 2000, True, 2.5])
def test_build_sessions_invalid_timeout_is_rejected(tmp_path: Path, timeout: Any) -> None:
    database = open_database(f"duckdb:///{tmp_path / 'cxm.duckdb'}")
    try:
        with pytest.raises(ValueError, match="timeout_minutes"):
            build_sessions(database, timeout_minutes=timeout)
    finally:
        database.close()


def test_build_sessions_concurrent_rebuilds_both_succeed(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("DuckDB is embedded: one process owns the file")
    load_fixture(database)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: build_sessions(database), range(3)))
    assert {r.sessions for r in results} == {7}
    assert database.scalar("SELECT count(*) FROM sessions") == 7


def test_events_outside_web_and_app_start_no_session(database: Database) -> None:
    add_event(database, "e1", at(8, 0), "track", user_id="u-e", channel="email")
    add_event(database, "s1", at(8, 5), "track", user_id="u-e", channel="store")
    add_event(database, "w1", at(9, 0), "page", user_id="u-e", traffic="Email")
    stats = build_sessions(database)
    assert stats.sessions == 1
    assert database.query("SELECT started_at, event_count FROM sessions") == [(at(9, 0), 1)]
