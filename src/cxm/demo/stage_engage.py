"""The engage stage's part of the demo (see ``cxm.demo.stages``).

1. An offer catalogue entry (WINBACK10) and a marketing e-mail opt-in for a
   deterministic ~60% of the people with an e-mail address (source ``demo:engage``), so
   consent visibly blocks the others.
2. Segments: churn risk (predict's score, else "bought before but not in 120 days"),
   detractors (latest NPS), recent buyers, abandoned checkouts.
3. Four active journeys the server runs in real time: detractor follow-up → case,
   churn-risk win-back → e-mail with an offer (20% holdout), post-purchase survey
   invitation, abandoned cart (``Checkout Started`` without ``Order Completed`` within
   1 h) → reminder e-mail (10% holdout). Sends go to a local sink (JSON lines under the
   demo directory, ``CXM_ENGAGE_SINK_DIR``), never to real people.
4. A replay over the historical data: the win-back and abandoned-cart journeys enter the
   people they would have entered (win-back 30 days before the data ends, abandoned cart
   over the last 60 days), split by the same sticky holdout hash, without sending
   anything. Their reports therefore show conversion for treated vs holdout with an
   interval — an A/A check, where the uplift should be near zero.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from cxm.demo.files import DemoFiles
from cxm.engage.engine import holdout_bucket
from cxm.engage.journeys import Journey, JourneyError, create_journey, get_journey
from cxm.engage.segments import SegmentError, create_segment, get_segment, recompute
from cxm.store import Database

TS = pa.timestamp("us", tz="UTC")

SEGMENTS: dict[str, Any] = {
    "churn risk": {
        "and": [
            {"event": "Order Completed", "min_count": 1},
            {
                "or": [
                    {"score": "churn_risk", "op": "gte", "value": 0.6},
                    {"event": "Order Completed", "did": False, "within_days": 120},
                ]
            },
        ]
    },
    "detractors": {"nps_group": "detractor"},
    "recent buyers": {"event": "Order Completed", "within_days": 30},
    "abandoned checkouts": {
        "and": [
            {"event": "Checkout Started", "within_days": 30},
            {"event": "Order Completed", "did": False, "within_days": 30},
        ]
    },
}

_REMINDER = {
    "en": {
        "subject": "$first_name, your basket is waiting",
        "body": "Complete your order at Lumen & Co.",
    },
    "de": {
        "subject": "$first_name, Ihr Warenkorb wartet",
        "body": "Schließen Sie Ihre Bestellung bei Lumen & Co. ab.",
    },
    "zh": {"subject": "$first_name，您的购物车还在等您", "body": "欢迎回到 Lumen & Co. 完成订单。"},
}
_WINBACK = {
    "en": {"subject": "We miss you, $first_name", "body": "$offer_title: use code $offer_code."},
    "de": {"subject": "Wir vermissen Sie, $first_name", "body": "$offer_title: Code $offer_code."},
    "zh": {"subject": "$first_name，好久不见", "body": "$offer_title：优惠码 $offer_code。"},
}

JOURNEYS: dict[str, Any] = {
    "detractor follow-up": {
        "trigger": {"segment": "detractors"},
        "purpose": "surveys",
        "steps": [
            {
                "type": "action",
                "action": "case",
                "reason": "detractor",
                "note": "NPS detractor: call back within 48 h",
            }
        ],
    },
    "churn-risk win-back": {
        "trigger": {"segment": "churn risk"},
        "holdout_percent": 20,
        "goal": {"event": "Order Completed", "within_hours": 336},
        "reentry": {"after_days": 90},
        "steps": [
            {
                "type": "action",
                "action": "offer",
                "offer": "WINBACK10",
                "channel": "email",
                "templates": _WINBACK,
            }
        ],
    },
    "post-purchase survey": {
        "trigger": {"event": "Order Completed"},
        "purpose": "surveys",
        "reentry": {"after_days": 30},
        "steps": [
            {
                "type": "action",
                "action": "survey",
                "survey_id": "post-purchase-csat",
                "touchpoint": "purchase",
                "channel": "email",
            }
        ],
    },
    "abandoned cart": {
        "trigger": {"event": "Checkout Started"},
        "holdout_percent": 10,
        "goal": {"event": "Order Completed", "within_hours": 24},
        "reentry": {"after_days": 7},
        "steps": [
            {
                "type": "wait_event",
                "event": "Order Completed",
                "timeout_minutes": 60,
                "timeout": [{"type": "action", "action": "email", "templates": _REMINDER}],
            }
        ],
    },
}


def _offers(database: Database) -> None:
    if not database.query("SELECT 1 FROM engage_offers WHERE offer_id = 'WINBACK10'"):
        database.execute(
            "INSERT INTO engage_offers (offer_id, title, code, discount, valid_days, created_at) "
            "VALUES ('WINBACK10', '10% off your next order', 'WB10', '10%', 14, ?)",
            [datetime.now(UTC)],
        )


def _consent(database: Database, start: datetime) -> int:
    if database.query("SELECT 1 FROM consent_ledger WHERE source = 'demo:engage' LIMIT 1"):
        return 0
    rows = database.query(
        "SELECT profile_id, min(id_value) FROM identifiers WHERE id_type = 'email' "
        "AND profile_id IS NOT NULL GROUP BY profile_id"
    )
    chosen = [
        (p, e)
        for p, e in rows
        if int(hashlib.sha256(f"consent:{p}".encode()).hexdigest()[:4], 16) % 10 < 6
    ]
    if not chosen:
        return 0
    n = len(chosen)
    database.append(
        "consent_ledger",
        pa.table(
            {
                "entry_id": [uuid.uuid4().hex for _ in chosen],
                "profile_id": [p for p, _ in chosen],
                "identifier": [f"email:{e}" for _, e in chosen],
                "purpose": ["marketing"] * n,
                "channel": ["email"] * n,
                "status": ["granted"] * n,
                "recorded_at": pa.array([start] * n, TS),
                "source": ["demo:engage"] * n,
                "wording_version": ["newsletter-2025-01"] * n,
            }
        ),
    )
    return n


def _segment(database: Database, name: str, conditions: Any) -> int:
    try:
        segment = get_segment(database, name)
    except SegmentError:
        segment = create_segment(database, name, conditions, "demo")
    result, _ = recompute(database, segment.segment_id, emit=False)
    return result.members


def _journey(database: Database, name: str, definition: Any) -> Journey:
    try:
        return get_journey(database, name)
    except JourneyError:
        return create_journey(database, name, definition, status="active")


def _append_runs(
    database: Database, journey: Journey, entries: list[tuple[str, datetime, str]]
) -> tuple[int, int]:
    holdout = float(journey.definition.get("holdout_percent", 0))
    groups = [
        "holdout" if holdout_bucket(journey.journey_id, p) < holdout else "treated"
        for p, _, _ in entries
    ]
    n = len(entries)
    if not n:
        return 0, 0
    database.append(
        "journey_runs",
        pa.table(
            {
                "run_id": ["run_" + uuid.uuid4().hex for _ in entries],
                "journey_id": [journey.journey_id] * n,
                "profile_id": [p for p, _, _ in entries],
                "grp": groups,
                "trigger_key": [f"replay:{k}" for _, _, k in entries],
                "entered_at": pa.array([t for _, t, _ in entries], TS),
                "state": ["replayed"] * n,
                "updated_at": pa.array([datetime.now(UTC)] * n, TS),
                "ended_reason": ["historical replay: nothing sent"] * n,
            }
        ),
        ("journey_id", "trigger_key"),
    )
    return n, groups.count("holdout")


def _replay(
    database: Database, journeys: dict[str, Journey], end: datetime
) -> dict[str, tuple[int, int]]:
    done: dict[str, tuple[int, int]] = {}
    winback = journeys["churn-risk win-back"]
    if not database.query(
        "SELECT 1 FROM journey_runs WHERE journey_id = ? AND state = 'replayed' LIMIT 1",
        [winback.journey_id],
    ):
        members = database.query(
            "SELECT m.profile_id FROM segment_members m JOIN segments s "
            "ON s.segment_id = m.segment_id WHERE s.name = 'churn risk' ORDER BY m.profile_id"
        )
        as_of = end - timedelta(days=30)
        done["churn-risk win-back"] = _append_runs(
            database, winback, [(p, as_of, p) for (p,) in members]
        )
    cart = journeys["abandoned cart"]
    if not database.query(
        "SELECT 1 FROM journey_runs WHERE journey_id = ? AND state = 'replayed' LIMIT 1",
        [cart.journey_id],
    ):
        # First checkout per person in the last 60 days with no order within the hour:
        # the people the wait step would have reminded.
        rows = database.query(
            "SELECT c.profile_id, min(c.timestamp) FROM events c "
            "WHERE c.event = 'Checkout Started' AND c.profile_id IS NOT NULL AND c.timestamp >= ? "
            "AND NOT EXISTS (SELECT 1 FROM events o WHERE o.profile_id = c.profile_id "
            "AND o.event = 'Order Completed' AND o.timestamp >= c.timestamp "
            "AND o.timestamp <= c.timestamp + INTERVAL '1 hour') "
            "GROUP BY c.profile_id ORDER BY c.profile_id",
            [end - timedelta(days=60)],
        )
        done["abandoned cart"] = _append_runs(
            database, cart, [(p, t, f"{p}:{t.isoformat()}") for p, t in rows]
        )
    return done


def run(database: Database, files: DemoFiles, say: Callable[[str], None]) -> str:
    """Set up this stage on the loaded demo data; return a one-line summary ('' if none)."""
    # `cxm demo` points the serving process's sends here (cli/demo.py); the stage
    # itself sends nothing, and must not change this process's environment.
    sink = files.directory / "engage-sink"
    end = database.scalar("SELECT max(timestamp) FROM events WHERE event = 'Order Completed'")
    if end is None:
        return ""
    say("engage: offers, marketing opt-ins, segments")
    _offers(database)
    start = database.scalar("SELECT min(timestamp) FROM events") or end
    granted = _consent(database, start)
    sizes = {name: _segment(database, name, conditions) for name, conditions in SEGMENTS.items()}
    say("engage: journeys and a replay over the history")
    journeys = {name: _journey(database, name, d) for name, d in JOURNEYS.items()}
    replayed = _replay(database, journeys, end)
    segments = ", ".join(f"{k} {v:,}" for k, v in sizes.items())
    runs = ", ".join(f"{k} {n:,} ({h:,} holdout)" for k, (n, h) in replayed.items())
    return (
        f"engage: {len(journeys)} active journeys (sends to {sink}); segments: {segments}; "
        f"marketing opt-ins {granted:,}; replayed entries: {runs or 'already there'}"
    )
