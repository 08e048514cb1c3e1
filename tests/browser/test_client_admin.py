"""The front desk adds a client and fixes a number in the browser, at laptop and at phone width."""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
WIDTHS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def fits(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", WIDTHS)
def test_the_desk_adds_a_client_then_corrects_the_mobile_number(site, size):
    page = site.signed_in("frontdesk", start="/clients", viewport=WIDTHS[size])
    page.get_by_role("link", name="Add a client").click()
    assert fits(page)
    page.get_by_label("First name").fill(f"Dana {size}")
    page.get_by_label("Mobile", exact=True).fill("555")
    page.get_by_label("Client ID in your booking system").fill(f"BR-{size}")
    page.get_by_role("button", name="Add client").click()

    assert "not a valid phone number" in page.get_by_role("alert").inner_text() or \
        "not a phone number" in page.get_by_role("alert").inner_text()
    page.get_by_label("Mobile", exact=True).fill("612 555 0142")
    page.get_by_role("button", name="Add client").click()
    page.wait_for_url("**/clients/*")
    assert "Client added." in page.content()
    assert "(612) 555-0142" in page.content()

    page.get_by_text("Edit contact details").click()
    page.locator("#details-phone").fill("612 555 0143")
    page.get_by_role("button", name="Save details").click()
    assert "Details saved." in page.content() and "(612) 555-0143" in page.content()
    assert fits(page)
    # The refused form answers 400, which Chromium logs; nothing else may fail (a CSP block would).
    assert [error for error in page.console_errors if "status of 400" not in error] == []
    screenshot(page, f"20-client-added-{size}")
