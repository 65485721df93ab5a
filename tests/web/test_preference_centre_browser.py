"""The preference centre in a real headless Chromium: open a signed link on a phone-sized
screen, change choices with keyboard and mouse, submit, and find them in the ledger."""

from __future__ import annotations

import pytest

from cxm.privacy.consent_check import may_contact
from cxm.privacy.consent_links import make_link_token
from cxm.privacy.preferences import get_preferences
from cxm.settings import Settings
from tests.profiles.people import add_profile
from tests.web.conftest import Site, Tab

pytestmark = pytest.mark.browser


def test_preference_centre_change_is_stored(duckdb_site: Site, chromium: object) -> None:
    site = duckdb_site
    add_profile(site.database, "p-1", [("email", "li.wei@example.cn")])
    token = make_link_token(site.database, "li.wei@example.cn", Settings())
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        response = page.goto(f"{site.url}/preferences/{token}")
        assert response.status == 200
        assert page.locator("h1").inner_text() == "您的沟通偏好"  # Accept-Language zh-CN
        # Fits a phone in every language (German has the longest words).
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(f"{site.url}/preferences/{token}?lang=de")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(f"{site.url}/preferences/{token}?lang=zh")
        page.get_by_label("短信").check()  # marketing via SMS
        page.get_by_label("优惠和促销").check()
        page.get_by_label("频率").select_option("monthly")
        page.get_by_role("button", name="保存我的选择").click()
        page.wait_for_url("**saved=1**")
        assert page.get_by_role("status").inner_text() == "已保存，谢谢。"
        assert page.get_by_label("短信").is_checked()
    finally:
        context.close()
    assert may_contact(site.database, "p-1", "marketing", "sms").allowed
    assert not may_contact(site.database, "p-1", "marketing", "email").allowed
    prefs = get_preferences(site.database, "p-1")
    assert prefs.topics == ("offers",) and prefs.frequency == "monthly"
    [row] = site.database.query("SELECT user_agent, ip, identifier FROM consent_ledger")
    assert "Chrome" in row[0] and row[1] == "127.0.0.1" and row[2] == "email:li.wei@example.cn"


def test_preference_centre_forged_link_shows_error_page(duckdb_site: Site, tab: Tab) -> None:
    site = duckdb_site
    add_profile(site.database, "p-1", [("email", "ana@example.de")])
    token = make_link_token(site.database, "p-1", Settings())
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = tab.page.goto(f"{site.url}/preferences/{forged}")
    assert response.status == 400
    assert "not valid" in tab.page.get_by_role("alert").inner_text()
    assert all("400 (Bad Request)" in e for e in tab.errors), tab.errors
