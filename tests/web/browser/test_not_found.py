"""The 404 pages in Chromium at a laptop's and a phone's width: the dashboard's (with the menu, for staff signed
in) and the public one (no staff menu). Neither scrolls sideways, even for a long mistyped address."""

from __future__ import annotations

import pytest

from tests.web.browser.conftest import screenshot

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LONG_ADDRESS = "/clients/1/" + "visits_recorded_last_week_for_the_whole_clinic" * 2


def fits(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_dashboards_404_page_keeps_the_menu_and_fits(site):
    for size, viewport in WIDTHS.items():
        page = site.signed_in("frontdesk", viewport=viewport)

        response = page.goto(LONG_ADDRESS)

        assert response.status == 404 and response.headers["content-type"].startswith("text/html")
        assert page.get_by_role("heading", name="Page not found").is_visible()
        assert page.locator("main code").inner_text() == LONG_ADDRESS
        assert page.locator('nav[aria-label="Main"] a[href="/inbox"]').count() >= 1  # folded on a phone
        assert page.get_by_role("button", name="Sign out").is_visible()
        assert fits(page), size
        screenshot(page, f"31-404-dashboard-{size}")
        page.context.close()


def test_the_public_404_page_has_no_staff_menu_and_fits(site):
    for size, viewport in WIDTHS.items():
        page = site.signed_in("frontdesk", viewport=viewport)

        response = page.goto("/learn/es/pain-cycle/" + "no_such_lesson_in_any_language" * 3)

        assert response.status == 404
        assert page.get_by_role("heading", name="We couldn't find this page").is_visible()
        assert page.locator("nav").count() == 0 and "frontdesk" not in page.content()
        assert fits(page), size
        screenshot(page, f"31-404-public-{size}")
        page.context.close()
