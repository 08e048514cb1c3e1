"""Check-ins by email: clients we may email but not text get the 0-10 question with one signed link per answer.
The link's page records nothing; its button records the answer, a second answer corrects the first, and the
links stop working when the reply window closes."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlmodel import Session, select

from outreach.services.campaign_check import check_campaigns
from outreach.models import Client, Message, MessageStatus, ProgressEntry
from outreach.services import facts
from outreach.services.clients import cadence_for
from outreach.signed_links import make_checkin_token, make_unsubscribe_token
from outreach.sending.worker import tick
from outreach.settings import Settings
from tests.conftest import ROOT, utc
from tests.helpers import add_client, change, messages, web_client

# A Monday at 10:00 in Chicago: inside the check-in campaign's send window.
MONDAY = utc(2026, 3, 2, 16, 0)
ANSWER_LINK = re.compile(r"https?://\S+?(/checkin/[^/\s<>\"]+/(\d+))")


def email_only(ctx, external_id: str = "c1", first_name: str = "Ann", at: datetime = MONDAY) -> int:
    return add_client(
        ctx, external_id, at=at, first_name=first_name, email=f"{external_id}@example.com", sms_consent=False
    )


def sent_checkin(ctx, client_id: int, at: datetime = MONDAY, channel: str = "email") -> int:
    """A check-in that went out at `at`, as the dispatcher leaves it."""
    with Session(ctx.engine) as session:
        row = Message(
            key=f"{client_id}:checkin:pain-checkin:{at:%Y%m%d%H%M}",
            client_id=client_id,
            campaign="checkin",
            step="pain-checkin",
            cycle="1",
            stream="checkin",
            channel=channel,
            to_address="x",
            status=MessageStatus.sent,
            due_at=at,
            sent_at=at,
        )
        session.add(row)
        session.commit()
        return row.id


def answer_path(ctx, client_id: int, message_id: int, answer: int | str) -> str:
    return f"/checkin/{make_checkin_token(ctx.secret_key, client_id, message_id)}/{answer}"


def answers(ctx) -> list[tuple[int, int, datetime, str]]:
    with Session(ctx.engine) as session:
        rows = session.exec(select(ProgressEntry).order_by(ProgressEntry.recorded_at)).all()
        return [(e.client_id, e.pain, e.recorded_at, e.source) for e in rows]


@pytest.fixture
def http(ctx):
    with web_client(ctx, MONDAY) as client:
        yield client


def at(http, instant: datetime):  # noqa: ANN001, ANN201
    """The same app, its clock moved to `instant`."""
    http.app.state.clock = lambda: instant
    return http


def outbox_email(ctx, message_id: int) -> EmailMessage:
    [path] = (ctx.settings.outbox.directory / "email").glob(f"*/{message_id:08d}-*.eml")
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def parts(email: EmailMessage) -> tuple[str, str]:
    return email.get_body(("plain",)).get_content(), email.get_body(("html",)).get_content()


def checkins(ctx, client_id: int) -> list[Message]:
    return [m for m in messages(ctx, client_id=client_id) if m.stream == "checkin"]


# --- planning: one check-in per client, by text where we may text ---------------------------------------------


def test_a_client_we_may_only_email_gets_the_checkin_by_email_and_a_texting_client_only_by_text(ctx):
    emailed = email_only(ctx, "c1")
    texted = add_client(ctx, "c2", at=MONDAY, phone="+16125550102")

    tick(ctx, MONDAY)

    assert [(m.channel, m.status) for m in checkins(ctx, emailed)] == [("email", "sent")]
    assert [(m.channel, m.status) for m in checkins(ctx, texted)] == [("sms", "sent")]


# --- the email itself --------------------------------------------------------------------------------------------


def test_the_checkin_email_offers_eleven_answer_links_in_both_parts_with_the_usual_footer(ctx):
    client_id = email_only(ctx)
    tick(ctx, MONDAY)
    [checkin] = checkins(ctx, client_id)

    email = outbox_email(ctx, checkin.id)
    text, html = parts(email)

    assert [int(n) for _, n in ANSWER_LINK.findall(text)] == list(range(11))
    assert [int(n) for _, n in ANSWER_LINK.findall(html)] == list(range(11))
    assert len({path.rsplit("/", 1)[0] for path, _ in ANSWER_LINK.findall(text)}) == 1  # one check-in, one token
    assert html.count('class="answer"') == 11 and "min-width: 44px" in html
    assert email["List-Unsubscribe"].startswith("<http://localhost:8000/unsubscribe/")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for part in (text, html):
        assert ctx.settings.clinic.postal_address in part and "/unsubscribe/" in part


def test_no_score_reaches_the_checkin_email(ctx):
    """Two clients in the same phase, one scoring 2 and one 9: their emails differ only in name and links."""
    low, high = email_only(ctx, "c1", "Ann"), email_only(ctx, "c2", "Ann")
    for client_id, pain in ((low, 2), (high, 9)):
        change(ctx, client_id, facts.record_progress, MONDAY - timedelta(days=1), pain, "test")
    tick(ctx, MONDAY)

    def stripped(client_id: int) -> tuple[str, str, str]:
        email = outbox_email(ctx, checkins(ctx, client_id)[0].id)
        text, html = parts(email)
        return (email["Subject"],) + tuple(re.sub(r"https?://[^\s<>\"]+", "URL", p) for p in (text, html))

    assert stripped(low) == stripped(high)


def test_the_check_refuses_a_checkin_email_that_drops_an_answer_link(tmp_path):
    shutil.copytree(ROOT / "campaigns", tmp_path / "campaigns")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    template = tmp_path / "templates" / "checkin" / "pain-checkin.email.j2"
    source = template.read_text()
    line = source.splitlines().index("{% for answer in answers %}") + 1
    template.write_text(source.replace("{% for answer in answers %}", "{% for answer in answers[:1] + answers[2:] %}"))

    findings = check_campaigns(tmp_path / "campaigns", tmp_path / "templates", Settings())
    found = [str(f) for f in findings if f.is_error]  # the warnings (short texts for long names) are the shipped ones

    assert found == [
        f"{template}:{line}: the {part} lacks the answer links for 1 (print {{{{ answer.url }}}} for each of answers)"
        for part in ("HTML part", "plain-text part")
    ]


# --- the page: GET records nothing ------------------------------------------------------------------------------


def test_the_link_shows_the_number_chosen_and_records_nothing(ctx, http):
    client_id = email_only(ctx)
    message_id = sent_checkin(ctx, client_id)

    for _ in range(3):  # a mail scanner, a preview pane, the client
        page = at(http, MONDAY + timedelta(hours=2)).get(answer_path(ctx, client_id, message_id, 4))

    assert page.status_code == 200
    assert 'class="chosen">4<' in page.text and "Send my answer" in page.text and 'method="post"' in page.text
    assert "<script" not in page.text
    assert (
        page.headers["referrer-policy"] == "no-referrer"
        and "default-src 'none'" in page.headers["content-security-policy"]
    )
    assert answers(ctx) == []


# --- POST records, a second answer corrects -------------------------------------------------------------------


def test_the_button_records_the_answer_from_the_email_link(ctx, http):
    client_id = email_only(ctx)
    message_id = sent_checkin(ctx, client_id)
    answered_at = MONDAY + timedelta(hours=2)

    done = at(http, answered_at).post(answer_path(ctx, client_id, message_id, 6))

    assert done.status_code == 200 and "Thank you, Ann" in done.text
    assert answers(ctx) == [(client_id, 6, answered_at, "email-link")]


def test_a_second_answer_to_the_same_checkin_corrects_the_first(ctx, http):
    client_id = email_only(ctx)
    message_id = sent_checkin(ctx, client_id)
    first = MONDAY + timedelta(hours=2)
    at(http, first).post(answer_path(ctx, client_id, message_id, 7))

    page = at(http, first + timedelta(hours=5)).get(answer_path(ctx, client_id, message_id, 5))
    at(http, first + timedelta(hours=5)).post(answer_path(ctx, client_id, message_id, 5))

    assert "replaces it" in page.text
    assert answers(ctx) == [(client_id, 5, first, "email-link")]


def test_the_answer_to_the_next_checkin_is_a_new_entry(ctx, http):
    client_id = email_only(ctx)
    week_one, week_two = sent_checkin(ctx, client_id), sent_checkin(ctx, client_id, MONDAY + timedelta(days=7))
    at(http, MONDAY + timedelta(hours=1)).post(answer_path(ctx, client_id, week_one, 7))

    at(http, MONDAY + timedelta(days=7, hours=1)).post(answer_path(ctx, client_id, week_two, 5))

    assert [pain for _, pain, _, _ in answers(ctx)] == [7, 5]


# --- expiry and forgery ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_links_stop_working_when_the_reply_window_closes(ctx, http, method):
    client_id = email_only(ctx)
    message_id = sent_checkin(ctx, client_id)
    window = timedelta(hours=ctx.settings.streams.checkin_reply_hours)

    still_open = getattr(at(http, MONDAY + window), method)(answer_path(ctx, client_id, message_id, 3))
    closed = getattr(at(http, MONDAY + window + timedelta(seconds=1)), method)(
        answer_path(ctx, client_id, message_id, 4)
    )

    assert still_open.status_code == 200
    assert closed.status_code == 410 and "This link has expired" in closed.text and "Traceback" not in closed.text
    assert [pain for _, pain, _, _ in answers(ctx)] == ([3] if method == "post" else [])


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_or_misdirected_link_is_refused_and_records_nothing(ctx, http, method):
    ann, bob = email_only(ctx, "c1"), email_only(ctx, "c2", "Bob")
    anns_checkin, texted_checkin = sent_checkin(ctx, ann), sent_checkin(ctx, bob, channel="sms")
    token = make_checkin_token(ctx.secret_key, ann, anns_checkin)
    refused = [
        f"/checkin/{token[:-3]}xyz/4",  # altered signature
        f"/checkin/{make_checkin_token('another clinic', ann, anns_checkin)}/4",  # another key
        f"/checkin/{make_checkin_token(ctx.secret_key, bob, anns_checkin)}/4",  # Ann's check-in, Bob's name
        f"/checkin/{make_checkin_token(ctx.secret_key, bob, texted_checkin)}/4",  # a texted check-in
        f"/checkin/{make_checkin_token(ctx.secret_key, ann, 999)}/4",  # no such message
        f"/checkin/{make_unsubscribe_token(ctx.secret_key, ann)}/4",  # an unsubscribe token
        f"/checkin/{token}/11",
        f"/checkin/{token}/05",
        f"/checkin/{token}/-1",
        f"/checkin/{token}/four",
    ]

    for path in refused:
        response = getattr(at(http, MONDAY + timedelta(hours=1)), method)(path)
        assert (path, response.status_code) == (path, 400)
        assert "couldn't use this link" in response.text and "Traceback" not in response.text
    assert answers(ctx) == []


# --- end to end --------------------------------------------------------------------------------------------------


def test_end_to_end_answers_tapped_in_the_emails_move_the_taper(ctx, http):
    """render -> link in the sent email -> page -> POST -> progress entry, week after week -> tapering."""
    client_id = email_only(ctx)

    for week, pain in enumerate((8, 7, 5, 5)):
        monday = MONDAY + timedelta(weeks=week)
        tick(ctx, monday)
        [checkin] = [m for m in checkins(ctx, client_id) if m.sent_at and m.sent_at >= monday]
        text, _ = parts(outbox_email(ctx, checkin.id))
        path = next(path for path, number in ANSWER_LINK.findall(text) if number == str(pain))
        tapped = monday + timedelta(hours=3)

        assert at(http, tapped).get(path).status_code == 200
        assert at(http, tapped).post(path).status_code == 200
        assert answers(ctx)[-1] == (client_id, pain, tapped, "email-link")

    with Session(ctx.engine) as session:
        state = cadence_for(session, session.get(Client, client_id), ctx.settings, MONDAY + timedelta(weeks=4))
    assert (state.phase, state.interval_days) == ("tapering", ctx.settings.cadence.tapering_days)
