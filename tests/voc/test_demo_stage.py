"""The voc demo stage on a tiny generated demo: surveys triggered by the demo's own
events, answers in three languages that follow each person's experience, cases."""

from __future__ import annotations

import pytest

from cxm.demo.config import DemoConfig
from cxm.demo.files import DemoFiles
from cxm.demo.generate import generate
from cxm.demo.load import load
from cxm.demo.stage_voc import run
from cxm.store import Database

TINY = DemoConfig(customers=300, events=6_000, seed=5)


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate(TINY, tmp_path_factory.mktemp("voc-demo") / "files")


@pytest.mark.backends("duckdb")
def test_demo_stage_surveys_answers_and_cases(database: Database, tiny_files: DemoFiles) -> None:
    load(database, tiny_files)
    summary = run(database, tiny_files, lambda _: None)
    assert summary.startswith("voc: 3 surveys")
    assert run(database, tiny_files, lambda _: None) == ""  # idempotent on a loaded database
    triggered = database.query(
        "SELECT i.survey_id, count(*) FROM survey_invitations i JOIN survey_triggers t "
        "ON t.trigger_id = i.trigger_id GROUP BY i.survey_id ORDER BY 1"
    )
    assert [s for s, _ in triggered] == ["post-purchase-csat", "post-ticket-ces"]
    blocked = {
        r[0].split(":")[0]
        for r in database.query("SELECT reason FROM survey_invitations WHERE status = 'blocked'")
    }
    assert "consent" in blocked
    languages = {r[0] for r in database.query("SELECT DISTINCT language FROM survey_responses")}
    assert languages == {"zh", "de", "en"}
    assert database.scalar("SELECT count(*) FROM survey_answers WHERE question_type = 'kano'") > 0
    # Every answered invitation is marked responded; every response has its invitation.
    assert database.scalar(
        "SELECT count(*) FROM survey_responses r JOIN survey_invitations i "
        "ON i.invitation_id = r.invitation_id WHERE i.status = 'responded'"
    ) == database.scalar("SELECT count(*) FROM survey_responses")
    # Effort follows the ticket: reopened tickets get a lower CES on average.
    effort: dict[str, float] = dict(
        database.query(
            "SELECT CAST(e.properties->>'reopened' AS TEXT), avg(a.score) FROM survey_answers a "
            "JOIN survey_responses r ON r.response_id = a.response_id "
            "JOIN survey_invitations i ON i.invitation_id = r.invitation_id "
            "JOIN events e ON CAST(e.event_key AS TEXT) = i.event_key "
            "WHERE a.question_type = 'ces' GROUP BY 1"
        )
    )
    assert effort["true"] < effort["false"], effort
    reasons = {r[0] for r in database.query("SELECT DISTINCT reason FROM cases")}
    assert "detractor" in reasons
    assert database.scalar("SELECT count(*) FROM cases WHERE status = 'closed'") > 0
