"""The copy editor in the dashboard: marketing edits, checks, previews, publishes and restores; the front desk
cannot reach it; the worker sends what is published."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from outreach.sending.worker import tick
from outreach.services.facts import record_visit
from tests.helpers import add_client, change, messages
from tests.services.test_edits import CHECKIN, MONDAY, sent_texts
from tests.desk import Desk, audit_entries, give_contact, page_text

EDIT = "/campaigns/checkin/pain-checkin/edit"
LESSON_EDIT = "/campaigns/education/pain-cycle/edit"
OVER_BUDGET = (
    "Hi {{ client.first_name }}, how has your pain been over these past few weeks, since we last saw you "
    "at the clinic? Reply with a number 0-10 (0 = no pain)."
)
FIXED = "Hi {{ client.first_name }}, how is your pain today? Reply with a number 0-10 (0 = no pain)."


@pytest.fixture
def marketing(ctx) -> Desk:
    desk = Desk(ctx, now=MONDAY).sign_in_as("marketing")
    give_contact(ctx, "marketing", phone="+16125550199")  # a test goes to the member's own phone
    return desk


def seen_client(ctx, external_id: str, phone: str, **client) -> int:  # noqa: ANN001, ANN003
    """A client who came in once, two days ago: the check-in campaign asks how their pain is, no rebook is due."""
    client_id = add_client(ctx, external_id, at=MONDAY, phone=phone, **client)
    change(ctx, client_id, record_visit, MONDAY - timedelta(days=2), "attended", "desk")
    return client_id


def form(desk: Desk, path: str, language: str = "en") -> dict:
    """One language's fields as the editor fills them (with the language, as its form sends it)."""
    page = desk.get(path).text
    fields = {
        "subject": re.search(rf'id="subject-{language}" name="subject"[^>]* value="([^"]*)"', page).group(1),
        "body": re.search(rf'<textarea id="body-{language}"[^>]*>(.*?)</textarea>', page, re.DOTALL).group(1),
        "sms": re.search(rf'<textarea id="sms-{language}"[^>]*>(.*?)</textarea>', page, re.DOTALL).group(1),
    }
    return {key: html.unescape(value) for key, value in fields.items()} | {"language": language}


def test_the_front_desk_cannot_reach_the_editor(ctx):
    desk = Desk(ctx, now=MONDAY).sign_in_as("front_desk")

    assert desk.get(EDIT).status_code == 403
    assert desk.post(EDIT, {"sms": FIXED, "action": "publish", "confirm": "yes"}).status_code == 403
    assert desk.post(EDIT.replace("/edit", "/preview"), {"sms": FIXED}).status_code == 403
    assert desk.post(EDIT.replace("/edit", "/versions/1/restore")).status_code == 403


def test_marketing_sees_the_warning_fixes_publishes_and_the_next_tick_sends_the_new_copy(ctx, marketing):
    fields = form(marketing, EDIT)
    assert fields["sms"].startswith("Hi {{ client.first_name }},")

    marketing.post(EDIT, {**fields, "sms": OVER_BUDGET, "action": "save"})
    page = page_text(marketing.get(EDIT))
    assert "Text as a whole: warning: SMS needs 2 segments" in page
    assert "each segment is billed, aim for 1 (sms.target_segments)" in page
    assert "A draft by marketing" in page

    seen_client(ctx, "c1", "+16125550100")
    tick(ctx, MONDAY, record=False)
    assert "over these past few weeks" not in sent_texts(ctx)[-1]  # the draft is not sent

    response = marketing.post(EDIT, {**fields, "sms": FIXED, "action": "publish", "confirm": "yes"})
    assert response.status_code == 303
    page = page_text(marketing.get(EDIT))
    assert "English copy published: the next pass of the worker sends it." in page
    assert "warning" not in page and "This is the live copy." in page

    seen_client(ctx, "c2", "+16125550101")
    tick(ctx, MONDAY, record=False)
    assert (
        sent_texts(ctx)[-1] == "Northside Massage: Hi Ann, how is your pain today? Reply with a number 0-10 "
        "(0 = no pain).\nReply STOP to opt out."
    )
    assert [e.detail for e in audit_entries(ctx, "copy.publish")] == [CHECKIN]


def test_restoring_the_old_version_sends_the_old_copy(ctx, marketing):
    marketing.post(EDIT, {**form(marketing, EDIT), "sms": FIXED, "action": "publish", "confirm": "yes"})
    page = page_text(marketing.get(EDIT))
    shipped_id = re.search(r"Version (\d+) ?: the shipped file, .*? by files", page).group(1)

    assert (
        marketing.post(f"{EDIT.replace('/edit', '')}/versions/{shipped_id}/restore", {"confirm": "yes"}).status_code
        == 303
    )

    seen_client(ctx, "c1", "+16125550100")
    tick(ctx, MONDAY, record=False)
    assert sent_texts(ctx)[-1].startswith("Northside Massage: Hi Ann, how was your pain this week?")
    assert f"restored version {shipped_id}" in page_text(marketing.get(EDIT))
    diff = marketing.get(f"{EDIT.replace('/edit', '')}/versions/{int(shipped_id) + 1}")
    assert '<span class="diff-add">+Hi {{ client.first_name }}, how is your pain today?' in diff.text.replace(
        "&#34;", '"'
    ).replace("&#39;", "'")


def test_an_error_shows_its_line_in_the_body_and_blocks_publishing(ctx, marketing):
    fields = form(marketing, LESSON_EDIT)
    body = "Hi there,\n\nA new paragraph.\n\n{{ client.last_name }}"

    marketing.post(LESSON_EDIT, {**fields, "body": body, "action": "publish", "confirm": "yes"})

    page = page_text(marketing.get(LESSON_EDIT))
    assert "English copy not published: fix the errors below first. Your draft is saved." in page
    assert "Email body, line 5: 'dict object' has no attribute 'last_name'" in page
    assert audit_entries(ctx, "copy.publish") == []


def test_the_live_preview_renders_what_is_typed_without_storing_it(ctx, marketing):
    fields = form(marketing, LESSON_EDIT)

    response = marketing.post(
        LESSON_EDIT.replace("/edit", "/preview"),
        {**fields, "subject": "A brand new subject", "sms": "Read: {{ lesson_url }}"},
    )

    found = json.loads(response.text)
    assert found["email"]["subject"] == "A brand new subject"
    assert (
        found["sms"]["text"] == "Northside Massage: Read: http://localhost:8000/learn/pain-cycle\n"
        "Reply STOP to opt out."
    )
    assert found["sms"]["size"] == "1 segment · GSM-7 · 86 characters"
    assert "A draft by" not in page_text(marketing.get(LESSON_EDIT))


def test_a_test_of_the_draft_is_queued_with_the_draft_and_the_live_copy_stays(ctx, marketing):
    draft = "Hi {{ client.first_name }}, a draft: how is your pain this week? Reply 0-10 (0 = no pain)."
    marketing.post(EDIT, {**form(marketing, EDIT), "sms": draft, "action": "save"})

    response = marketing.post(f"{EDIT}/test", {"to": "+16125550199", "phase": "tapering"})
    page = page_text(marketing.get(response.headers["location"]))
    add_client(ctx, "c9", at=MONDAY, phone="+16125550198")  # a client with consent to texts may get a test too
    live = marketing.post(EDIT.replace("/edit", "/test"), {"to": "+16125550198"})

    assert response.status_code == 303 and response.headers["location"] == f"{EDIT}?phase=tapering#copy-en"
    assert "Test to +16125550199 queued: the worker sends it within a minute." in page
    assert live.status_code == 303
    [from_draft, from_live] = messages(ctx, is_test=True)
    assert from_draft.rendered["text"] == (
        "Northside Massage: Hi Christopher, a draft: how is your pain this week? Reply 0-10 (0 = no pain).\n"
        "Reply STOP to opt out."
    )
    assert "a draft" not in from_live.rendered["text"], "the step page tests the live copy"
    assert (from_draft.status, from_draft.is_test, from_draft.client_id) == ("planned", True, None)


def test_publishing_asks_to_confirm_and_shows_what_changes_before_clients_get_it(ctx, marketing):
    fields = form(marketing, EDIT)

    asked = marketing.post(EDIT, {**fields, "sms": FIXED, "action": "publish"})
    confirm = marketing.get(asked.headers["location"])

    assert asked.headers["location"] == "/campaigns/checkin/pain-checkin/publish?language=en&phase=establishing"
    assert audit_entries(ctx, "copy.publish") == [] and "A draft by marketing" in page_text(marketing.get(EDIT))
    assert "Publish the English copy?" in page_text(confirm)
    assert "the worker sends it from its next pass" in page_text(confirm)
    assert '<span class="diff-add">+Hi {{ client.first_name }}, how is your pain today?' in html.unescape(confirm.text)
    confirmed = re.search(
        r'<form method="post" action="([^"]+)" class="compact" id="publish">(.*?)</form>', confirm.text, re.DOTALL
    )
    sent = {name: html.unescape(value) for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', confirmed[2])}
    marketing.post(confirmed[1], sent)
    assert [e.detail for e in audit_entries(ctx, "copy.publish")] == [CHECKIN]
    assert "English copy published" in page_text(marketing.get(EDIT))


def test_restoring_asks_to_confirm_on_the_version_page(ctx, marketing):
    marketing.post(EDIT, {**form(marketing, EDIT), "sms": FIXED, "action": "publish", "confirm": "yes"})
    shipped = re.search(r"Version (\d+) ?: the shipped file", page_text(marketing.get(EDIT))).group(1)
    restore = f"{EDIT.replace('/edit', '')}/versions/{shipped}/restore"

    asked = marketing.post(restore)
    page = page_text(marketing.get(asked.headers["location"].split("#")[0]))

    assert asked.headers["location"].endswith(f"/versions/{shipped}#restore")
    assert audit_entries(ctx, "copy.restore") == []
    assert f"Restore version {shipped}? Restoring publishes this version of the English copy again, at once" in page
    assert f'href="/campaigns/checkin/pain-checkin/versions/{shipped}#restore"' in marketing.get(EDIT).text


def test_a_text_s_size_is_the_rendered_text_s_against_the_target_and_maximum_and_lines_are_the_text_s(marketing):
    fields = form(marketing, EDIT)
    long_text = "Hi {{ client.first_name }},\nhow is your pain?\n" + "Reply with a number from 0 to 10. " * 6
    marketing.post(EDIT, {**fields, "sms": "Hi {{ client.first_name }},\nhow is your pain?\nmedication, reply 0-10."})
    denied = page_text(marketing.get(EDIT))
    found = json.loads(marketing.post(EDIT.replace("/edit", "/preview"), {**fields, "sms": long_text}).text)
    marketing.post(EDIT, {**fields, "sms": long_text})
    sized = page_text(marketing.get(EDIT))

    assert "Text, line 3: deny-listed word 'medication'" in denied
    assert found["sms"]["size"].startswith("2 segments · GSM-7 · ")
    assert found["sms"]["size"].endswith("over the target of 1: shorten it")
    assert "Text as a whole: warning: SMS needs 2 segments" in sized and "Text, line 1" not in sized
    assert "target 1 segment, maximum 2" in sized
    fields = form(marketing, EDIT)
    too_long = json.loads(marketing.post(EDIT.replace("/edit", "/preview"), {**fields, "sms": long_text * 2}).text)
    assert too_long["sms"]["size"].endswith("over the maximum of 2: never sent this long")
