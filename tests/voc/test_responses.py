"""Responses on both backends: partial saves, skip logic, one response per token,
versions, and closed-loop cases written with the response."""

from __future__ import annotations

from typing import Any

import pytest

from cxm.store import Database
from cxm.voc.cases import list_cases, open_case, sla_report, update_case
from cxm.voc.invitations import invite
from cxm.voc.model import SurveyError
from cxm.voc.responses import Submission, submit_response
from cxm.voc.surveys import create_survey, get_survey, update_survey
from tests.voc.data import person, relationship_survey


def _answers(database: Database, response_id: str) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = database.query(
        "SELECT question_id, item, score, text, kano_functional, kano_dysfunctional, profile_id, "
        "language FROM survey_answers WHERE response_id = ? ORDER BY question_id, item",
        [response_id],
    )
    return rows


def test_partial_then_complete_with_a_detractor_case(database: Database) -> None:
    person(database, "p-1", "ana@example.de")
    survey = create_survey(
        database, relationship_survey(routing={"owner": "lena", "sla_hours": 24})
    )
    first = submit_response(
        database,
        survey.survey_id,
        Submission({"nps": 3}, complete=False, identifier="ana@example.de", language="de"),
    )
    assert first.status == "partial" and first.profile_id == "p-1" and first.language == "de"
    # The case exists as soon as the detractor answer is stored, before completion.
    [case] = list_cases(database, profile_id="p-1")
    assert (case.reason, case.owner, case.status, case.response_id) == (
        "detractor",
        "lena",
        "open",
        first.response_id,
    )
    assert case.due_at is not None and (case.due_at - case.created_at).total_seconds() == 24 * 3600
    done = submit_response(
        database,
        survey.survey_id,
        Submission(
            {
                "why": "Lieferung kam zu spät",
                "features": {
                    "fast_delivery": {"functional": "like", "dysfunctional": "dislike"},
                    "gift_wrap": {"functional": "neutral", "dysfunctional": "neutral"},
                },
                "effort": 2,
            },
            complete=True,
            response_id=first.response_id,
        ),
    )
    assert done.status == "complete"
    assert [c.reason for c in done.cases] == ["high_effort"]  # the detractor case is not repeated
    rows = _answers(database, first.response_id)
    assert [(r[0], r[1]) for r in rows] == [
        ("effort", ""),
        ("features", "fast_delivery"),
        ("features", "gift_wrap"),
        ("nps", ""),
        ("why", ""),
    ]
    assert rows[1][4:6] == ("like", "dislike")
    assert {r[6] for r in rows} == {"p-1"} and {r[7] for r in rows} == {"de"}
    with pytest.raises(SurveyError) as again:
        submit_response(
            database, survey.survey_id, Submission({"nps": 9}, response_id=first.response_id)
        )
    assert (again.value.field, again.value.status) == ("response_id", 409)


def test_skip_logic_and_answer_validation_name_the_field(database: Database) -> None:
    survey = create_survey(database, relationship_survey())
    with pytest.raises(SurveyError) as hidden:
        submit_response(database, survey.survey_id, Submission({"nps": 10, "why": "great"}))
    assert hidden.value.field == "answers.why"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"nps": 11}, "answers.nps"),
        ({"nps": "x"}, "answers.nps"),
        ({"nps": 5, "effort": 0}, "answers.effort"),
        (
            {"nps": 5, "features": {"gift_wrap": {"functional": "love"}}},
            "answers.features.gift_wrap.functional",
        ),
        ({"nps": 5, "features": {"teleport": {}}}, "answers.features.teleport"),
        ({"unknown": 1}, "answers.unknown"),
        ({"effort": 5}, "answers.nps"),  # required on completion
    ]
    for answers, field in cases:
        with pytest.raises(SurveyError) as bad:
            submit_response(database, survey.survey_id, Submission(answers))
        assert bad.value.field == field, answers
    assert database.scalar("SELECT count(*) FROM survey_responses") == 0


def test_one_response_per_token_and_versions_are_kept(database: Database) -> None:
    person(database, "p-2", "bob@example.com")
    survey = create_survey(database, relationship_survey())
    invitation = invite(
        database,
        survey_id=survey.survey_id,
        profile_id="bob@example.com",
        touchpoint=None,
        channel="email",
    )
    assert invitation.status == "scheduled" and invitation.token and invitation.url
    assert invitation.url.endswith(f"/s/{invitation.token}")
    first = submit_response(
        database, survey.survey_id, Submission({"nps": 9}, complete=False, token=invitation.token)
    )
    assert first.response_id == f"r-{invitation.invitation_id}" and first.profile_id == "p-2"
    # The survey is edited while the response is open: the response keeps version 1.
    changed = relationship_survey(name="Relationship NPS v2")
    changed["questions"] = changed["questions"][:1]
    assert update_survey(database, survey.survey_id, changed).version == 2
    second = submit_response(
        database, survey.survey_id, Submission({"effort": 6}, complete=True, token=invitation.token)
    )
    assert (second.response_id, second.survey_version) == (first.response_id, 1)
    with pytest.raises(SurveyError) as used:
        submit_response(database, survey.survey_id, Submission({"nps": 1}, token=invitation.token))
    assert (used.value.field, used.value.status) == ("token", 409)
    with pytest.raises(SurveyError) as forged:
        submit_response(
            database, survey.survey_id, Submission({"nps": 1}, token=invitation.token[:-2] + "xx")
        )
    assert forged.value.field == "token"
    assert database.scalar("SELECT count(*) FROM survey_responses") == 1
    assert get_survey(database, survey.survey_id).version == 2  # type: ignore[union-attr]
    assert (
        database.scalar(
            "SELECT status FROM survey_invitations WHERE invitation_id = ?",
            [invitation.invitation_id],
        )
        == "responded"
    )


def test_invitation_is_blocked_without_consent_and_within_cooldown(database: Database) -> None:
    person(database, "p-3", "cy@example.com", consent=False)
    person(database, "p-4", "di@example.com")
    survey = create_survey(database, relationship_survey())
    other = create_survey(database, relationship_survey(name="Other"))
    blocked = invite(
        database,
        survey_id=survey.survey_id,
        profile_id="cy@example.com",
        touchpoint=None,
        channel="email",
    )
    assert blocked.blocked and blocked.token is None and blocked.reason.startswith("consent:")  # type: ignore[union-attr]
    ok = invite(
        database,
        survey_id=survey.survey_id,
        profile_id="di@example.com",
        touchpoint=None,
        channel="email",
    )
    assert not ok.blocked
    again = invite(
        database,
        survey_id=other.survey_id,
        profile_id="di@example.com",
        touchpoint=None,
        channel="email",
    )
    assert again.blocked and again.reason.startswith("recontact:")  # type: ignore[union-attr]
    reasons = database.query(
        "SELECT status, count(*) FROM survey_invitations GROUP BY status ORDER BY 1"
    )
    assert reasons == [("blocked", 2), ("scheduled", 1)]


def test_manual_case_lifecycle_and_sla_share(database: Database) -> None:
    person(database, "p-5", "eve@example.com")
    case = open_case(
        database, profile_id="eve@example.com", reason="manual", source="test", note="called"
    )
    assert case.profile_id == "p-5" and case.status == "open"
    update_case(
        database, case.case_id, author="lena", status="in_progress", note="left a voicemail"
    )
    closed = update_case(
        database, case.case_id, author="lena", status="closed", outcome="refund issued"
    )
    assert closed.closed_at is not None and closed.within_sla is True
    late = open_case(database, profile_id="p-5", reason="manual", source="test", sla_hours=1)
    database.execute(
        "UPDATE cases SET status = 'closed', closed_at = due_at + INTERVAL '1 hour' "
        "WHERE case_id = ?",
        [late.case_id],
    )
    report = sla_report(database)
    assert (report.total, report.closed, report.closed_within_sla) == (2, 2, 1)
    assert report.share_within_sla == 0.5
    with pytest.raises(SurveyError) as bad:
        update_case(database, case.case_id, author="x", status="done")
    assert bad.value.field == "status"
