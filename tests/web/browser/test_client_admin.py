"""The front desk adds a client and fixes a number in the browser, at laptop and at phone width."""

from __future__ import annotations

import pytest

from tests.web.browser.conftest import screenshot

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

    assert (
        "not a valid phone number" in page.get_by_role("alert").inner_text()
        or "not a phone number" in page.get_by_role("alert").inner_text()
    )
    page.get_by_label("Mobile", exact=True).fill("612 555 0142")
    page.get_by_role("button", name="Add client").click()
    page.wait_for_url("**/clients/*")
    assert "Client added." in page.content()
    assert "(612) 555-0142" in page.content()

    page.get_by_text("Edit contact details").click()
    page.locator("#details-phone").fill("612 555 0143")
    page.get_by_role("button", name="Save details").click()
    page.get_by_text("Details saved.").wait_for()  # the form posts, then the page comes back
    assert "Details saved." in page.content() and "(612) 555-0143" in page.content()
    assert fits(page)
    # The refused form answers 400, which Chromium logs; nothing else may fail (a CSP block would).
    assert [error for error in page.console_errors if "status of 400" not in error] == []
    screenshot(page, f"20-client-added-{size}")


EXPORT = (
    "Client ID;First Name;Last Name;Email Address;Mobile Phone\n"
    "BX{n};Eve;Lind;eve{n}@example.com;612-555-0161\n"
    "BY{n};Fay;Moss;{bad};612-555-0162\n"
)


@pytest.mark.parametrize("size", WIDTHS)
def test_the_desk_uploads_an_export_sees_the_bad_row_fixes_it_and_imports(site, size, tmp_path):
    page = site.signed_in("frontdesk", start="/imports", viewport=WIDTHS[size])
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(EXPORT.format(n=size, bad="fay-at-example"))
    good.write_text(EXPORT.format(n=size, bad=f"fay{size}@example.com"))

    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and match columns").click()
    assert page.get_by_label("Email Address").input_value() == "email"
    page.get_by_role("button", name="Check the file").click()
    assert "bad.csv:3: email: not a valid email address" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("button", name="Import", exact=True).count() == 0
    assert fits(page)
    screenshot(page, f"21-import-problem-{size}")

    page.goto("/imports")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and match columns").click()
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url("**/clients")
    assert "imported clients: 2 created" in page.content()
