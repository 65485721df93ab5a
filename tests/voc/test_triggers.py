"""Event triggers on both backends: sampling, delay, quiet hours, consent, recontact,
a cursor that makes re-runs idempotent, and blocked invitations with their reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxm.store import Database
from cxm.voc.config import VocSettings
from cxm.voc.contact import after_quiet_hours
from cxm.voc.model import SurveyError
from cxm.voc.surveys import create_survey
from cxm.voc.triggers import create_trigger, run_triggers
from tests.voc.data import add_event, person, relationship_survey

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC


def _invitations(database: Database) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = database.query(
        "SELECT profile_id, status, reason, send_at FROM survey_invitations "
        "ORDER BY profile_id, send_at"
    )
    return rows


def test_triggers_invite_with_delay_and_record_blocked_reasons(database: Database) -> None:
    person(database, "p-1", "a@example.com")
    person(database, "p-2", "b@example.com", consent=False)
    person(database, "p-3", "c@example.com")
    ces = create_survey(database, relationship_survey(name="CES"))
    create_trigger(
        database,
        ces.survey_id,
        {"event": "Ticket Resolved", "delay_minutes": 60, "channel": "email"},
    )
    add_event(database, "p-1", "Ticket Resolved", T0)
    add_event(database, "p-1", "Ticket Resolved", T0 + timedelta(days=2))  # within 7-day cooldown
    add_event(database, "p-2", "Ticket Resolved", T0)  # no consent for surveys
    add_event(
        database, "p-3", "Ticket Resolved", T0.replace(hour=20, minute=30)
    )  # 21:30 send → quiet
    add_event(database, "p-3", "Order Completed", T0)  # other event: ignored
    settings = VocSettings(recontact_days=7, quiet_start_hour=21, quiet_end_hour=8)
    run = run_triggers(database, settings=settings)
    assert (run.events_matched, run.scheduled, run.blocked) == (4, 2, 2)
    assert dict(run.reasons) == {"consent": 1, "recontact": 1}
    rows = _invitations(database)
    assert [(r[0], r[1]) for r in rows] == [
        ("p-1", "scheduled"),
        ("p-1", "blocked"),
        ("p-2", "blocked"),
        ("p-3", "scheduled"),
    ]
    assert rows[0][3] == T0 + timedelta(hours=1)
    assert rows[3][3] == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # moved past quiet hours
    assert rows[3][2] == "deferred: quiet hours"
    # A second run sees nothing new; a new event after the cursor is picked up.
    assert run_triggers(database, settings=settings).events_matched == 0
    add_event(
        database, "p-1", "Ticket Resolved", T0 + timedelta(days=30), received_at=datetime.now(UTC)
    )
    again = run_triggers(database, settings=settings)
    # Past the global 7-day cooldown but within the survey's own 90-day rule.
    assert (again.events_matched, again.blocked, dict(again.reasons)) == (1, 1, {"survey rule": 1})
    add_event(
        database, "p-1", "Ticket Resolved", T0 + timedelta(days=95), received_at=datetime.now(UTC)
    )
    assert run_triggers(database, settings=settings).scheduled == 1
    # Re-scanning from the start never invites the same event twice.
    assert run_triggers(database, settings=settings, from_start=True).events_matched == 0


def test_sampling_and_property_filter(database: Database) -> None:
    survey = create_survey(database, relationship_survey(rules={"cooldown_days": 0}))
    create_trigger(
        database,
        survey.survey_id,
        {"event": "Order Completed", "sample_percent": 30, "filter": {"channel": ["web", "app"]}},
    )
    for i in range(200):
        person(database, f"p-{i}", f"u{i}@example.com")
        add_event(
            database, f"p-{i}", "Order Completed", T0, {"channel": "web" if i % 2 else "store"}
        )
    run = run_triggers(database, settings=VocSettings(quiet_start_hour=0, quiet_end_hour=0))
    assert run.events_matched == 100
    assert 15 <= run.scheduled <= 45 and run.sampled_out == 100 - run.scheduled


def test_trigger_validation_names_the_field(database: Database) -> None:
    survey = create_survey(database, relationship_survey())
    for body, field in (
        ({}, "event"),
        ({"event": "X", "sample_percent": 0}, "sample_percent"),
        ({"event": "X", "delay_minutes": -5}, "delay_minutes"),
        ({"event": "X", "channel": "pigeon"}, "channel"),
    ):
        with pytest.raises(SurveyError) as bad:
            create_trigger(database, survey.survey_id, body)
        assert bad.value.field == field


def test_quiet_hours_window() -> None:
    settings = VocSettings(quiet_start_hour=21, quiet_end_hour=8)
    assert after_quiet_hours(T0, settings) == T0
    assert after_quiet_hours(T0.replace(hour=3), settings) == T0.replace(hour=8)
    assert after_quiet_hours(T0.replace(hour=22), settings) == T0.replace(hour=8) + timedelta(
        days=1
    )


@pytest.mark.backends("duckdb")
def test_the_worker_invites_for_new_events(database: Database) -> None:
    import time

    from cxm.voc.worker import TriggerWorker

    person(database, "p-1", "a@example.com")
    survey = create_survey(database, relationship_survey())
    create_trigger(database, survey.survey_id, {"event": "Ticket Resolved"})
    worker = TriggerWorker(database, 0.05).start()
    try:
        add_event(database, "p-1", "Ticket Resolved", datetime.now(UTC))
        deadline = time.monotonic() + 10
        while not database.scalar("SELECT count(*) FROM survey_invitations"):
            assert time.monotonic() < deadline, "the worker did not invite"
            time.sleep(0.05)
    finally:
        worker.stop()
    assert database.scalar("SELECT position_at FROM voc_cursors") is not None
