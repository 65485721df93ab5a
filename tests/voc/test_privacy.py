"""Erasing a person removes their invitations, responses, answers, cases and notes;
a merge moves them (both found through profile_id, no voc-specific code)."""

from __future__ import annotations

from cxm.privacy.erase import erase_person
from cxm.store import Database
from cxm.voc.cases import update_case
from cxm.voc.invitations import invite
from cxm.voc.responses import Submission, submit_response
from cxm.voc.surveys import create_survey
from tests.voc.data import person, relationship_survey

TABLES = ("survey_invitations", "survey_responses", "survey_answers", "cases", "case_notes")


def _counts(database: Database) -> dict[str, int]:
    return {t: int(database.scalar(f"SELECT count(*) FROM {t}")) for t in TABLES}


def test_erase_removes_every_survey_row_of_the_person(database: Database) -> None:
    person(database, "p-1", "ana@example.de")
    person(database, "p-2", "bob@example.com")
    survey = create_survey(database, relationship_survey())
    for who in ("ana@example.de", "bob@example.com"):
        link = invite(
            database, survey_id=survey.survey_id, profile_id=who, touchpoint=None, channel="email"
        )
        result = submit_response(
            database,
            survey.survey_id,
            Submission({"nps": 1, "why": f"{who} is unhappy"}, token=link.token),
        )
        update_case(database, result.cases[0].case_id, author="lena", note=f"called {who}")
    assert _counts(database) == {t: 2 for t in TABLES} | {"survey_answers": 4}
    erase_person(database, "ana@example.de", actor="test")
    assert _counts(database) == {t: 1 for t in TABLES} | {"survey_answers": 2}
    texts = [r[0] for r in database.query("SELECT text FROM survey_answers WHERE text IS NOT NULL")]
    assert texts == ["bob@example.com is unhappy"]
