"""The copy editor's languages in Chromium: the Spanish text is edited beside the English with its own size counter
and preview, published and restored on its own, and the worker follows; the columns stack on a phone."""

from __future__ import annotations

import json
from datetime import timedelta

from outreach.sending.worker import tick
from tests.helpers import add_client
from tests.web.browser.conftest import screenshot
from tests.web.browser.test_editor import EDIT, MONDAY, seen

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SPANISH = "{{ client.first_name }}, ¿cómo está hoy su dolor? Responda del 0 al 10 (0 = sin dolor)."


def text_sent_to(site, phone: str, language: str, days: int) -> str:
    """Add a client in `language` with this number, run one worker pass, and return the text it got."""
    at = MONDAY + timedelta(days=days)
    seen(site.ctx, add_client(site.ctx, f"languages-{phone}", at=at, phone=phone, email=None, language=language), at)
    tick(site.ctx, at, record=False)
    path = site.ctx.settings.outbox.directory / "sms.jsonl"
    [body] = [t["body"] for t in map(json.loads, path.read_text().splitlines()) if t["to"] == phone]
    return body


def test_spanish_is_edited_beside_the_english_published_and_restored_on_its_own(site):
    page = site.signed_in("marketing", EDIT, viewport=LAPTOP)
    english, spanish = page.locator("#copy-en"), page.locator("#copy-es")
    english_text = english.locator("[data-preview=sms-text]").inner_text()
    left, right = english.bounding_box(), spanish.bounding_box()
    assert right["x"] >= left["x"] + left["width"] and abs(right["y"] - left["y"]) < 2  # side by side

    page.get_by_label("Text message (Spanish)").fill(SPANISH)
    bubble = spanish.locator(".sms-bubble", has_text="¿cómo está hoy su dolor?")
    bubble.wait_for()  # its own live preview, in Spanish
    assert bubble.get_attribute("lang") == "es"
    size = spanish.locator("[data-preview=sms-size]").inner_text()  # its own size as you type, Spanish's target
    assert size.startswith("2 segments · UCS-2") and "over the target" not in size
    assert "none (no short block)" in spanish.locator("[data-preview=sms-short-size]").inner_text()
    assert "Joaquín María: the full text" in spanish.locator("[data-preview=sms-long-name]").inner_text()
    assert english.locator("[data-preview=sms-text]").inner_text() == english_text
    for language in ("en", "es"):  # the email previews painted (Chromium paints a frame once it is seen)
        page.frame_locator(f"#copy-{language} iframe").locator("body p").first.wait_for()
        page.locator(f"#copy-{language} iframe").scroll_into_view_if_needed()
    screenshot(page, "editor-languages-laptop")

    spanish.get_by_role("button", name="Publish Spanish…").click()
    page.get_by_role("button", name="Yes, publish the Spanish copy").click()
    page.get_by_text("Spanish copy published: the next pass of the worker sends it.").wait_for()
    assert "¿cómo está hoy su dolor?" in text_sent_to(site, "+16125550171", "es", days=0)
    assert text_sent_to(site, "+16125550172", "en", days=0).startswith("Northside Massage: Hi Ann,")
    assert page.locator("#copy-en .versions").count() == 0, "the English copy has no version"

    page.locator("#copy-es").get_by_role("link", name="Restore version").first.click()
    page.get_by_role("button", name="Yes, restore version").click()
    page.get_by_text("restored and published: the next pass of the worker sends it.").wait_for()
    assert "¿cómo va su dolor esta semana?" in text_sent_to(site, "+16125550173", "es", days=7)
    assert page.console_errors == []


def test_the_language_columns_stack_on_a_phone(site):
    page = site.signed_in("marketing", EDIT, viewport=PHONE)
    english, spanish = page.locator("#copy-en").bounding_box(), page.locator("#copy-es").bounding_box()

    for language in ("en", "es"):
        page.frame_locator(f"#copy-{language} iframe").locator("body p").first.wait_for()
        page.locator(f"#copy-{language} iframe").scroll_into_view_if_needed()
    screenshot(page, "editor-languages-phone")
    assert spanish["y"] >= english["y"] + english["height"] and abs(spanish["x"] - english["x"]) < 2
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
