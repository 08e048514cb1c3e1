"""The report pages in a real browser: marketing sees figures and never a client; the front desk sees care
outcomes; both read well at laptop and phone width."""

from __future__ import annotations

import re

import pytest

from tests.web.browser.conftest import screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_marketing_opens_reports_and_finds_no_client_name(site):
    page = site.signed_in("marketing")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(r"/reports$"))

    assert page.get_by_role("heading", name="Campaign reports").is_visible()
    text = page.locator("main").inner_text()
    for name in ("Ann", "Bo", "alert(1)", "ann@example.com", "+16125550100"):
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text), name
    assert re.search(r"rebook\s+nudge\s+2\s+0\s+0\s+1", text)  # planned, sent, delivered, failed
    assert page.locator("svg.chart.trend").count() == 2
    assert page.locator("svg.chart.trend title").first.text_content() == "Messages sent per week"
    assert page.console_errors == []
    screenshot(page, "20-reports-laptop")


def test_reports_fit_a_phone(site):
    page = site.page(viewport=PHONE)
    page.goto("/login")
    page.get_by_label("Username").fill("marketing")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/reports")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "21-reports-phone")


def test_the_front_desk_sees_care_outcomes(site):
    page = site.signed_in("frontdesk")
    assert page.get_by_role("link", name="Reports").count() == 0
    page.get_by_role("link", name="Care outcomes").click()
    page.wait_for_url(re.compile(r"/care$"))
    assert page.get_by_role("heading", name="Clients per phase", exact=True).is_visible()
    assert page.locator("#table-phases tbody tr").count() >= 12
    assert page.console_errors == []
    screenshot(page, "22-care-laptop")
    page.set_viewport_size(PHONE)
    screenshot(page, "23-care-phone")
