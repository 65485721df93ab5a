"""`cxm voc ...` on a DuckDB file: the exact commands of the issue, hand-checked figures."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from cxm.store import open_database
from cxm.store.migrations import apply_migrations
from cxm.voc.responses import Submission, submit_response
from tests.support.cli import cxm
from tests.voc.data import relationship_survey


def _kano(f: str, d: str) -> dict[str, dict[str, str]]:
    return {"fast_delivery": {"functional": f, "dysfunctional": d}}


def test_voc_cli_creates_a_survey_and_reports_nps_and_kano(
    database_file: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "survey.json"
    spec.write_bytes(orjson.dumps(relationship_survey(survey_id="rel")))
    code, out = cxm("voc", "surveys", "create", "--file", str(spec))
    assert code == 0 and '"survey_id": "rel"' in out
    database = open_database(f"duckdb:///{database_file}")
    try:
        apply_migrations(database)
        # 3 promoters, 1 passive, 2 detractors (NPS 16.67); Kano: A, O, O, M, I, Q.
        answers = [
            (10, "touchpoint-a", _kano("like", "neutral")),
            (9, "touchpoint-a", _kano("like", "dislike")),
            (9, "touchpoint-b", _kano("like", "dislike")),
            (8, "touchpoint-b", _kano("must-be", "dislike")),
            (6, "touchpoint-b", _kano("neutral", "neutral")),
            (0, "touchpoint-b", _kano("like", "like")),
        ]
        for score, touchpoint, kano in answers:
            submit_response(
                database,
                "rel",
                Submission({"nps": score, "features": kano}, touchpoint=touchpoint),
            )
    finally:
        database.close()
    code, out = cxm("voc", "nps", "--survey", "rel", "--by", "touchpoint", "--json")
    assert code == 0, out
    nps = json.loads(out)
    assert (nps["score"], nps["n"], nps["promoters"], nps["passives"], nps["detractors"]) == (
        16.67,
        6,
        3,
        1,
        2,
    )
    # 1.96*100*sqrt((1/2 + 1/3 - (1/6)**2)/6) = 196*sqrt(0.134259) = 71.82
    assert nps["margin_of_error"] == 71.82
    assert nps["groups"]["touchpoint-a"]["score"] == 100.0
    assert nps["groups"]["touchpoint-b"]["score"] == -25.0
    # a vs the rest (= b): 100 − (−25) = 125; se = 100·√(0/2 + 0.6875/4) = 41.46; z = 3.015
    versus = nps["groups"]["touchpoint-a"]["vs_rest"]
    assert (versus["difference"], versus["z"], versus["significant"]) == (125.0, 3.015, True)
    code, out = cxm("voc", "nps", "--survey", "rel", "--split", "2000-01-01", "--json")
    assert code == 0 and json.loads(out)["periods"] is None  # nothing before 2000
    code, out = cxm("voc", "nps", "--survey", "rel", "--split", "next week")
    assert code == 2 and "--split" in out
    code, out = cxm("voc", "kano", "--survey", "rel", "--json")
    assert code == 0, out
    [feature] = json.loads(out)["features"]
    # A=1, O=2, M=1, I=1 (Q excluded): Better 3/5, Worse -3/5; most frequent O.
    assert (feature["feature"], feature["category"]) == ("fast_delivery", "O")
    assert (feature["better"], feature["worse"]) == (0.6, -0.6)
    code, out = cxm("voc", "surveys", "list")
    assert code == 0 and "rel" in out
    code, out = cxm("voc", "cases", "list")
    assert code == 0 and "detractor" in out and "2 cases" in out


def test_voc_cli_errors_name_the_option(database_file: Path, tmp_path: Path) -> None:
    code, out = cxm("voc", "nps", "--survey", "nope", "--json")
    assert code == 1 and "--survey" in out
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"name": "x", "questions": [{"id": "a", "type": "nps", "text": "t", "scale": 5}]}'
    )
    code, out = cxm("voc", "surveys", "create", "--file", str(bad))
    assert code == 2 and "questions[0].scale" in out
    code, out = cxm("voc", "surveys", "create", "--file", str(tmp_path / "missing.json"))
    assert code == 2 and "--file" in out
    code, out = cxm("voc", "cases", "list", "--status", "done")
    assert code == 2 and "--status" in out


def test_voc_cli_triggers_and_invite(database_file: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tests.voc.data import add_event, person

    spec = tmp_path / "survey.json"
    spec.write_bytes(orjson.dumps(relationship_survey(survey_id="rel")))
    assert cxm("voc", "surveys", "create", "--file", str(spec))[0] == 0
    code, out = cxm(
        "voc",
        "triggers",
        "add",
        "--survey",
        "rel",
        "--event",
        "Ticket Resolved",
        "--delay-minutes",
        "60",
        "--filter",
        '{"channel": "chat"}',
    )
    assert code == 0 and '"delay_minutes": 60' in out
    code, out = cxm("voc", "triggers", "add", "--survey", "rel", "--event", "X", "--filter", "{")
    assert code == 2 and "--filter" in out
    database = open_database(f"duckdb:///{database_file}")
    try:
        person(database, "p-1", "ana@example.de")
        person(database, "p-2", "bob@example.com", consent=False)
        add_event(
            database,
            "p-1",
            "Ticket Resolved",
            datetime(2026, 3, 2, 10, tzinfo=UTC),
            {"channel": "chat"},
        )
        add_event(
            database,
            "p-2",
            "Ticket Resolved",
            datetime(2026, 3, 2, 10, tzinfo=UTC),
            {"channel": "chat"},
        )
    finally:
        database.close()
    code, out = cxm("voc", "triggers", "run")
    assert code == 0, out
    run = json.loads(out)
    assert (run["events_matched"], run["scheduled"], run["blocked"]) == (2, 1, 1)
    assert run["blocked_by"] == {"consent": 1}
    code, out = cxm("voc", "invite", "--survey", "rel", "--identifier", "bob@example.com")
    assert code == 1 and '"status": "blocked"' in out  # no consent: exit 1, reason shown
