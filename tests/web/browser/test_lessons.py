"""Lesson pages in Chromium: axe-core finds no accessibility violation, and a phone reads them without sideways
scrolling. axe-core comes from PyPI (axe-playwright-python bundles it), so nothing is fetched at test time."""

from __future__ import annotations

import pytest

from outreach.services.lessons import lesson_steps
from tests.web.browser.conftest import screenshot

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_every_lesson_page_passes_axe_core(site, viewport):
    from axe_playwright_python.sync_playwright import Axe

    page = site.page(viewport)
    for step in lesson_steps(site.ctx.catalog):
        page.goto(f"/learn/{step.key}")

        results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "best-practice"]})

        assert results.violations_count == 0, f"{step.key}:\n{results.generate_report()}"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), step.key
        assert page.console_errors == []
    screenshot(page, f"lesson-{'phone' if viewport is PHONE else 'laptop'}")


def test_a_lesson_page_needs_no_sign_in(site):
    page = site.page(PHONE)
    step = lesson_steps(site.ctx.catalog)[0]

    response = page.goto(f"/learn/{step.key}")

    assert response.status == 200 and page.url.endswith(f"/learn/{step.key}")
    assert (
        page.get_by_role("link", name="Book your next visit").get_attribute("href")
        == site.ctx.settings.clinic.booking_url
    )
