"""Issue 31's desk forms in the browser, at laptop and phone width: each checkbox sits beside its words (add a
client, erase, campaign settings and weekdays), and the time zone is offered from a list."""

from __future__ import annotations

import pytest

from tests.web.browser.conftest import screenshot

pytestmark = pytest.mark.browser
WIDTHS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def gaps(page, boxes: str) -> list[float]:  # noqa: ANN001
    """For each checkbox or radio matched, the space between it and the start of its label's words."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].filter(b => b.offsetParent).map(box => {
            const range = document.createRange();
            range.selectNodeContents(box.parentElement);
            range.setStartAfter(box);
            return range.getBoundingClientRect().left - box.getBoundingClientRect().right;
        })""",
        boxes,
    )


@pytest.mark.parametrize("size", WIDTHS)
def test_checkboxes_sit_beside_their_words_on_every_desk_form(site, size):
    page = site.signed_in("admin", start="/clients/new", viewport=WIDTHS[size])
    new_form = gaps(page, "form input[type=checkbox]")
    zones = page.locator("#new-zones option").evaluate_all("options => options.map(o => o.value)")
    screenshot(page, f"31-add-client-{size}")

    page.goto(f"/clients/{site.clients['ann']}")
    erase = gaps(page, "form input[name=confirm]")
    page.goto("/campaigns")
    page.locator("details.settings summary").first.click()
    settings = gaps(page, "details.settings[open] input[type=checkbox]")
    screenshot(page, f"31-campaign-settings-{size}")

    assert len(new_form) == 2 and len(erase) == 1 and len(settings) == 8  # enabled and seven weekdays
    assert all(0 <= gap <= 16 for gap in new_form + erase + settings), (new_form, erase, settings)
    assert zones[:2] == ["America/New_York", "America/Chicago"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
