"""Journeys end to end with real receivers: webhook (signed), SMTP, consent, caps, quiet
hours, event waits with timeout, holdout and uplift."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from cxm.engage.config import EngageSettings
from cxm.engage.engine import Engine, EventFact, holdout_bucket
from cxm.engage.journeys import JourneyError, create_journey
from cxm.engage.outbox import claim
from cxm.engage.program import DefinitionError, compile_definition
from cxm.engage.report import journey_report
from cxm.engage.worker import dispatch_once
from cxm.store import Database
from tests.engage.people import add_event, add_profile, grant
from tests.engage.receivers import smtp_server, webhook_receiver

BERLIN = ZoneInfo("Europe/Berlin")
# Yesterday noon in Berlin: outside quiet hours, and already due for the dispatcher.
NOON = (
    (datetime.now(BERLIN) - timedelta(days=1))
    .replace(hour=12, minute=0, second=0, microsecond=0)
    .astimezone(UTC)
)


def _settings(**overrides: Any) -> EngageSettings:
    values: dict[str, Any] = {"webhook_secret": "s3cret", "backoff_seconds": 0.0}
    values.update(overrides)
    return EngageSettings(**values)


def _fact(profile_id: str, event: str, when: datetime, **props: Any) -> EventFact:
    return EventFact(profile_id, event, props, uuid.uuid4().hex, when)


def _webhook_journey(database: Database, url: str, **extra: Any) -> None:
    definition = {
        "trigger": {"event": "Checkout Started"},
        "steps": [{"type": "action", "action": "webhook", "url": url, "data": {"x": 1}}],
        **extra,
    }
    create_journey(database, "hook", definition, status="active")


def test_definition_errors_name_the_field() -> None:
    with pytest.raises(DefinitionError) as error:
        compile_definition({"trigger": {"event": "A"}, "steps": [{"type": "wait"}]})
    assert error.value.field == "definition.steps[0]"
    with pytest.raises(DefinitionError) as error:
        compile_definition(
            {
                "trigger": {"event": "A"},
                "steps": [
                    {"type": "condition", "if": {"and": [{"event": ""}]}, "then": []},
                ],
            }
        )
    assert error.value.field == "definition.steps[0].if.and[0].event"
    with pytest.raises(DefinitionError) as error:
        compile_definition(
            {"trigger": {"event": "A"}, "steps": [{"type": "action", "action": "webhook"}]}
        )
    assert error.value.field == "definition.steps[0].url"
    program = compile_definition(
        {
            "trigger": {"event": "A"},
            "steps": [
                {
                    "type": "wait_event",
                    "event": "B",
                    "timeout_minutes": 5,
                    "timeout": [{"type": "action", "action": "case"}],
                },
                {"type": "action", "action": "set_trait", "traits": {"x": 1}},
            ],
        }
    )
    wait = program.at(program.entry)
    assert program.at(wait.timeout_next).spec["action"] == "case"
    assert program.at(program.at(wait.timeout_next).next).spec["action"] == "set_trait"
    assert wait.next == program.at(wait.timeout_next).next


def test_webhook_is_signed_delivered_once_and_reported(database: Database) -> None:
    add_profile(database, "p1", country="DE")
    grant(database, "p1", "marketing")
    settings = _settings()
    with webhook_receiver() as receiver:
        _webhook_journey(database, receiver.url)
        engine = Engine(database, settings)
        fact = _fact("p1", "Checkout Started", NOON)
        assert engine.handle_events([fact], now=NOON) == 1
        assert engine.handle_events([fact], now=NOON) == 0  # reentry "never"
        receiver.fail_next = 1  # first try fails: retried with back-off
        assert dispatch_once(database, settings) == {"pending": 1}
        assert dispatch_once(database, settings) == {"sent": 1}
        assert dispatch_once(database, settings) == {}
    assert len(receiver.deliveries) == 1
    delivery = receiver.deliveries[0]
    expected = "sha256=" + hmac.new(b"s3cret", delivery.body, hashlib.sha256).hexdigest()
    assert delivery.signature == expected
    body = orjson.loads(delivery.body)
    assert body["profile_id"] == "p1" and body["data"] == {"x": 1}
    assert delivery.key is not None and delivery.key.startswith(body["run_id"])
    sent = database.query(
        "SELECT count(*) FROM events WHERE event = 'Message Sent' AND profile_id = 'p1'"
    )
    assert sent[0][0] == 1
    report = journey_report(database, "hook")
    assert report.entries == 1 and report.sends == {"sent": 1}


def test_webhook_dead_letter_after_max_attempts(database: Database) -> None:
    add_profile(database, "p1")
    grant(database, "p1", "marketing")
    settings = _settings(max_attempts=2)
    with webhook_receiver() as receiver:
        _webhook_journey(database, receiver.url)
        receiver.fail_next = 5
        Engine(database, settings).handle_events([_fact("p1", "Checkout Started", NOON)], NOON)
        assert dispatch_once(database, settings) == {"pending": 1}
        assert dispatch_once(database, settings) == {"dead": 1}
        assert dispatch_once(database, settings) == {}
    failed = database.query("SELECT count(*) FROM events WHERE event = 'Message Failed'")
    assert failed[0][0] == 1


def test_without_consent_the_send_is_blocked_with_the_reason(database: Database) -> None:
    add_profile(database, "p1", email="ana@example.com")
    with webhook_receiver() as receiver:
        _webhook_journey(database, receiver.url)
        Engine(database, _settings()).handle_events([_fact("p1", "Checkout Started", NOON)], NOON)
        assert dispatch_once(database, _settings()) == {}
    assert receiver.deliveries == []
    status, reason = database.query("SELECT status, block_reason FROM engage_outbox")[0]
    assert status == "blocked" and reason.startswith("consent: nothing recorded for marketing")
    assert journey_report(database, "hook").blocks == {"consent": 1}
    from cxm.profiles import load_timeline

    entries = load_timeline(database, "p1", limit=20).entries
    kinds = {e.kind: e for e in entries}
    assert kinds["journey"].title == "Entered journey hook"
    assert kinds["message"].title == "Webhook blocked"
    assert kinds["message"].detail.startswith("consent:")


def _email_journey(database: Database, name: str, trigger: str) -> None:
    create_journey(
        database,
        name,
        {
            "trigger": {"event": trigger},
            "reentry": "always",
            "steps": [
                {
                    "type": "action",
                    "action": "email",
                    "templates": {
                        "en": {"subject": "Hello $first_name", "body": "Come back"},
                        "de": {"subject": "Hallo $first_name", "body": "Komm zurück"},
                    },
                }
            ],
        },
        status="active",
    )


def test_email_over_real_smtp_in_the_persons_language(database: Database) -> None:
    add_profile(database, "p1", country="DE", email="ana@example.de")
    database.execute("UPDATE customer_records SET first_name = 'Ana' WHERE profile_id = 'p1'")
    grant(database, "p1", "marketing", "email")
    with smtp_server() as smtp:
        settings = _settings(smtp_port=smtp.port)
        _email_journey(database, "mail", "Cart Viewed")
        Engine(database, settings).handle_events([_fact("p1", "Cart Viewed", NOON)], NOON)
        assert dispatch_once(database, settings) == {"sent": 1}
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == "Hallo Ana"
    assert message["To"] == "ana@example.de"
    key = database.scalar("SELECT idempotency_key FROM engage_outbox")
    assert message["Message-ID"] == f"<{key}@cxm.engage>"


def test_frequency_caps_per_channel_and_total(database: Database) -> None:
    add_profile(database, "p1", country="DE", email="ana@example.de")
    grant(database, "p1", "marketing", "email")
    settings = _settings(cap_channel_day=2, cap_total_day=5)
    _email_journey(database, "mail", "Cart Viewed")
    engine = Engine(database, settings)
    for minute in range(3):
        when = NOON + timedelta(minutes=minute)
        engine.handle_events([_fact("p1", "Cart Viewed", when)], when)
    rows = database.query("SELECT status, block_reason FROM engage_outbox ORDER BY created_at")
    assert [r[0] for r in rows] == ["pending", "pending", "blocked"]
    assert rows[2][1] == "cap: email channel per day (2/2)"
    # A day later the channel cap has room again.
    later = NOON + timedelta(days=1, minutes=5)
    engine.handle_events([_fact("p1", "Cart Viewed", later)], later)
    assert database.scalar("SELECT count(*) FROM engage_outbox WHERE status = 'pending'") == 3
    # Total cap: 1 a day over all channels blocks the next send whatever the channel.
    strict = Engine(database, _settings(cap_channel_day=9, cap_total_day=1))
    strict.handle_events([_fact("p1", "Cart Viewed", later)], later)
    reason = database.scalar(
        "SELECT block_reason FROM engage_outbox WHERE status = 'blocked' ORDER BY created_at DESC"
    )
    assert reason.startswith("cap: total per day")
    assert journey_report(database, "mail").blocks == {"frequency cap": 2}


def test_quiet_hours_defer_to_the_end_of_the_night_in_the_persons_zone(
    database: Database,
) -> None:
    add_profile(database, "p1", country="DE", email="ana@example.de")
    add_profile(database, "p2", country="CN", email="li@example.cn")
    grant(database, "p1", "marketing", "email")
    grant(database, "p2", "marketing", "email")
    _email_journey(database, "mail", "Cart Viewed")
    # 22:30 in Berlin is 05:30 in Shanghai: both inside 21:00–08:00.
    late = datetime(2026, 1, 15, 22, 30, tzinfo=BERLIN).astimezone(UTC)
    engine = Engine(database, _settings())
    engine.handle_events([_fact("p1", "Cart Viewed", late), _fact("p2", "Cart Viewed", late)], late)
    rows = dict(database.query("SELECT profile_id, not_before FROM engage_outbox"))
    assert rows["p1"] == datetime(2026, 1, 16, 8, 0, tzinfo=BERLIN)
    assert rows["p2"] == datetime(2026, 1, 16, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert claim(database, 10, 30, now=late) == []
    due = claim(database, 10, 30, now=datetime(2026, 1, 16, 0, 1, tzinfo=UTC))
    assert [r.profile_id for r in due] == ["p2"]  # 08:01 in Shanghai, 01:01 in Berlin
    steps = journey_report(database, "mail").steps
    assert {s["outcome"]: s["count"] for s in steps}["deferred"] == 2


def test_abandoned_cart_waits_for_the_order_then_times_out(database: Database) -> None:
    for p in ("p1", "p2"):
        add_profile(database, p)
        grant(database, p, "marketing")
    with webhook_receiver() as receiver:
        create_journey(
            database,
            "cart",
            {
                "trigger": {"event": "Checkout Started"},
                "goal": {"event": "Order Completed", "within_hours": 24},
                "steps": [
                    {
                        "type": "wait_event",
                        "event": "Order Completed",
                        "timeout_minutes": 60,
                        "timeout": [{"type": "action", "action": "webhook", "url": receiver.url}],
                    }
                ],
            },
            status="active",
        )
        engine = Engine(database, _settings())
        engine.handle_events(
            [_fact("p1", "Checkout Started", NOON), _fact("p2", "Checkout Started", NOON)], NOON
        )
        soon = NOON + timedelta(minutes=10)
        engine.handle_events([_fact("p1", "Order Completed", soon)], soon)
        assert engine.run_due(NOON + timedelta(minutes=59)) == 0
        assert engine.run_due(NOON + timedelta(minutes=61)) == 1
        dispatch_once(database, _settings())
    assert [orjson.loads(d.body)["profile_id"] for d in receiver.deliveries] == ["p2"]
    states = dict(database.query("SELECT profile_id, state FROM journey_runs"))
    assert states == {"p1": "done", "p2": "done"}


def test_holdout_is_sticky_and_about_the_asked_share() -> None:
    buckets = [holdout_bucket("j1", f"p{i}") for i in range(2000)]
    assert buckets == [holdout_bucket("j1", f"p{i}") for i in range(2000)]
    share = sum(b < 10 for b in buckets) / len(buckets)
    assert 0.08 < share < 0.12
    assert holdout_bucket("j1", "p1") != holdout_bucket("j2", "p1")


def test_holdout_gets_no_action(database: Database) -> None:
    people = [f"p{i}" for i in range(30)]
    for p in people:
        add_profile(database, p)
        grant(database, p, "marketing")
    with webhook_receiver() as receiver:
        _webhook_journey(database, receiver.url, holdout_percent=50)
        journey_id = database.scalar("SELECT journey_id FROM journeys")
        Engine(database, _settings()).handle_events(
            [_fact(p, "Checkout Started", NOON) for p in people], NOON
        )
        dispatch_once(database, _settings())
    held = {p for p in people if holdout_bucket(journey_id, p) < 50}
    assert 0 < len(held) < 30
    reached = {orjson.loads(d.body)["profile_id"] for d in receiver.deliveries}
    assert reached == set(people) - held
    groups = dict(database.query("SELECT profile_id, grp FROM journey_runs"))
    assert {p for p, g in groups.items() if g == "holdout"} == held


def test_uplift_against_the_holdout_matches_a_hand_computed_example(database: Database) -> None:
    """Treated 30/100 converted, holdout 10/50. By hand (z = 1.959964):
    Wilson 30/100 = [0.21895, 0.39585], Wilson 10/50 = [0.11244, 0.33037];
    uplift = 0.30 − 0.20 = 10 points; Newcombe (1998) method 10:
    low = 0.1 − √((0.3−0.21895)² + (0.33037−0.2)²) = −0.05351,
    high = 0.1 + √((0.39585−0.3)² + (0.2−0.11244)²) = 0.22982."""
    create_journey(
        database,
        "winback",
        {
            "trigger": {"event": "Churn Risk Raised"},
            "goal": {"event": "Order Completed", "within_hours": 72},
            "steps": [{"type": "action", "action": "case"}],
        },
    )
    journey_id = database.scalar("SELECT journey_id FROM journeys")
    entered = NOON - timedelta(days=10)
    for i in range(150):
        grp = "treated" if i < 100 else "holdout"
        database.execute(
            "INSERT INTO journey_runs (run_id, journey_id, profile_id, grp, trigger_key, "
            "entered_at, state, step, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'done', -1, ?)",
            [f"r{i}", journey_id, f"p{i}", grp, f"k{i}", entered, entered],
        )
        converted = i < 30 or 100 <= i < 110
        if converted:
            add_event(database, f"p{i}", "Order Completed", ago=timedelta(days=9))
        elif i % 7 == 0:  # an order after the window, and one before entering: not counted
            add_event(database, f"p{i}", "Order Completed", ago=timedelta(days=5))
            add_event(database, f"p{i}", "Order Completed", ago=timedelta(days=11))
    report = journey_report(database, "winback")
    groups = {g.group: (g.entries, g.conversions) for g in report.groups}
    assert groups == {"treated": (100, 30), "holdout": (50, 10)}
    assert report.uplift is not None
    assert report.uplift.difference_points == pytest.approx(10.0)
    assert report.uplift.low_points == pytest.approx(-5.351, abs=1e-3)
    assert report.uplift.high_points == pytest.approx(22.982, abs=1e-3)


def test_bad_journey_input_names_the_field(database: Database) -> None:
    with pytest.raises(JourneyError) as error:
        create_journey(database, "x", {"trigger": {"segment": "nope"}, "steps": [{"type": "exit"}]})
    assert error.value.field == "definition.trigger.segment"
