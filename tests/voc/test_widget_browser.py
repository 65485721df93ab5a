"""The tracker's on-site survey calls (`cxm.surveys.next()` / `.answer()`) in Chromium:
a web invitation waiting for a known visitor is fetched and answered from the page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxm.collect.sources import create_source
from cxm.privacy.consent import record_consent
from cxm.settings import Settings
from cxm.store import open_database
from cxm.voc.invitations import invite
from cxm.voc.surveys import create_survey
from tests.profiles.people import add_profile
from tests.voc.data import relationship_survey
from tests.web.conftest import Site, start_site

pytestmark = pytest.mark.browser
PAGE = """<!doctype html><html lang="en"><head><title>Shop</title></head><body>
<script src="/cxm.js" data-write-key="{key}"></script></body></html>"""


@pytest.fixture
def open_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("CXM_VOC_QUIET_START_HOUR", "0")  # due at once, whatever the hour
    monkeypatch.setenv("CXM_VOC_QUIET_END_HOUR", "0")
    url = f"duckdb:///{tmp_path / 'cxm.duckdb'}"
    database = open_database(url)
    try:
        yield from start_site(database, Settings(database_url=url, auth_required=False))
    finally:
        database.close()


def test_tracker_fetches_and_answers_a_waiting_survey(open_site: Site, chromium: Any) -> None:
    database = open_site.database
    source = create_source(database, "shop-site", channel="web")
    add_profile(database, "p-1", [("anonymous_id", "anon-widget")])
    record_consent(database, "p-1", "surveys", "*", "granted", source="test")
    create_survey(database, relationship_survey(survey_id="rel"))
    waiting = invite(database, survey_id="rel", profile_id="p-1", touchpoint="web", channel="web")
    assert waiting.status == "scheduled"
    context = chromium.new_context()
    context.add_cookies([{"name": "cxm_aid", "value": "anon-widget", "url": open_site.url}])
    page = context.new_page()
    page.route(
        re.compile(r"/shop/"),
        lambda route: route.fulfill(
            content_type="text/html", body=PAGE.format(key=source.write_key)
        ),
    )
    try:
        page.goto(f"{open_site.url}/shop/")
        offer = page.evaluate("cxm.surveys.next()")
        assert offer["survey_id"] == "rel" and offer["question"]["id"] == "nps"
        ok = page.evaluate("(token) => cxm.surveys.answer(token, {nps: 9}, false)", offer["token"])
        assert ok is True
    finally:
        context.close()
    deadline = time.monotonic() + 5
    while not database.scalar("SELECT count(*) FROM survey_answers"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert database.query("SELECT profile_id, score FROM survey_answers") == [("p-1", 9.0)]
