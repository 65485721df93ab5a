"""The other actions and steps: SMS provider, offer code by e-mail, set trait, preferred
channel, wait until a local time, split, exit event, re-entry after days."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from cxm.engage.config import EngageSettings
from cxm.engage.engine import Engine, EventFact
from cxm.engage.journeys import create_journey
from cxm.engage.segments import preview_count
from cxm.engage.worker import dispatch_once
from cxm.privacy.preferences import Preferences, save_preferences
from cxm.store import Database
from tests.engage.people import add_profile, grant
from tests.engage.receivers import smtp_server, webhook_receiver

BERLIN = ZoneInfo("Europe/Berlin")
NOON = (
    (datetime.now(BERLIN) - timedelta(days=1))
    .replace(hour=12, minute=0, second=0, microsecond=0)
    .astimezone(UTC)
)


def _fact(profile_id: str, event: str, when: datetime = NOON, **props: Any) -> EventFact:
    return EventFact(profile_id, event, props, uuid.uuid4().hex, when)


def _person(database: Database, pid: str = "p1") -> None:
    add_profile(database, pid, country="DE", email=f"{pid}@example.de")
    database.execute(
        "UPDATE customer_records SET phone = '+4915112345678', first_name = 'Ana' "
        "WHERE profile_id = ?",
        [pid],
    )
    grant(database, pid, "marketing")


def test_sms_offer_and_trait(database: Database) -> None:
    _person(database)
    database.execute(
        "INSERT INTO engage_offers (offer_id, title, code, discount, valid_days, created_at) "
        "VALUES ('WB', '10% off', 'WB10', '10%', 14, ?)",
        [NOON],
    )
    steps = [
        {"type": "action", "action": "sms", "text": {"de": "Hallo $first_name"}},
        {
            "type": "action",
            "action": "offer",
            "offer": "WB",
            "channel": "email",
            "templates": {"de": {"subject": "$offer_title", "body": "Code $offer_code"}},
        },
        {"type": "action", "action": "set_trait", "traits": {"winback": "sent"}},
    ]
    create_journey(database, "multi", {"trigger": {"event": "Go"}, "steps": steps}, status="active")
    with webhook_receiver() as provider, smtp_server() as smtp:
        settings = EngageSettings(
            sms_url=provider.url, smtp_port=smtp.port, backoff_seconds=0, cap_total_day=9
        )
        Engine(database, settings).handle_events([_fact("p1", "Go")], NOON)
        assert dispatch_once(database, settings) == {"sent": 3}
    sms = orjson.loads(provider.deliveries[0].body)
    assert sms == {"to": "+4915112345678", "text": "Hallo Ana"}
    assert provider.deliveries[0].key is not None
    body = smtp.messages[0].get_payload()
    assert smtp.messages[0]["Subject"] == "10% off" and "Code WB10-" in body
    assert preview_count(database, {"trait": "winback", "value": "sent"})[0] == 1


def test_preferred_channel_is_used(database: Database) -> None:
    _person(database)
    save_preferences(database, "p1", Preferences(preferred_channel="sms"), source="test")
    create_journey(
        database,
        "pref",
        {
            "trigger": {"event": "Go"},
            "steps": [
                {
                    "type": "action",
                    "action": "offer",
                    "offer": "X",
                    "channel": "preferred",
                    "text": "Code $offer_code",
                    "templates": {"en": {"body": "unused"}},
                }
            ],
        },
        status="active",
    )
    Engine(database, EngageSettings()).handle_events([_fact("p1", "Go")], NOON)
    channel, payload = database.query("SELECT channel, CAST(payload AS TEXT) FROM engage_outbox")[0]
    assert channel == "sms" and orjson.loads(payload)["kind"] == "sms"


def test_wait_until_local_time_split_exit_and_reentry(database: Database) -> None:
    for p in ("p1", "p2"):
        _person(database, p)
    create_journey(
        database,
        "morning",
        {
            "trigger": {"event": "Go"},
            "exit": {"event": "Stop"},
            "reentry": {"after_days": 7},
            "steps": [
                {"type": "wait", "until": "09:30"},
                {
                    "type": "split",
                    "branches": [
                        {
                            "percent": 50,
                            "steps": [
                                {"type": "action", "action": "set_trait", "traits": {"arm": "a"}}
                            ],
                        },
                        {
                            "percent": 50,
                            "steps": [
                                {"type": "action", "action": "set_trait", "traits": {"arm": "b"}}
                            ],
                        },
                    ],
                },
            ],
        },
        status="active",
    )
    engine = Engine(database, EngageSettings())
    engine.handle_events([_fact("p1", "Go"), _fact("p2", "Go")], NOON)
    wake = dict(database.query("SELECT profile_id, wake_at FROM journey_runs"))
    assert wake["p1"] == datetime.combine(
        NOON.astimezone(BERLIN).date() + timedelta(days=1),
        datetime.min.time().replace(hour=9, minute=30),
        BERLIN,
    )
    engine.handle_events([_fact("p2", "Stop")], NOON + timedelta(hours=1))
    assert engine.run_due(wake["p1"] + timedelta(seconds=1)) == 1  # p2 exited, p1 woke
    states = dict(database.query("SELECT profile_id, state FROM journey_runs"))
    assert states == {"p1": "done", "p2": "exited"}
    arms = database.query("SELECT outcome FROM journey_step_log WHERE kind = 'split'")
    assert arms[0][0] in ("branch 0", "branch 1")
    # Re-entry after 7 days: not the next day, but 8 days later.
    assert engine.handle_events([_fact("p1", "Go")], NOON + timedelta(days=1)) == 0
    assert engine.handle_events([_fact("p1", "Go")], NOON + timedelta(days=8)) == 1


def test_case_and_survey_actions_call_voc(database: Database) -> None:
    """Through ``cxm.voc`` (migration 0005): a follow-up case is opened; a survey
    invitation without surveys consent is recorded as skipped with voc's reason."""
    _person(database)
    create_journey(
        database,
        "loop",
        {
            "trigger": {"event": "Go"},
            "purpose": "surveys",
            "steps": [
                {"type": "action", "action": "case", "reason": "detractor", "note": "call"},
                {"type": "action", "action": "survey", "survey_id": "nps", "channel": "email"},
            ],
        },
        status="active",
    )
    Engine(database, EngageSettings()).handle_events([_fact("p1", "Go")], NOON)
    outcome = dispatch_once(database, EngageSettings())
    assert outcome.get("sent") == 1, outcome
    cases = database.query("SELECT reason, profile_id FROM cases")
    assert cases == [("detractor", "p1")]
    status, reason = database.query(
        "SELECT status, block_reason FROM engage_outbox WHERE action = 'survey'"
    )[0]
    assert status == "skipped" and reason


def test_survey_action_e_mails_the_personal_link_in_the_persons_language(
    database: Database,
) -> None:
    """With surveys consent, the invitation's signed single-use link reaches the person
    over real SMTP, in their language, and opens the hosted survey page's path."""
    from cxm.privacy.consent import record_consent
    from cxm.voc.invitations import read_token
    from cxm.voc.surveys import create_survey
    from tests.voc.data import relationship_survey

    _person(database)  # country DE → German
    record_consent(database, "p1", "surveys", "*", "granted", source="test")
    create_survey(database, relationship_survey(), survey_id="nps")
    create_journey(
        database,
        "ask",
        {
            "trigger": {"event": "Go"},
            "purpose": "surveys",
            "steps": [{"type": "action", "action": "survey", "survey_id": "nps"}],
        },
        status="active",
    )
    with smtp_server() as smtp:
        settings = EngageSettings(smtp_port=smtp.port, backoff_seconds=0.0)
        Engine(database, settings).handle_events([_fact("p1", "Go")], NOON)
        outcome = dispatch_once(database, settings)
    assert outcome.get("sent") == 1, outcome
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "p1@example.de"
    assert message["Subject"] == "Wie war es?"
    body = message.get_payload(decode=True).decode()
    token = body.strip().split("/s/")[1]
    link = read_token(database, token)
    assert (link.survey_id, link.profile_id, link.channel) == ("nps", "p1", "email")


def test_invitations_scheduled_by_voc_triggers_are_delivered_once_while_fresh(
    database: Database,
) -> None:
    """voc records an e-mail invitation; engage's dispatcher delivers its link once, and
    leaves alone an invitation that fell due too long ago."""
    from cxm.privacy.consent import record_consent
    from cxm.voc.invitations import invite, read_token
    from cxm.voc.surveys import create_survey
    from tests.voc.data import relationship_survey

    _person(database)
    record_consent(database, "p1", "surveys", "*", "granted", source="test")
    create_survey(database, relationship_survey(), survey_id="nps")
    invitation = invite(database, survey_id="nps", profile_id="p1", touchpoint="t", channel="email")
    assert invitation.status == "scheduled", invitation
    # Due a minute ago (voc may have deferred it past its quiet hours).
    database.execute(
        "UPDATE survey_invitations SET send_at = ? WHERE invitation_id = ?",
        [datetime.now(UTC) - timedelta(minutes=1), invitation.invitation_id],
    )
    database.execute(
        "INSERT INTO survey_invitations (invitation_id, survey_id, profile_id, touchpoint, "
        "channel, status, created_at, send_at) VALUES ('stale', 'nps', 'p1', 't', 'email', "
        "'scheduled', ?, ?)",
        [NOON - timedelta(days=3), NOON - timedelta(days=3)],
    )
    with smtp_server() as smtp:
        settings = EngageSettings(smtp_port=smtp.port, backoff_seconds=0.0)
        assert dispatch_once(database, settings).get("sent") == 1
        assert dispatch_once(database, settings) == {}
    assert len(smtp.messages) == 1
    body = smtp.messages[0].get_payload(decode=True).decode()
    link = read_token(database, body.strip().split("/s/")[1])
    assert link.invitation_id == invitation.invitation_id
