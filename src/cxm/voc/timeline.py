"""The voc stage's entries on the profile timeline (``register_adapter`` at import):
one entry per survey response and one per closed-loop case."""

from __future__ import annotations

from cxm.profiles import TimelineAdapter, TimelineEntry, register_adapter
from cxm.store import Row


def _response(row: Row) -> TimelineEntry:
    at, response_id, survey_id, name, status, channel, touchpoint, language = row
    title = f"Answered survey {name or survey_id}"
    if status != "complete":
        title += " (partial)"
    return TimelineEntry(
        at,
        "survey_response",
        str(response_id),
        channel,
        touchpoint,
        title,
        None,
        {"survey_id": survey_id, "status": status, "language": language},
    )


def _case(row: Row) -> TimelineEntry:
    at, case_id, reason, status, owner, survey_id = row
    return TimelineEntry(
        at,
        "case",
        str(case_id),
        None,
        "closed loop",
        f"Follow-up case ({reason.replace('_', ' ')}), {status.replace('_', ' ')}",
        None,
        {"reason": reason, "status": status, "owner": owner, "survey_id": survey_id},
    )


register_adapter(
    TimelineAdapter(
        kind="survey_response",
        table="survey_responses",
        time_column="started_at",
        select=(
            "started_at, response_id, survey_id, "
            "(SELECT s.name FROM surveys s WHERE s.survey_id = survey_responses.survey_id), "
            "status, channel, touchpoint, language"
        ),
        order_key="response_id",
        to_entry=_response,
    )
)
register_adapter(
    TimelineAdapter(
        kind="case",
        table="cases",
        time_column="created_at",
        select="created_at, case_id, reason, status, owner, survey_id",
        order_key="case_id",
        to_entry=_case,
    )
)
