"""The copy editor in Chromium: marketing takes a text over budget and sees it, fixes it, publishes, and the next
tick sends the new copy; restoring the old version sends the old copy; the front desk cannot reach the editor."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from outreach.sending.worker import tick
from outreach.services.facts import record_visit
from tests.web.browser.conftest import screenshot
from tests.helpers import add_client, change

EDIT = "/campaigns/checkin/pain-checkin/edit"
PHONE = {"width": 390, "height": 844}
MONDAY = datetime(2026, 3, 2, 16, tzinfo=timezone.utc)  # 10:00 in Minneapolis: a new client's check-in goes
OVER = (
    "Hi {{ client.first_name }}, how has your pain been over these past few weeks, since we last saw you at "
    "the clinic? Reply with a number 0-10 (0 = no pain)."
)
FIXED = "Hi {{ client.first_name }}, how is your pain today? Reply with a number 0-10 (0 = no pain)."


def seen(ctx, client_id: int, at: datetime) -> None:  # noqa: ANN001
    """The client came in two days before `at`: their check-in is due, no rebook yet."""
    change(ctx, client_id, record_visit, at - timedelta(days=2), "attended", "desk")


def text_sent_to(site, phone: str, days: int) -> str:
    """Add a client with this number, run one worker pass, and return the text it got."""
    at = MONDAY + timedelta(days=days)
    seen(site.ctx, add_client(site.ctx, f"editor-{phone}", at=at, phone=phone, email=None), at)
    tick(site.ctx, at, record=False)
    path = site.ctx.settings.outbox.directory / "sms.jsonl"
    [body] = [t["body"] for t in map(json.loads, path.read_text().splitlines()) if t["to"] == phone]
    return body


def test_marketing_edits_publishes_and_restores_and_the_worker_follows(site):
    page = site.signed_in("marketing", EDIT)
    english = page.locator("#copy-en")
    sms = page.get_by_label("Text message (English)")

    sms.fill(OVER)
    english.locator(".sms-bubble", has_text="over these past few weeks").wait_for()  # the live preview
    size = english.locator("[data-preview=sms-size]").inner_text()  # the size as you type
    assert size == "2 segments · GSM-7 · 184 characters · over the target of 1: shorten it"
    page.get_by_role("button", name="Save English draft").click()
    page.get_by_text("English draft saved").wait_for()
    assert "Text as a whole: warning: SMS needs 2 segments" in page.locator("#problems-en").inner_text()
    assert "English texts: target 1 segment, maximum 2." in english.inner_text()
    screenshot(page, "editor-over-budget")

    page.get_by_label("Text message (English)").fill(FIXED)
    page.get_by_role("button", name="Publish English…").click()
    page.get_by_role("heading", name="Publish the English copy?").wait_for()  # nothing is published yet
    assert page.locator(".diff-add", has_text="how is your pain today?").count() == 1
    screenshot(page, "31-publish-confirm")
    page.get_by_role("button", name="Yes, publish the English copy").click()
    page.get_by_text("English copy published: the next pass of the worker sends it.").wait_for()
    assert page.locator("#problems-en").count() == 0
    assert text_sent_to(site, "+16125550161", days=0).startswith("Northside Massage: Hi Ann, how is your pain today?")

    page.get_by_role("link", name="Restore version").first.click()
    page.get_by_role("heading", name="Restore version").wait_for()  # the version page asks first
    screenshot(page, "31-restore-confirm")
    page.get_by_role("button", name="Yes, restore version").click()
    page.get_by_text("restored and published").wait_for()
    assert text_sent_to(site, "+16125550162", days=7).startswith(
        "Northside Massage: Hi Ann, how was your pain this week?"
    )
    assert page.console_errors == []


def test_the_editor_reads_on_a_phone(site):
    page = site.signed_in("marketing", EDIT, viewport=PHONE)

    screenshot(page, "editor-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Publish English…").click()  # the confirmation pages fit too
    page.get_by_role("heading", name="Publish the English copy?").wait_for()
    screenshot(page, "31-publish-confirm-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_front_desk_cannot_reach_the_editor(site):
    page = site.signed_in("frontdesk")

    response = page.goto(EDIT)

    assert response.status == 403
    assert page.get_by_label("Text message (English)").count() == 0
