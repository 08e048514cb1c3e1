"""The preference page, `/preferences/TOKEN`: GET changes nothing and shows a first name and masked addresses; each
form (channels, streams, check-in channel; pause; resume) changes what it says, audited as the page's; an expired
link offers a fresh one to the same address, at most one an hour; tokens stay out of the access log."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from outreach.models import AuditEntry, Client, ConsentEvent, StreamChoice
from outreach.services import facts
from outreach.signed_links import make_preference_token
from tests.conftest import utc
from tests.desk import page_text
from tests.helpers import add_client, change, load, messages, served, web_client
from tests.web.test_logs import Lines

NOW = utc(2026, 3, 2, 15, 0)  # Monday 09:00 in Chicago
BEFORE = NOW - timedelta(days=30)
EVERYTHING = {
    "action": "save",
    "channel-email": "on",
    "channel-sms": "on",
    **{f"stream-{s}-{c}": "on" for s in ("education", "checkin", "rebook", "reminder") for c in ("email", "sms")},
    "checkin_channel": "",
}


@pytest.fixture
def http(ctx):
    with web_client(ctx, NOW) as client:
        yield client


@pytest.fixture
def ana(ctx) -> int:
    return add_client(ctx, at=BEFORE, first_name="Ana", email="ana.lopez@example.org", phone="+16125550101")


def path(ctx, client_id: int, channel: str = "email", address: str = "ana.lopez@example.org", at=NOW) -> str:  # noqa: ANN001
    return f"/preferences/{make_preference_token(ctx.secret_key, client_id, channel, address, at)}"


def form(**changes: str | None) -> dict[str, str]:
    """The main form as the page sends it with everything on, changed as given (None: that box unticked)."""
    return {name: value for name, value in {**EVERYTHING, **changes}.items() if value is not None}


def client_audit(ctx) -> list[tuple[str, str]]:
    with Session(ctx.engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.actor == "client").order_by(AuditEntry.id))
        return [(e.action, e.detail) for e in entries]


def consent(ctx, client_id: int) -> tuple[bool, bool]:
    client = load(ctx, Client, client_id)
    return client.email_consent, client.sms_consent


# --- the page -----------------------------------------------------------------------------------------------------


def test_the_page_shows_a_first_name_and_masked_addresses_and_changes_nothing(ctx, http, ana):
    change(ctx, ana, facts.record_progress, BEFORE, 8, "desk")
    change(ctx, ana, facts.record_visit, NOW + timedelta(days=2), "booked", "desk")

    page = http.get(path(ctx, ana))

    text = page_text(page)
    assert page.status_code == 200
    assert "Hi Ana, choose what we send you" in text
    assert "Emails to a***@example.org" in text and "Texts to •••• 0101" in text
    assert "ana.lopez" not in page.text and "6125550101" not in page.text
    assert "pain" not in text.lower() and "Wednesday" not in text  # nothing about care, no visit
    assert "<script" not in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.text.count('type="checkbox"') == 2 + 8 and 'name="checkin_channel"' in page.text
    assert client_audit(ctx) == []


def test_every_control_on_the_page_sits_in_its_label(ctx, http, ana):
    page = http.get(path(ctx, ana)).text

    labels = re.findall(r"<label[^>]*>(.*?)</label>", page, re.S)
    visible = len(re.findall(r"<input(?![^>]*type=\"hidden\")", page))
    channels, streams, checkin_channel, languages, pause = 2, 8, 3, 2, 3
    assert visible == channels + streams + checkin_channel + languages + pause
    assert sum(label.count("<input") for label in labels) == visible


# --- the main form ------------------------------------------------------------------------------------------------


def test_turning_emails_off_is_recorded_as_the_pages_and_the_page_says_it_is_saved(ctx, http, ana):
    saved = http.post(path(ctx, ana), data=form(**{"channel-email": None}), follow_redirects=False)

    assert saved.status_code == 303 and saved.headers["location"] == path(ctx, ana) + "?saved=1"
    again = http.get(saved.headers["location"])
    assert "Saved." in page_text(again)
    assert consent(ctx, ana) == (False, True)
    assert client_audit(ctx) == [("consent.revoke", "email via preferences-page")]


def test_a_channel_turned_off_here_can_be_turned_on_here_again(ctx, http, ana):
    http.post(path(ctx, ana), data=form(**{"channel-email": None}))
    page = http.get(path(ctx, ana)).text
    assert 'name="channel-email" value="on">' in page  # unticked, and not disabled

    http.post(path(ctx, ana), data=form())

    assert consent(ctx, ana) == (True, True)


def test_texts_stopped_by_stop_stay_off_and_the_page_says_how_to_have_them_again(ctx, http, ana):
    change(ctx, ana, facts.record_consent, "sms", False, "sms-keyword", "twilio", at=NOW - timedelta(days=1))

    page = http.get(path(ctx, ana))
    http.post(path(ctx, ana), data=form())

    assert 'name="channel-sms" value="on" disabled aria-describedby="locked-sms"' in page.text
    assert "To get texts again, text START to our number or call us." in page_text(page)
    assert consent(ctx, ana) == (True, False)


def test_each_stream_is_turned_off_on_one_channel(ctx, http, ana):
    http.post(path(ctx, ana), data=form(**{"stream-education-email": None, "stream-rebook-sms": None}))

    with Session(ctx.engine) as session:
        choices = {(c.stream, c.channel, c.enabled, c.source) for c in session.exec(select(StreamChoice))}
    assert choices == {("education", "email", False, "preferences-page"), ("rebook", "sms", False, "preferences-page")}
    page = http.get(path(ctx, ana)).text
    assert 'name="stream-education-email" value="on">' in page
    assert 'name="stream-education-sms" value="on" checked>' in page
    assert consent(ctx, ana) == (True, True)


def test_the_preferred_channel_for_check_ins_is_saved(ctx, http, ana):
    http.post(path(ctx, ana), data=form(checkin_channel="email"))

    assert load(ctx, Client, ana).checkin_channel == "email"
    assert 'name="checkin_channel" value="email" checked>' in http.get(path(ctx, ana)).text
    assert client_audit(ctx) == [("client.checkin_channel", "check-ins by email via preferences-page")]


# --- pause and resume ---------------------------------------------------------------------------------------------


def test_a_pause_shows_until_when_spares_booked_visit_reminders_and_can_be_resumed(ctx, http, ana):
    http.post(path(ctx, ana), data={"action": "pause", "weeks": "2"})

    assert load(ctx, Client, ana).paused_until == NOW + timedelta(weeks=2)
    paused = page_text(http.get(path(ctx, ana)))
    assert "Paused until Monday, March 16" in paused
    assert "except reminders of visits you've already booked" in paused and "Resume now" in paused

    http.post(path(ctx, ana), data={"action": "resume"})

    assert load(ctx, Client, ana).paused_until is None
    assert "Paused until" not in page_text(http.get(path(ctx, ana)))
    assert client_audit(ctx) == [
        ("client.pause", "paused until 2026-03-16 via preferences-page"),
        ("client.resume", "resumed via preferences-page"),
    ]


@pytest.mark.parametrize("data", [{"action": "pause", "weeks": "3"}, {"action": "pause"}, {"action": "delete"}])
def test_a_form_the_page_does_not_have_is_refused(ctx, http, ana, data):
    assert http.post(path(ctx, ana), data=data).status_code == 400
    assert load(ctx, Client, ana).paused_until is None and client_audit(ctx) == []


# --- links that do not open the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_altered_link_or_one_for_no_client_is_refused_kindly(ctx, http, ana, method):
    for bad in (path(ctx, ana)[:-3] + "xyz", path(ctx, 999), "/preferences/nonsense"):
        response = getattr(http, method)(bad, **({"data": form()} if method == "post" else {}))
        assert response.status_code == 400 and "couldn't use this link" in response.text


def test_an_expired_link_changes_nothing_and_offers_a_fresh_one(ctx, http, ana):
    old = path(ctx, ana, at=NOW - timedelta(days=ctx.settings.web.preference_link_days + 1))

    page = http.get(old)
    refused = http.post(old, data=form(**{"channel-email": None}))

    assert page.status_code == 410 and refused.status_code == 410
    assert "This link has expired" in page.text and "a***@example.org" in page.text
    assert 'name="action" value="fresh-link"' in page.text
    assert consent(ctx, ana) == (True, True)


def test_a_fresh_link_is_queued_to_the_same_address_once_an_hour(ctx, http, ana):
    old = path(ctx, ana, at=NOW - timedelta(days=90))

    first = http.post(old, data={"action": "fresh-link"})
    second = http.post(old, data={"action": "fresh-link"})

    assert "We're sending you a new link" in first.text and "a***@example.org" in first.text
    assert "We sent a new link a moment ago" in second.text
    [row] = messages(ctx)
    assert (row.channel, row.to_address, row.status) == ("email", "ana.lopez@example.org", "planned")
    assert client_audit(ctx) == [("preferences.link_sent", "by email via preferences-page")]


def test_a_link_to_an_address_no_longer_on_file_offers_no_fresh_link(ctx, http, ana):
    old = path(ctx, ana, at=NOW - timedelta(days=90))
    change(ctx, ana, lambda session, client: setattr(client, "email", "ana@elsewhere.example") or session.add(client))

    page = http.get(old)
    asked = http.post(old, data={"action": "fresh-link"})

    assert page.status_code == 410 and "This link no longer works" in page.text and "fresh-link" not in page.text
    assert "elsewhere" not in page.text
    assert "We can't send a new link there" in asked.text
    assert messages(ctx) == []


def test_a_link_by_text_names_the_number(ctx, http, ana):
    page = http.get(path(ctx, ana, "sms", "+16125550101"))

    assert page.status_code == 200 and "Texts to •••• 0101" in page_text(page)


# --- logs -----------------------------------------------------------------------------------------------------------


def test_the_access_log_shows_no_preference_token(ctx, ana):
    token = path(ctx, ana).removeprefix("/preferences/")
    lines = Lines()
    with served(ctx) as base_url:
        logging.getLogger("uvicorn.access").addHandler(lines)
        try:
            httpx.get(f"{base_url}/preferences/{token}?saved=1", timeout=10)
        finally:
            logging.getLogger("uvicorn.access").removeHandler(lines)

    assert any("/preferences/[token]?saved=1" in line for line in lines.lines), lines.lines
    assert not any(token in line for line in lines.lines)


def test_consent_events_from_the_page_name_it_as_their_source(ctx, http, ana):
    http.post(path(ctx, ana), data=form(**{"channel-sms": None}))

    with Session(ctx.engine) as session:
        assert [
            (e.channel, e.granted, e.source) for e in session.exec(select(ConsentEvent).where(ConsentEvent.at == NOW))
        ] == [("sms", False, "preferences-page")]


def test_the_front_desk_sees_the_clients_choices_on_their_page(ctx, http, ana, desk):
    http.post(path(ctx, ana), data=form(**{"stream-rebook-sms": None}, checkin_channel="sms"))
    http.post(path(ctx, ana), data={"action": "pause", "weeks": "8"})
    desk.now = NOW + timedelta(hours=1)

    record = desk.sign_in_as("front_desk").get(f"/clients/{ana}")

    choices = page_text(record).split("Choices", 1)[1]
    assert choices.startswith(" Turned off rebook by text Paused until Mon 27 Apr 2026 Check-ins by text")
