"""A respondent completes a survey on the hosted page in a real headless Chromium
(phone-sized, JavaScript off, German), then the Kano and results charts draw."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxm.settings import Settings
from cxm.store import open_database
from cxm.voc.invitations import invite
from cxm.voc.surveys import create_survey
from tests.voc.data import person, relationship_survey
from tests.web.conftest import Site, start_site

pytestmark = pytest.mark.browser


@pytest.fixture
def open_site(tmp_path: Path) -> Iterator[Site]:
    url = f"duckdb:///{tmp_path / 'cxm.duckdb'}"
    database = open_database(url)
    try:
        yield from start_site(database, Settings(database_url=url, auth_required=False))
    finally:
        database.close()


def test_complete_a_survey_in_chromium(open_site: Site, chromium: Any) -> None:
    database = open_site.database
    person(database, "p-1", "max@example.de")
    survey = create_survey(database, relationship_survey(survey_id="rel"))
    invitation = invite(
        database, survey_id=survey.survey_id, profile_id="p-1", touchpoint=None, channel="email"
    )
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, locale="de-DE", java_script_enabled=False
    )
    page = context.new_page()
    try:
        assert page.goto(f"{open_site.url}/s/{invitation.token}").status == 200
        assert page.locator("h1").inner_text() == "Ihre Meinung"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
        page.get_by_role("button", name="Weiter").click()  # nothing chosen: asked again
        assert "Bitte beantworten" in page.get_by_role("alert").inner_text()
        page.locator("label.point", has_text="4").first.click()
        page.get_by_role("button", name="Weiter").click()
        page.get_by_label("Was lief schief?").fill("Die Lieferung kam viel zu spät.")
        functional = page.get_by_label("Wenn das Produkt dies hat, wie finden Sie das?")
        functional.first.select_option("like")
        page.get_by_label(
            "Wenn das Produkt dies nicht hat, wie finden Sie das?"
        ).first.select_option("dislike")
        page.locator("#question-effort label.point", has_text="5").click()
        page.get_by_role("button", name="Absenden").click()
        assert "Vielen Dank" in page.get_by_role("status").inner_text()
    finally:
        context.close()
    rows = database.query(
        "SELECT question_id, item, score, text, kano_functional, language FROM survey_answers "
        "ORDER BY question_id, item"
    )
    assert rows == [
        ("effort", "", 5.0, None, None, "de"),
        ("features", "fast_delivery", None, None, "like", "de"),
        ("nps", "", 4.0, None, None, "de"),
        ("why", "", None, "Die Lieferung kam viel zu spät.", None, "de"),
    ]
    assert database.scalar("SELECT status FROM survey_responses") == "complete"
    assert database.scalar("SELECT reason FROM cases") == "detractor"
    # The Kano chart draws (JavaScript on, vendored ECharts, no console errors).
    tab = chromium.new_context(viewport={"width": 1280, "height": 900})
    kano = tab.new_page()
    errors: list[str] = []
    kano.on("pageerror", lambda e: errors.append(str(e)))
    try:
        kano.goto(f"{open_site.url}/kano?survey=rel")
        kano.wait_for_selector("#kano-chart canvas")
        kano.goto(f"{open_site.url}/surveys/rel")
        kano.wait_for_selector("#trend-chart canvas")
        kano.wait_for_selector("#dist-nps canvas")
        assert errors == []
    finally:
        tab.close()
