"""The engage stage's entries on the profile timeline (``register_adapter`` at import):
one entry per journey entry and one per message decided for the person (sent, queued,
deferred for quiet hours or blocked, with the reason)."""

from __future__ import annotations

from cxm.profiles import TimelineAdapter, TimelineEntry, register_adapter
from cxm.store import Row


def _run(row: Row) -> TimelineEntry:
    at, run_id, journey, grp, state = row
    title = f"Entered journey {journey or '(deleted)'}"
    if grp == "holdout":
        title += " (holdout: no messages)"
    return TimelineEntry(
        at, "journey", str(run_id), None, "engage", title, None, {"group": grp, "state": state}
    )


def _message(row: Row) -> TimelineEntry:
    at, message_id, action, channel, status, reason = row
    title = f"{action.replace('_', ' ').capitalize()} {status}"
    return TimelineEntry(
        at,
        "message",
        str(message_id),
        channel,
        "engage",
        title,
        reason,
        {"action": action, "status": status},
    )


register_adapter(
    TimelineAdapter(
        kind="journey",
        table="journey_runs",
        time_column="entered_at",
        select=(
            "entered_at, run_id, (SELECT j.name FROM journeys j "
            "WHERE j.journey_id = journey_runs.journey_id), grp, state"
        ),
        order_key="run_id",
        to_entry=_run,
    )
)
register_adapter(
    TimelineAdapter(
        kind="message",
        table="engage_outbox",
        time_column="created_at",
        select="created_at, message_id, action, channel, status, block_reason",
        order_key="message_id",
        to_entry=_message,
    )
)
