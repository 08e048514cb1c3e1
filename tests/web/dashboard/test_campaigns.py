"""Campaign pages for marketing: the catalogue, live previews, and test sends, queued for the worker to send
through the configured channel."""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import shutil
from datetime import time

import pytest
from sqlmodel import Session, select

from outreach.campaigns import Campaign, Step
from outreach.context import Context
from outreach.models import Message
from outreach.rendering import sample_context
from outreach.sending.dispatch import dispatch_due
from outreach.services import edits
from outreach.web.dashboard.routes.campaigns import PREVIEW_POLICY, timing
from tests.desk import Desk, audit_entries, give_contact, page_text
from tests.helpers import messages


OWN_EMAIL, OWN_PHONE = "owner@example.com", "+16125550199"


@pytest.fixture
def marketing(desk) -> Desk:
    desk.sign_in_as("marketing")
    give_contact(desk.ctx, "marketing", OWN_EMAIL, OWN_PHONE)  # tests below go to the member's own addresses
    return desk


def a_step(ctx: Context, channel: str) -> tuple[str, str]:
    for campaign in ctx.catalog.campaigns:
        for step in campaign.steps:
            if channel in step.channels:
                return campaign.name, step.key
    raise AssertionError(f"no step sends {channel}")


def test_it_lists_every_campaign_and_step(marketing):
    page = marketing.get("/campaigns").text

    for campaign in marketing.ctx.catalog.campaigns:
        assert html.escape(campaign.title) in page
        for step in campaign.steps:
            assert f'href="/campaigns/{campaign.name}/{step.key}"' in page


def test_it_previews_an_email_in_a_sandboxed_frame(marketing):
    name, key = a_step(marketing.ctx, "email")

    response = marketing.get(f"/campaigns/{name}/{key}?phase=tapering")
    frame = re.search(r"<iframe ([^>]*)>", response.text).group(1)
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))

    assert " sandbox " in f" {frame} "
    assert "allow-scripts" not in frame
    assert "Unsubscribe" in srcdoc or "unsubscribe" in srcdoc
    assert response.headers["content-security-policy"] == PREVIEW_POLICY
    assert "script-src 'self';" in PREVIEW_POLICY


def test_it_counts_the_segments_of_a_text(marketing):
    name, key = a_step(marketing.ctx, "sms")

    page = marketing.get(f"/campaigns/{name}/{key}").text

    assert re.search(r"\d+ characters in (GSM-7|UCS-2): \d+ segments?", page)
    assert '<div class="sms-bubble" lang="en">' in page


def sent_emails(ctx: Context) -> list:
    return list((ctx.settings.outbox.directory / "email").glob("*/*.eml"))


def sent_texts(ctx: Context) -> list[str]:
    path = ctx.settings.outbox.directory / "sms.jsonl"
    return [json.loads(line)["body"] for line in path.read_text().splitlines()] if path.exists() else []


def test_it_queues_a_test_for_the_worker_sends_nothing_itself_and_logs_it_as_one(marketing):
    name, key = a_step(marketing.ctx, "email")

    sent = marketing.post(f"/campaigns/{name}/{key}/test", {"to": "Owner@Example.com", "phase": "maintaining"})
    page = marketing.get(sent.headers["location"])

    assert sent.headers["location"] == f"/campaigns/{name}/{key}?phase=maintaining"
    with Session(marketing.ctx.engine) as session:
        message = session.exec(select(Message)).one()
    assert "Test to Owner@example.com queued: the worker sends it within a minute." in page_text(page)
    assert f'<a href="/messages/{message.id}">See it in the delivery log</a>' in page.text
    assert (message.is_test, message.client_id, message.status) == (True, None, "planned")
    assert message.key.startswith("test:") and message.due_at == marketing.now
    assert message.to_address == "Owner@example.com" and message.cycle == "test"
    assert set(message.rendered) == {"subject", "text", "html", "headers", "language"}
    assert message.rendered["language"] == "en"
    assert message.rendered["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent_emails(marketing.ctx) == []
    assert [e.detail for e in audit_entries(marketing.ctx, "campaign.test_send")] == [
        f"{name}/{key} to Owner@example.com (queued)"
    ]
    assert "Test to Owner@example.com" in page_text(marketing.get(f"/messages/{message.id}"))


def test_the_next_dispatch_pass_sends_a_queued_test_through_the_channel(marketing):
    name, key = a_step(marketing.ctx, "email")
    marketing.post(f"/campaigns/{name}/{key}/test", {"to": "owner@example.com", "phase": "maintaining"})

    result = dispatch_due(marketing.ctx, marketing.now)

    [message] = messages(marketing.ctx)
    [eml] = sent_emails(marketing.ctx)
    parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert result.sent == 1 and (message.status, message.attempts) == ("sent", 1)
    assert (parsed["To"], parsed["Subject"]) == ("owner@example.com", message.rendered["subject"])
    assert parsed["List-Unsubscribe"] == message.rendered["headers"]["List-Unsubscribe"]


def test_a_queued_test_sends_the_copy_it_previewed_even_if_the_copy_changes_first(marketing):
    ctx, path = marketing.ctx, "/campaigns/education/pain-cycle"
    previewed = bubble(marketing.get(path).text)
    marketing.post(f"{path}/test", {"to": "+1 612 555 0199"})
    new_copy = {"education/pain-cycle.sms.j2": "Hi {{ client.first_name }}, new words just published."}
    with Session(ctx.engine) as session:
        edits.save_draft(ctx, session, new_copy, "mia", marketing.now)
        edits.publish(ctx, session, list(new_copy), "mia", marketing.now)
        session.commit()
    assert "new words just published" in page_text(marketing.get(path))  # the preview shows the new copy now

    dispatch_due(ctx, marketing.now)

    assert sent_texts(ctx) == [previewed]


def test_it_says_why_a_test_was_not_sent(marketing):
    name, key = a_step(marketing.ctx, "email")

    sent = marketing.post(f"/campaigns/{name}/{key}/test", {"to": "owner@@example.com"})
    page = html.unescape(marketing.get(sent.headers["location"]).text)

    assert "Test not sent: not a valid email address" in page
    with Session(marketing.ctx.engine) as session:
        assert session.exec(select(Message)).all() == []


def test_it_says_when_there_is_no_such_step(marketing):
    response = marketing.get("/campaigns/education/no-such-step")

    assert response.status_code == 404
    assert "There is no step 'no-such-step' in a campaign named 'education'." in html.unescape(response.text)


def test_it_lists_the_problems_in_broken_campaign_files(ctx, tmp_path):
    broken = tmp_path / "campaigns"
    broken.mkdir()
    (broken / "welcome.toml").write_text(
        'name = "welcome"\ntitle = "Welcome"\nstream = "sometimes"\n'
        '[[steps]]\nkey = "hello"\ntemplate = "education/pain-cycle"\n'
        'channels = ["email"]\n'
    )
    desk = Desk(Context(ctx.settings, campaigns_dir=broken, templates_dir=ctx.templates_dir))
    desk.sign_in_as("admin")

    page = html.unescape(desk.get("/campaigns").text)

    assert "The campaign files have problems" in page
    assert f"{broken / 'welcome.toml'}:3: stream:" in page


def step(key: str, **rules) -> Step:
    return Step(key=key, template="education/pain-cycle", channels=("email",), **rules)


@pytest.mark.parametrize(
    "stream, steps, expected",
    [
        ("reminder", [step("day-before", days_before=1, at=time(10))], "1 day before a booked visit at 10:00"),
        ("checkin", [step("ask")], "once per care interval"),
        ("checkin", [step("ask", repeat_every_days=21)], "every 21 days"),
        ("rebook", [step("nudge", after_days=0)], "when a visit is due and none is booked"),
        ("rebook", [step("follow-up", after_days=3)], "3 days after a visit was due with none booked"),
        (
            "rebook",
            [step("lapsed", phases=("lapsed",), repeat_every_days=30, max_repeats=3)],
            "when the client becomes lapsed, then every 30 days (at most 3 times)",
        ),
        ("education", [step("first")], "when the client is enrolled"),
        ("education", [step("first"), step("second")], "one care interval after the previous one"),
        ("education", [step("first"), step("second", after_days=2.5)], "2.5 days after the previous one"),
    ],
)
def test_it_says_when_each_kind_of_step_goes_out(stream, steps, expected):
    campaign = Campaign(name="c", title="C", stream=stream, steps=steps)

    assert timing(campaign, campaign.steps[-1]) == expected


def opt_out(ctx: Context, channel: str, address: str) -> None:
    from outreach.services.unsubscribe import opt_out_address
    from tests.conftest import utc
    from tests.helpers import add_client

    add_client(ctx, "stopped", at=utc(2026, 1, 5), email="gone@example.com", phone="+16125550177")
    with Session(ctx.engine) as session:
        opt_out_address(
            session, channel, address, reason="Replied STOP", source="sms-keyword", actor="client", now=utc(2026, 2, 1)
        )
        session.commit()


@pytest.mark.parametrize(
    "channel, address, why",
    [
        ("sms", "+16125550177", "+16125550177 is on the suppression list (Replied STOP)"),
        ("email", "gone@example.com", "gone@example.com is on the suppression list (Replied STOP)"),
    ],
)
def test_it_refuses_a_test_to_an_address_that_opted_out(marketing, channel, address, why):
    opt_out(marketing.ctx, channel, address)
    name, key = a_step(marketing.ctx, channel)

    sent = marketing.post(f"/campaigns/{name}/{key}/test", {"to": address})
    page = html.unescape(marketing.get(sent.headers["location"]).text)

    assert f"Test not sent: {why}" in page
    with Session(marketing.ctx.engine) as session:
        assert session.exec(select(Message)).all() == []


def test_it_refuses_a_test_to_a_client_who_revoked_consent(marketing):
    from outreach.services import facts
    from tests.conftest import utc
    from tests.helpers import add_client, change

    client_id = add_client(marketing.ctx, "ann", at=utc(2026, 1, 5), phone="+16125550188")
    change(marketing.ctx, client_id, facts.record_consent, "sms", False, "desk", "front desk")
    name, key = a_step(marketing.ctx, "sms")

    sent = marketing.post(f"/campaigns/{name}/{key}/test", {"to": "+1 612 555 0188"})
    page = html.unescape(marketing.get(sent.headers["location"]).text)

    assert "Test not sent: a client at +16125550188 opted out of texts" in page


def test_it_limits_test_sends_per_staff_member(marketing, monkeypatch):
    monkeypatch.setattr("outreach.services.test_sends.PER_HOUR", 2)
    name, key = a_step(marketing.ctx, "email")
    for _ in range(2):
        marketing.post(f"/campaigns/{name}/{key}/test", {"to": "owner@example.com"})
    marketing.advance(minutes=20)

    sent = marketing.post(f"/campaigns/{name}/{key}/test", {"to": "owner@example.com"})
    page = html.unescape(marketing.get(sent.headers["location"]).text)
    colleague = Desk(marketing.ctx, now=marketing.now).sign_in_as("admin")
    give_contact(marketing.ctx, "admin", OWN_EMAIL)
    colleague.post(f"/campaigns/{name}/{key}/test", {"to": "owner@example.com"})

    assert (
        "Test not sent: marketing has sent 2 tests in the last hour, the most allowed; try again in 40 minutes" in page
    )
    with Session(marketing.ctx.engine) as session:
        assert [m.status for m in session.exec(select(Message))] == ["planned"] * 3  # queued tests count


def bubble(page: str) -> str:
    return html.unescape(re.search(r'<div class="sms-bubble" lang="\w+">([^<]*)</div>', page).group(1))


def test_it_previews_a_step_in_each_language_served(marketing):
    ctx = marketing.ctx
    campaign = ctx.catalog.get("rebook")
    context = sample_context(ctx.settings, "tapering", "sms", "es")
    spanish = ctx.renderer.render(campaign, campaign.step("nudge"), "sms", context).text

    page = marketing.get("/campaigns/rebook/nudge?phase=tapering&language=es").text

    assert bubble(page) == spanish and '<div class="sms-bubble" lang="es">' in page
    assert '<option value="es" selected>Spanish</option>' in page
    assert "Subject</dt><dd><strong>" in page and "No Spanish copy" not in page
    assert bubble(marketing.get("/campaigns/rebook/nudge?phase=tapering&language=Español").text) == spanish
    assert bubble(marketing.get("/campaigns/rebook/nudge?phase=tapering").text) != spanish


def test_an_unknown_language_is_not_a_page_and_says_which_there_are(marketing):
    response = marketing.get("/campaigns/rebook/nudge?language=fr")

    assert response.status_code == 404
    assert "unknown language 'fr'; use one of en (English), es (Spanish)" in html.unescape(response.text)


def test_it_says_when_a_step_has_no_copy_in_the_language_shown(ctx, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(ctx.templates_dir, templates)
    (templates / "rebook" / "nudge.es.sms.j2").unlink()
    desk = Desk(Context(ctx.settings, campaigns_dir=ctx.campaigns_dir, templates_dir=templates))
    desk.sign_in_as("marketing")

    page = page_text(desk.get("/campaigns/rebook/nudge?language=es"))

    assert page.count("No Spanish copy yet: Spanish clients get this, in English.") == 1  # the text; the email has one


def test_it_queues_a_test_in_the_language_chosen(marketing):
    name, key = "rebook", "nudge"

    sent = marketing.post(f"/campaigns/{name}/{key}/test", {"to": "+1 612 555 0199", "language": "es"})

    assert sent.headers["location"] == f"/campaigns/{name}/{key}?phase=establishing&language=es"
    with Session(marketing.ctx.engine) as session:
        message = session.exec(select(Message)).one()
    assert message.rendered["language"] == "es"
    assert message.rendered["text"] == bubble(marketing.get(sent.headers["location"]).text)
    dispatch_due(marketing.ctx, marketing.now)
    assert sent_texts(marketing.ctx) == [message.rendered["text"]]
