"""Unsubscribe links: a page that changes nothing on GET, one-click and form POSTs that act at once; a lesson
email's one-click stops lesson emails alone, and old preference links lead to the preference page."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlmodel import Session, func, select

from outreach.models import Client, ConsentEvent, Message, StreamChoice
from outreach.sending.worker import tick
from outreach.services import facts
from outreach.signed_links import make_unsubscribe_token
from tests.conftest import utc
from tests.desk import page_text
from tests.helpers import add_client, change, messages, web_client
from tests.services.test_preferences import sent

NOW = utc(2026, 3, 2, 15, 0)
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def http(ctx):
    with web_client(ctx, NOW) as client:
        yield client


@pytest.fixture
def ana(ctx) -> int:
    with Session(ctx.engine) as session:
        client = Client(
            external_id="c1",
            first_name="Ana",
            email="ana.lopez@example.org",
            phone="+16125550101",
            email_consent=True,
            sms_consent=True,
        )
        session.add(client)
        session.commit()
        return client.id


def link(ctx, client_id: int, channel: str = "email") -> str:
    return f"/unsubscribe/{make_unsubscribe_token(ctx.secret_key, client_id, channel, 'education')}"


def consent(ctx, client_id: int) -> tuple[bool, bool]:
    with Session(ctx.engine) as session:
        client = session.get(Client, client_id)
        return client.email_consent, client.sms_consent


def consent_events(ctx) -> list[tuple[str, bool, str]]:
    with Session(ctx.engine) as session:
        return [(e.channel, e.granted, e.source) for e in session.exec(select(ConsentEvent).order_by(ConsentEvent.id))]


def test_it_shows_a_confirmation_page_and_changes_nothing(ctx, http, ana):
    page = http.get(link(ctx, ana))

    assert page.status_code == 200
    assert ctx.settings.clinic.name in page.text
    assert "a***@example.org" in page.text and "ana.lopez@" not in page.text
    assert 'value="email" checked' in page.text and 'value="sms"' in page.text and 'value="all"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert consent(ctx, ana) == (True, True)
    assert consent_events(ctx) == []


def test_it_names_the_number_on_a_link_sent_by_text(ctx, http, ana):
    page = http.get(link(ctx, ana, "sms"))

    assert "the number •••• 0101" in page.text
    assert 'value="sms" checked' in page.text


def test_it_unsubscribes_at_once_on_a_one_click_post(ctx, http, ana):
    done = http.post(link(ctx, ana), data=ONE_CLICK)

    assert done.status_code == 200
    assert "unsubscribed" in done.text
    assert consent(ctx, ana) == (False, True)
    assert consent_events(ctx) == [("email", False, "unsubscribe-link")]


def test_it_accepts_the_one_click_post_as_multipart_form_data(ctx, http, ana):
    done = http.post(link(ctx, ana), files={"List-Unsubscribe": (None, "One-Click")})

    assert done.status_code == 200
    assert consent(ctx, ana) == (False, True)


@pytest.mark.parametrize("choice,expected", [("email", (False, True)), ("sms", (True, False)), ("all", (False, False))])
def test_it_unsubscribes_from_what_the_client_chose_on_the_page(ctx, http, ana, choice, expected):
    done = http.post(link(ctx, ana), data={"channels": choice})

    assert done.status_code == 200
    assert consent(ctx, ana) == expected


def test_it_records_one_change_however_often_the_link_is_used(ctx, http, ana):
    http.post(link(ctx, ana), data=ONE_CLICK)
    again = http.post(link(ctx, ana), data=ONE_CLICK)

    assert again.status_code == 200
    assert len(consent_events(ctx)) == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_answers_a_tampered_link_with_a_friendly_page(ctx, http, ana, method):
    token = make_unsubscribe_token(ctx.secret_key, ana)
    forged = make_unsubscribe_token("another clinic's key", ana)

    for path in (f"/unsubscribe/{token[:-3]}xyz", f"/unsubscribe/{forged}", "/unsubscribe/nonsense"):
        response = getattr(http, method)(path, **({"data": ONE_CLICK} if method == "post" else {}))
        assert response.status_code == 400
        assert "couldn't use this link" in response.text and "Traceback" not in response.text
    assert consent(ctx, ana) == (True, True)


def test_it_answers_a_link_for_a_client_no_longer_on_file_with_the_same_page(ctx, http):
    assert http.get(link(ctx, 999)).status_code == 400
    assert http.post(link(ctx, 999), data=ONE_CLICK).status_code == 400


def test_it_asks_again_when_the_form_names_no_choice(ctx, http, ana):
    response = http.post(link(ctx, ana), data={"channels": "carrier-pigeon"})

    assert response.status_code == 400
    assert consent(ctx, ana) == (True, True)


def test_it_refuses_an_oversized_form(ctx, http, ana):
    response = http.post(link(ctx, ana), data={"channels": "all", "padding": "x" * 1_100_000})

    assert response.status_code == 413
    with Session(ctx.engine) as session:
        assert session.exec(select(func.count()).select_from(ConsentEvent)).one() == 0


@pytest.mark.parametrize(
    ("client_id", "channel", "campaign"), [(1, "email", ""), (104729, "sms", "rebook"), (7, "email", "education-" * 12)]
)
def test_links_already_in_inboxes_keep_working_and_new_ones_are_the_same(client_id, channel, campaign):
    from itsdangerous import URLSafeSerializer

    from outreach.signed_links import read_unsubscribe_token

    key = "k" * 40
    earlier = URLSafeSerializer(key, salt="outreach.unsubscribe.v1").dumps([client_id, channel, campaign])
    ours = make_unsubscribe_token(key, client_id, channel, campaign)
    assert read_unsubscribe_token(key, earlier) == read_unsubscribe_token(key, ours)
    assert read_unsubscribe_token(key, ours).client_id == client_id
    if len(campaign) < 40:  # itsdangerous compresses a long payload; ours never do, and both read
        assert ours == earlier
    else:
        assert earlier.startswith(".") and not ours.startswith(".")


# --- per stream (RFC 8058 one-click turns off the email's stream) -------------------------------------------------


def stream_link(ctx, client_id: int, stream: str = "education") -> str:
    return f"/unsubscribe/{make_unsubscribe_token(ctx.secret_key, client_id, 'email', stream, stream)}"


def stream_choices(ctx) -> list[tuple[str, str, bool, str]]:
    with Session(ctx.engine) as session:
        return [(c.stream, c.channel, c.enabled, c.source) for c in session.exec(select(StreamChoice))]


def test_a_one_click_on_a_lesson_email_turns_off_lesson_emails_and_keeps_consent(ctx, http, ana):
    done = http.post(stream_link(ctx, ana), data=ONE_CLICK)

    assert done.status_code == 200
    assert "You won't get lesson emails" in page_text(done)
    assert stream_choices(ctx) == [("education", "email", False, "unsubscribe-link")]
    assert consent(ctx, ana) == (True, True) and consent_events(ctx) == []


def test_the_page_it_lands_on_stops_all_email_in_one_click_and_links_the_preference_page(ctx, http, ana):
    done = http.post(stream_link(ctx, ana, "rebook"), data=ONE_CLICK)
    assert "You won't get rebooking emails" in page_text(done)
    assert 'name="channels" value="email"' in done.text and "Stop all email from us" in done.text
    assert 'href="?preferences=1"' in done.text

    everything = http.post(stream_link(ctx, ana, "rebook"), data={"channels": "email"})

    assert "You're unsubscribed" in everything.text
    assert consent(ctx, ana) == (False, True)
    assert consent_events(ctx) == [("email", False, "unsubscribe-link")]


def test_the_confirmation_page_of_a_stream_link_offers_that_stream_first(ctx, http, ana):
    page = http.get(stream_link(ctx, ana, "checkin"))

    assert 'value="stream" checked' in page.text and "Only check-in emails" in page_text(page)
    assert 'href="?preferences=1"' in page.text
    assert stream_choices(ctx) == []

    http.post(stream_link(ctx, ana, "checkin"), data={"channels": "stream"})
    assert stream_choices(ctx) == [("checkin", "email", False, "unsubscribe-link")]


def test_a_link_without_a_stream_takes_no_stream_choice(ctx, http, ana):
    response = http.post(link(ctx, ana), data={"channels": "stream"})

    assert response.status_code == 400
    assert stream_choices(ctx) == [] and consent(ctx, ana) == (True, True)


def test_an_unsubscribe_link_never_expires(ctx, ana):
    with web_client(ctx, NOW + timedelta(days=5 * 365)) as years_later:
        done = years_later.post(stream_link(ctx, ana), data=ONE_CLICK)

    assert done.status_code == 200 and stream_choices(ctx) == [("education", "email", False, "unsubscribe-link")]


# --- preference links sent before the page existed ----------------------------------------------------------------


def test_an_old_preferences_link_redirects_to_the_preference_page(ctx, http, ana):
    sent(ctx, ana, "education", to="ana.lopez@example.org", at=NOW - timedelta(days=2))

    moved = http.get(link(ctx, ana) + "?preferences=1", follow_redirects=False)

    assert moved.status_code == 303 and moved.headers["location"].startswith("/preferences/")
    page = http.get(moved.headers["location"])
    assert page.status_code == 200 and "choose what we send you" in page.text


def test_an_old_preferences_link_whose_email_is_long_gone_offers_a_fresh_link(ctx, http, ana):
    sent(
        ctx,
        ana,
        "education",
        to="ana.lopez@example.org",
        at=NOW - timedelta(days=ctx.settings.web.preference_link_days + 1),
    )

    page = http.get(link(ctx, ana) + "?preferences=1")

    assert page.status_code == 410 and "Send me a new link" in page.text


def test_an_old_preferences_link_that_was_tampered_with_goes_nowhere(ctx, http, ana):
    response = http.get(link(ctx, ana)[:-3] + "xyz?preferences=1", follow_redirects=False)

    assert response.status_code == 400 and "location" not in response.headers


# --- done when: one click on a lesson email stops lessons by email and nothing else ------------------------------

MONDAY = utc(2026, 3, 2, 16, 0)  # 10:00 in Chicago
LIST_UNSUBSCRIBE = re.compile(r"<https?://[^/>]+(/unsubscribe/[^>]+)>")


def sent_email(ctx, row: Message) -> EmailMessage:
    [path] = (ctx.settings.outbox.directory / "email").glob(f"*/{row.id:08d}-*.eml")
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_one_click_on_a_lesson_email_stops_lesson_emails_and_the_next_reminder_email_still_goes(ctx):
    client_id = add_client(ctx, at=MONDAY, first_name="Gia", email="gia@example.com", sms_consent=False)
    tick(ctx, MONDAY)
    [lesson] = [m for m in messages(ctx, client_id=client_id) if m.stream == "education"]
    assert (lesson.channel, lesson.status) == ("email", "sent")
    email = sent_email(ctx, lesson)
    [path] = LIST_UNSUBSCRIBE.findall(email["List-Unsubscribe"])
    assert "/preferences/" in email.get_body(("html",)).get_content()  # the footer links the preference page

    with web_client(ctx, MONDAY + timedelta(hours=1)) as mailbox_provider:
        assert mailbox_provider.post(path, data=ONE_CLICK).status_code == 200
    change(ctx, client_id, facts.record_visit, utc(2026, 3, 4, 21, 0), "booked", "desk")  # Wednesday 15:00
    tuesday, next_monday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=7)
    tick(ctx, tuesday)
    tick(ctx, next_monday)

    rows = messages(ctx, client_id=client_id)
    [reminder] = [m for m in rows if m.stream == "reminder"]
    assert (reminder.channel, reminder.status, reminder.sent_at) == ("email", "sent", tuesday)
    later_lessons = [m for m in rows if m.stream == "education" and m.id != lesson.id]
    assert later_lessons and {(m.status, m.reason) for m in later_lessons} == {
        ("skipped", "email: stream turned off: education by email; sms: no sms consent")
    }
    assert consent(ctx, client_id) == (True, False)
    assert stream_choices(ctx) == [("education", "email", False, "unsubscribe-link")]


def test_a_link_names_its_stream_and_one_without_reads_as_before():
    from outreach.signed_links import InvalidToken, _serializer, read_unsubscribe_token

    key = "k" * 40
    with_stream = read_unsubscribe_token(key, make_unsubscribe_token(key, 7, "email", "education", "education"))
    without = read_unsubscribe_token(key, make_unsubscribe_token(key, 7, "email", "education"))
    assert (with_stream.stream, without.stream) == ("education", "")
    with pytest.raises(InvalidToken):
        read_unsubscribe_token(key, _serializer(key, "outreach.unsubscribe.v1").dumps([7, "email", "x", "y", "z"]))
