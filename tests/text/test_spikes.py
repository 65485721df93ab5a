"""Negative-volume spikes: median + k·max(1.4826·MAD, √median) of the previous days."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cxm.store import Database
from cxm.voc.text.listening import detect_spikes, find_spikes, list_alerts
from cxm.voc.text.reviews import analyse_reviews
from tests.text.helpers import add_review

START = date(2026, 1, 1)


def _series(values: list[int]) -> dict[date, int]:
    return {START + timedelta(days=i): v for i, v in enumerate(values) if v}


def test_spike_threshold_by_hand() -> None:
    # 28 days alternating 2 and 4: median 3, MAD 1 → spread max(1.4826, √3 = 1.732)
    # = 1.732; threshold 3 + 3·1.732 = 8.196. 8 is inside the range, 9 is a spike.
    history = [2, 4] * 14
    assert find_spikes(_series([*history, 8])) == []
    (spike,) = find_spikes(_series([*history, 9]))
    assert spike.day == START + timedelta(days=28)
    assert (spike.observed, spike.baseline, spike.threshold) == (9, 3.0, 8.196)


def test_quiet_history_needs_min_count_and_gaps_count_as_zero() -> None:
    # Days without negatives count as 0: median 0, spread √1 = 1, threshold 3;
    # 3 is not above it, 4 is. min_count keeps tiny numbers quiet.
    assert find_spikes(_series([0] * 28 + [3])) == []
    assert len(find_spikes(_series([1] + [0] * 27 + [4]))) == 1
    assert find_spikes(_series([1] + [0] * 27 + [4]), min_count=5) == []
    # Fewer days than the window: no baseline, no alert.
    assert find_spikes(_series([0] * 10 + [50])) == []


def test_detect_spikes_stores_each_alert_once(database: Database) -> None:
    day0 = datetime(2026, 2, 1, 12, tzinfo=UTC)
    add_review(database, "old", "Terrible, broken on arrival.", rating=1, posted_at=day0)
    for i in range(6):
        add_review(
            database,
            f"bad{i}",
            "Awful service, the parcel never arrived and nobody helps.",
            rating=1,
            posted_at=day0 + timedelta(days=30, hours=i),
            source="google" if i % 2 else "trustpilot",
        )
    analyse_reviews(database)
    new = detect_spikes(database)
    assert [(s.scope, s.day, s.observed) for s in new] == [("*", date(2026, 3, 3), 6)]
    assert detect_spikes(database) == []
    alerts = list_alerts(database)
    assert [(a["scope"], a["day"], a["observed"]) for a in alerts] == [("*", "2026-03-03", 6)]


@pytest.mark.backends("duckdb")
def test_new_alert_is_posted_to_the_webhook(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[dict[str, object]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["content-length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("CXM_TEXT_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/")
        day0 = datetime(2026, 2, 1, 12, tzinfo=UTC)
        add_review(database, "old", "Terrible.", rating=1, posted_at=day0)
        for i in range(5):
            add_review(
                database,
                f"bad{i}",
                "Awful, broken and rude staff.",
                rating=1,
                posted_at=day0 + timedelta(days=29, hours=i),
            )
        analyse_reviews(database)
        assert len(detect_spikes(database)) == 2  # all sources, and trustpilot alone
    finally:
        server.shutdown()
    assert sorted((r["scope"], r["observed"], r["day"]) for r in received) == [
        ("*", 5, "2026-03-02"),
        ("trustpilot", 5, "2026-03-02"),
    ]
    notified = database.query("SELECT count(*) FROM text_alerts WHERE notified_at IS NOT NULL")
    assert notified[0][0] == 2
