"""The voc API and the hosted survey over real HTTP, on both backends."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from cxm.api.app import create_app
from cxm.auth import create_api_key
from cxm.settings import Settings
from cxm.store import Database
from tests.support.inprocess import serve_in_thread
from tests.voc.data import person, relationship_survey


@dataclass
class Site:
    url: str
    database: Database
    client: httpx.Client  # API key with voc:write + analytics:read


@pytest.fixture
def site(database: Database, database_url: str) -> Iterator[Site]:
    app = create_app(
        Settings(database_url=database_url, secret_key="t", auth_required=False), database=database
    )
    _, secret = create_api_key(database, "voc", ["voc:write", "analytics:read"], "test")
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as c,
    ):
        yield Site(url, database, c)


def test_survey_api_create_respond_results(site: Site) -> None:
    person(site.database, "p-1", "ana@example.de")
    created = site.client.post("/v1/surveys", json=relationship_survey(survey_id="rel"))
    assert created.status_code == 201, created.text
    bad = site.client.post(
        "/v1/surveys",
        json={
            **relationship_survey(),
            "questions": [{"id": "a", "type": "csat", "text": "x", "scale": 7}],
        },
    )
    assert bad.status_code == 400 and bad.json()["field"] == "questions[0].scale"
    for score, who in ((10, "ana@example.de"), (9, None), (3, None), (7, None)):
        body = {"answers": {"nps": score}, **({"identifier": who} if who else {})}
        answered = site.client.post("/v1/surveys/rel/responses", json=body)
        assert answered.status_code == 201, answered.text
    for language, effort in (("de", 6), ("zh", 2)):
        body = {"answers": {"nps": 8, "effort": effort}, "language": language}
        assert site.client.post("/v1/surveys/rel/responses", json=body).status_code == 201
    page = httpx.get(f"{site.url}/surveys/rel")  # CES by language: one row per language
    assert page.status_code == 200 and "CSAT and CES by language" in page.text
    wrong = site.client.post("/v1/surveys/rel/responses", json={"answers": {"nps": 12}})
    assert wrong.status_code == 400 and wrong.json()["field"] == "answers.nps"
    missing = site.client.post("/v1/surveys/nope/responses", json={"answers": {}})
    assert missing.status_code == 404
    results = site.client.get("/v1/surveys/rel/results").json()
    # 2 promoters, 3 passives, 1 detractor of 6: NPS 16.67,
    # MoE 1.96*100*sqrt((1/3 + 1/6 - (1/6)**2)/6) = 196*sqrt(0.078704) = 54.99
    assert results["nps"]["all"]["score"] == 16.67
    assert results["nps"]["all"]["margin_of_error"] == pytest.approx(54.99, abs=0.01)
    assert results["ces"]["all"]["n"] == 2 and results["ces"]["all"]["mean"] == 4.0
    assert results["cases"]["total"] == 2  # the detractor and the zh effort 2
    cases = site.client.get("/v1/cases", params={"status": "open"}).json()["cases"]
    assert sorted(c["reason"] for c in cases) == ["detractor", "high_effort"]
    # Two answers moved 200 days back: the page compares the last 90 days with before.
    site.database.execute(
        "UPDATE survey_answers SET answered_at = answered_at - INTERVAL '200 days' "
        "WHERE question_type = 'nps' AND score >= 9"
    )
    compared = httpx.get(f"{site.url}/surveys/rel").text
    # before: 2 promoters (NPS 100); last 90 days: 3 passives, 1 detractor (NPS -25)
    assert "Last 90 days -25.0 (n=4) vs before 100.0 (n=2): -125.0" in compared
    closed = site.client.patch(
        f"/v1/cases/{cases[0]['case_id']}", json={"status": "closed", "outcome": "called back"}
    )
    assert closed.json()["within_sla"] is True
    assert site.client.get("/v1/cases/sla").json()["share_within_sla"] == 1.0


def test_hosted_survey_without_javascript(site: Site) -> None:
    person(site.database, "p-2", "jun@example.cn")
    site.client.post("/v1/surveys", json=relationship_survey(survey_id="rel"))
    invited = site.client.post(
        "/v1/surveys/rel/invitations", json={"identifier": "jun@example.cn", "channel": "email"}
    ).json()
    token = invited["token"]
    browser = httpx.Client(
        base_url=site.url, timeout=10, headers={"accept-language": "zh-CN,zh;q=0.9"}
    )
    page = browser.get(f"/s/{token}")
    assert page.status_code == 200 and "您向朋友推荐我们的可能性有多大" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    # Page 1: missing the required answer → 400 with the page again.
    empty = browser.post(f"/s/{token}", data={"csrf": csrf, "page": "0", "lang": "zh"})
    assert empty.status_code == 400 and "请回答此问题" in empty.text
    step = browser.post(f"/s/{token}", data={"csrf": csrf, "page": "0", "lang": "zh", "q.nps": "2"})
    assert step.status_code == 303
    assert site.database.scalar("SELECT status FROM survey_responses") == "partial"
    page2 = browser.get(step.headers["location"])
    assert "哪里出了问题" in page2.text  # skip logic: a detractor is asked why
    done = browser.post(
        f"/s/{token}",
        data={
            "csrf": csrf,
            "page": "1",
            "lang": "zh",
            "q.why": "<script>alert(1)</script> 物流太慢",
            "q.features.fast_delivery.functional": "like",
            "q.features.fast_delivery.dysfunctional": "dislike",
            "q.effort": "6",
        },
    )
    assert done.status_code == 303
    thanks = browser.get(done.headers["location"])
    assert "感谢您的反馈" in thanks.text
    assert site.database.scalar("SELECT status FROM survey_responses") == "complete"
    again = browser.post(f"/s/{token}", data={"csrf": csrf, "page": "0", "q.nps": "10"})
    assert again.status_code == 409
    forged = browser.post(f"/s/{token}", data={"csrf": "0" * 64, "page": "0", "q.nps": "10"})
    assert forged.status_code == 403
    assert browser.get(f"/s/{token[:-3]}abc").status_code == 400
    # The verbatim is escaped on the results page (XSS) and the case shows in the inbox.
    results = browser.get("/surveys/rel")
    assert results.status_code == 200
    assert "<script>alert(1)</script>" not in results.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in results.text
    inbox = browser.get("/cases")
    assert inbox.status_code == 200 and "detractor" in inbox.text
    assert browser.get("/surveys").status_code == 200
    assert (
        browser.get("/kano").status_code == 200 and "Next-day delivery" in browser.get("/kano").text
    )
    assert browser.get("/surveys/new").status_code == 200
    profile = browser.get("/profiles/p-2")
    assert (
        "Surveys and follow-up" in profile.text
        and "Answered survey Relationship NPS" in profile.text
    )


def test_widget_delivers_a_due_web_invitation(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from cxm.collect.sources import create_source
    from cxm.privacy.consent import record_consent
    from tests.profiles.people import add_profile

    monkeypatch.setenv("CXM_VOC_QUIET_START_HOUR", "0")  # no quiet hours: due at once
    monkeypatch.setenv("CXM_VOC_QUIET_END_HOUR", "0")
    source = create_source(site.database, "website", channel="web")
    add_profile(site.database, "p-9", [("anonymous_id", "anon-9"), ("email", "v@example.com")])
    record_consent(site.database, "p-9", "surveys", "*", "granted", source="test")
    site.client.post("/v1/surveys", json=relationship_survey(survey_id="rel"))
    invited = site.client.post(
        "/v1/surveys/rel/invitations", json={"identifier": "anon-9", "channel": "web"}
    ).json()
    assert invited["status"] == "scheduled" and invited["reason"] is None, invited
    public = httpx.Client(base_url=site.url, timeout=10)
    params = {"writeKey": source.write_key, "anonymousId": "anon-9"}
    offer = public.get("/s/widget", params=params)
    assert offer.status_code == 200, offer.text
    body = offer.json()
    assert body["survey_id"] == "rel" and body["question"]["type"] == "nps"
    assert body["url"].endswith(f"/s/{body['token']}")
    answered = public.post(
        "/s/widget",
        json={"writeKey": source.write_key, "token": body["token"], "answers": {"nps": 10}},
    )
    assert answered.status_code == 201 and answered.json()["status"] == "partial"
    unknown = public.get("/s/widget", params={**params, "anonymousId": "nobody"})
    assert unknown.status_code == 204
    no_key = public.get("/s/widget", params={**params, "writeKey": "wrong"})
    assert no_key.status_code == 401


def test_every_question_type_through_the_hosted_form(site: Site) -> None:
    person(site.database, "p-3", "kim@example.com")
    survey = {
        "survey_id": "all",
        "name": "All types",
        "questions": [
            {"id": "csat", "type": "csat", "text": "Satisfied?", "required": True},
            {"id": "stars", "type": "rating", "text": "Stars", "scale": 5},
            {
                "id": "pick",
                "type": "single",
                "text": "Pick one",
                "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
            },
            {
                "id": "many",
                "type": "multi",
                "text": "Pick some",
                "options": [
                    {"id": "x", "text": "X"},
                    {"id": "y", "text": "Y"},
                    {"id": "z", "text": "Z"},
                ],
            },
            {
                "id": "grid",
                "type": "matrix",
                "text": "Rate",
                "scale": 7,
                "rows": [{"id": "speed", "text": "Speed"}, {"id": "price", "text": "Price"}],
            },
        ],
    }
    assert site.client.post("/v1/surveys", json=survey).status_code == 201
    token = site.client.post(
        "/v1/surveys/all/invitations", json={"identifier": "kim@example.com"}
    ).json()["token"]
    browser = httpx.Client(base_url=site.url, timeout=10)
    page = browser.get(f"/s/{token}").text
    for label in ("Satisfied?", "Stars", "Pick one", "Pick some", "Speed", "Price"):
        assert label in page
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    bad = browser.post(
        f"/s/{token}", data={"csrf": csrf, "page": "0", "q.csat": "2", "q.grid.speed": "9"}
    )
    assert bad.status_code == 400 and "answers.grid.speed" in bad.text
    done = browser.post(
        f"/s/{token}",
        data={
            "csrf": csrf,
            "page": "0",
            "q.csat": "2",
            "q.stars": "4",
            "q.pick": "b",
            "q.many": ["x", "z"],
            "q.grid.speed": "6",
            "q.grid.price": "3",
        },
    )
    assert done.status_code == 303
    rows = site.database.query(
        "SELECT question_id, item, score, CAST(choice AS TEXT) FROM survey_answers "
        "ORDER BY question_id, item"
    )
    assert [(q, i, s) for q, i, s, _ in rows] == [
        ("csat", "", 2.0),
        ("grid", "price", 3.0),
        ("grid", "speed", 6.0),
        ("many", "", None),
        ("pick", "", None),
        ("stars", "", 4.0),
    ]
    choices = {q: json.loads(c) for q, _, _, c in rows if c}
    assert choices == {"many": ["x", "z"], "pick": "b"}
    assert site.database.scalar("SELECT reason FROM cases") == "low_csat"


def test_builder_page_versions_and_status(site: Site) -> None:
    browser = httpx.Client(base_url=site.url, timeout=10)
    assert "Create survey" in browser.get("/surveys/new").text
    added = browser.post(
        "/surveys/new",
        data={
            "definition": json.dumps({"name": "Built", "questions": []}),
            "q_type": "nps",
            "q_text": "Recommend us?",
        },
    )
    assert added.status_code == 200 and "Recommend us?" in added.text  # added to the JSON
    bad = browser.post("/surveys/new", data={"definition": json.dumps({"name": "x"})})
    assert bad.status_code == 400 and "questions: a non-empty list" in bad.text
    definition = {
        "survey_id": "built",
        "name": "Built",
        "questions": [{"id": "q1", "type": "nps", "text": "Recommend us?"}],
    }
    created = browser.post("/surveys/new", data={"definition": json.dumps(definition)})
    assert created.status_code == 303 and created.headers["location"] == "/surveys/built"
    changed = {**definition, "name": "Built v2"}
    assert site.client.put("/v1/surveys/built", json=changed).json()["version"] == 2
    shown = site.client.get("/v1/surveys/built").json()
    assert (shown["version"], shown["definition"]["name"]) == (2, "Built v2")
    archived = site.client.post("/v1/surveys/built/status", json={"status": "archived"})
    assert archived.json()["status"] == "archived"
    closed = site.client.post("/v1/surveys/built/responses", json={"answers": {"q1": 9}})
    assert closed.status_code == 409 and closed.json()["field"] == "survey_id"
    bad_status = site.client.post("/v1/surveys/built/status", json={"status": "gone"})
    assert bad_status.status_code == 400 and bad_status.json()["field"] == "status"
