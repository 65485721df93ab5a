"""Event files carry the signals later stages need: identity links, tastes, churn, seasons."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from typing import Any

import orjson
import pyarrow as pa
import pytest

from cxm.demo.catalogue import CATEGORIES, CLUSTERS
from cxm.demo.files import DemoFiles
from tests.demo.conftest import read_csv, read_events


@pytest.fixture(scope="module")
def events(small_files: DemoFiles) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = read_events(small_files).to_pylist()
    for row in rows:
        for column in ("properties", "context", "traits"):
            row[column] = orjson.loads(row[column]) if row[column] else {}
    return rows


def test_events_cover_six_channels_and_leave_orders_to_the_orders_import(
    events: list[dict[str, Any]],
) -> None:
    channels = Counter(e["context"]["channel"] for e in events)
    assert set(channels) == {"web", "app", "email", "store", "messaging", "social"}
    names = Counter(e["event"] for e in events if e["type"] == "track")
    for name in (
        "Product Viewed",
        "Product Added",
        "Checkout Started",
        "Help Center Viewed",
        "Email Opened",
        "Email Clicked",
        "Message Received",
        "Store Visit",
        "Social Mention",
    ):
        assert names[name] > 0, name
    assert "Order Completed" not in names
    assert {e["type"] for e in events} == {"page", "screen", "track", "identify"}


def test_anonymous_browsers_identify_with_shop_user_id_and_email(
    events: list[dict[str, Any]], small_files: DemoFiles
) -> None:
    shop = {
        r["customer_no"]: r["email_address"] for r in read_csv(small_files, "customers_shop.csv")
    }
    identifies = [e for e in events if e["type"] == "identify" and e["context"]["channel"] == "web"]
    assert identifies
    for event in identifies:
        assert event["anonymous_id"] and event["user_id"] in shop
        assert event["traits"]["email"] == shop[event["user_id"]]
    by_device = defaultdict(list)
    for event in events:
        if event["context"]["channel"] == "web":
            by_device[event["anonymous_id"]].append(event)
    # Before a device's first identify its events are anonymous, after it they carry the userId.
    checked = 0
    for event in identifies:
        timeline = sorted(by_device[event["anonymous_id"]], key=lambda e: e["timestamp"])
        before = [e for e in timeline if e["timestamp"] < event["timestamp"]]
        after = [e for e in timeline if e["timestamp"] > event["timestamp"]]
        if before and before[0]["user_id"] is None:
            checked += 1
        assert all(e["user_id"] == event["user_id"] for e in after)
    assert checked > 0


def test_landing_pages_carry_a_realistic_traffic_mix(events: list[dict[str, Any]]) -> None:
    pages = [e for e in events if e["type"] == "page"]
    sources = Counter(e["context"].get("campaign", {}).get("source") for e in pages)
    referrers = Counter(
        e["context"]["page"]["referrer"].split("/")[2]
        for e in pages
        if e["context"]["page"]["referrer"]
    )
    assert {"baidu", "google", "newsletter", "wechat"} <= set(sources)
    assert any("baidu.com" in host for host in referrers)
    assert any(host.startswith("www.google.") for host in referrers)
    assert any("gclid=" in e["context"]["page"]["url"] for e in pages)
    direct = sum(1 for e in pages if e["context"]["page"]["referrer"] == "")
    assert 0 < direct < len(pages)


def test_product_views_follow_taste_clusters(
    events: list[dict[str, Any]], small_files: DemoFiles
) -> None:
    cluster_of = {}
    for truth in read_csv(small_files, "truth/persons.csv"):
        for shop_id in truth["shop_ids"].split(";"):
            cluster_of[shop_id] = next(
                c for c, (name, _) in enumerate(CLUSTERS) if name == truth["taste_cluster"]
            )
    names = {name: code for code, name, *_ in CATEGORIES}
    views = [
        (cluster_of[e["user_id"]], names[e["properties"]["category"]])
        for e in events
        if e["event"] == "Product Viewed" and e["user_id"] in cluster_of
    ]
    assert len(views) > 300

    def in_taste(pairs: list[tuple[int, str]]) -> float:
        return sum(code in CLUSTERS[c][1] for c, code in pairs) / len(pairs)

    shuffled = [c for c, _ in views]
    random.Random(1).shuffle(shuffled)
    baseline = in_taste(list(zip(shuffled, [code for _, code in views], strict=True)))
    assert in_taste(views) > baseline + 0.25


def test_churners_fade_out_and_stop_before_the_window_ends(
    events: list[dict[str, Any]], small_files: DemoFiles
) -> None:
    truth = read_csv(small_files, "truth/persons.csv")
    churned_on = {}
    for person in truth:
        if person["churner"] == "true":
            ids = [*person["shop_ids"].split(";"), person["loyalty_card"], person["crm_id"]]
            churned_on.update({i: person["churned_on"] for i in ids if i})
    assert len(churned_on) > 50
    theirs = [e for e in events if e["user_id"] in churned_on]
    assert theirs
    assert all(e["timestamp"][:10] <= _plus_days(churned_on[e["user_id"]], 2) for e in theirs)
    end = max(e["timestamp"] for e in events)[:10]
    assert all(day < _plus_days(end, -40) for day in churned_on.values())


def test_reviews_of_churners_are_worse(small_files: DemoFiles) -> None:
    churner = {
        t["person_id"]: t["churner"] == "true" for t in read_csv(small_files, "truth/persons.csv")
    }
    labels = read_csv(small_files, "truth/review_labels.csv")
    ratings: dict[bool, list[int]] = {True: [], False: []}
    for label in labels:
        ratings[churner[label["person_id"]]].append(int(label["rating"]))
    mean = {k: sum(v) / len(v) for k, v in ratings.items()}
    assert mean[True] < mean[False] - 0.5


def test_holiday_season_is_busier_than_early_autumn(events: list[dict[str, Any]]) -> None:
    months = Counter(e["timestamp"][:7] for e in events)
    assert months["2025-12"] / 31 > 1.15 * months["2025-09"] / 30


def _plus_days(day: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def test_event_json_columns_are_objects(small_files: DemoFiles) -> None:
    table: pa.Table = read_events(small_files)
    for column in ("properties", "context"):
        values = [v for v in table.column(column).to_pylist() if v is not None]
        assert all(v.startswith("{") and isinstance(orjson.loads(v), dict) for v in values)
