"""Survey invitations that voc's event triggers schedule for e-mail or SMS, delivered
through engage's outbox.

voc decides who is invited and when (sampling, consent for surveys, recontact rules,
quiet hours) and records the invitation; engage, the stage that owns channels, sends
the personal link once it is due, with the outbox's retries and idempotency key
(``voc-invitation:<id>``, so a relay that runs twice enqueues nothing twice).
Invitations that fell due longer ago than ``RELAY_WINDOW`` are not sent: a survey link
arriving days after the experience asks about something the person has forgotten.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxm.engage.outbox import enqueue
from cxm.store import Database

RELAY_CHANNELS = ("email", "sms", "messaging")
RELAY_WINDOW = timedelta(hours=24)
_BATCH = 1000


def relay_due_invitations(database: Database, now: datetime | None = None) -> int:
    """Enqueue a delivery for every due, not yet relayed e-mail/SMS invitation."""
    if "survey_invitations" not in database.table_names():
        return 0
    now = now or datetime.now(UTC)
    marks = ", ".join("?" for _ in RELAY_CHANNELS)
    rows = database.query(
        "SELECT i.invitation_id, i.profile_id, i.channel, i.survey_id, i.touchpoint "
        "FROM survey_invitations i WHERE i.status = 'scheduled' AND i.profile_id IS NOT NULL "
        f"AND i.channel IN ({marks}) AND i.send_at <= ? AND i.send_at > ? "
        "AND NOT EXISTS (SELECT 1 FROM engage_outbox o "
        "WHERE o.idempotency_key = 'voc-invitation:' || i.invitation_id) "
        "ORDER BY i.send_at LIMIT ?",
        [*RELAY_CHANNELS, now, now - RELAY_WINDOW, _BATCH],
    )
    if not rows:
        return 0
    with database.transaction() as tx:
        for invitation_id, profile_id, channel, survey_id, touchpoint in rows:
            enqueue(
                tx,
                idempotency_key=f"voc-invitation:{invitation_id}",
                action="survey",
                payload={
                    "kind": "survey_link",
                    "invitation_id": invitation_id,
                    "survey_id": survey_id,
                    "touchpoint": touchpoint,
                    "channel": channel,
                },
                now=now,
                profile_id=profile_id,
                channel=channel,
            )
    return len(rows)
