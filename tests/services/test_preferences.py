"""The preference page's service: what the main form may change (a channel back on only after the client's own
link turned it off), the pause, links sent before the page, and the fresh link an expired one asks for."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlmodel import Session, select

from outreach.models import AuditEntry, Client, ConsentEvent, Message, MessageStatus, StreamChoice
from outreach.sending.dispatch import dispatch_due
from outreach.services import facts
from outreach.services import preferences as prefs
from outreach.services.streams import streams_off
from outreach.signed_links import UnsubscribeToken, make_preference_token, read_preference_token
from tests.conftest import utc
from tests.helpers import add_client, change, load, messages

NOW = utc(2026, 3, 2, 15, 0)
BEFORE = NOW - timedelta(days=30)  # when the clients were added, with consent
EVERY_STREAM_ON = frozenset((s, c) for s in ("education", "checkin", "rebook", "reminder") for c in ("email", "sms"))
PREFERENCE_LINK = re.compile(r"https?://\S+?/preferences/([^\s<>\"]+)")


def save(ctx, client_id: int, channels=("email", "sms"), streams=EVERY_STREAM_ON, checkin=None, at=NOW) -> None:  # noqa: ANN001
    chosen = prefs.Chosen(frozenset(channels), frozenset(streams), checkin)
    change(ctx, client_id, prefs.save, chosen, at)


def consent_events(ctx) -> list[tuple[str, bool, str]]:
    with Session(ctx.engine) as session:
        return [(e.channel, e.granted, e.source) for e in session.exec(select(ConsentEvent).order_by(ConsentEvent.id))]


def consent(ctx, client_id: int) -> tuple[bool, bool]:
    client = load(ctx, Client, client_id)
    return client.email_consent, client.sms_consent


def revoke(ctx, client_id: int, channel: str, source: str) -> None:
    change(ctx, client_id, facts.record_consent, channel, False, source, "someone", at=NOW - timedelta(days=1))


def test_masked_addresses_show_enough_to_recognise_and_no_more():
    assert prefs.masked("email", "ana.lopez@example.org") == "a***@example.org"
    assert prefs.masked("sms", "+16125550100") == "•••• 0100"
    assert prefs.masked("email", None) == ""


# --- the main form ----------------------------------------------------------------------------------------------


def test_a_channel_turned_off_here_can_be_turned_back_on_here(ctx):
    ann = add_client(ctx, at=BEFORE)

    save(ctx, ann, channels=("sms",))
    assert consent(ctx, ann) == (False, True)
    save(ctx, ann, channels=("email", "sms"), at=NOW + timedelta(hours=1))

    assert consent(ctx, ann) == (True, True)
    assert consent_events(ctx)[-2:] == [("email", False, "preferences-page"), ("email", True, "preferences-page")]


def test_a_channel_turned_off_by_an_unsubscribe_link_can_be_turned_back_on(ctx):
    ann = add_client(ctx, at=BEFORE)
    revoke(ctx, ann, "email", "unsubscribe-link")

    save(ctx, ann)

    assert consent(ctx, ann) == (True, True)


@pytest.mark.parametrize("source", ["sms-keyword", "sms-words", "dashboard", "import"])
def test_a_channel_turned_off_any_other_way_stays_off(ctx, source):
    ann = add_client(ctx, at=BEFORE)
    revoke(ctx, ann, "sms", source)

    save(ctx, ann)

    assert consent(ctx, ann) == (True, False)
    assert consent_events(ctx)[-1] == ("sms", False, source)


def test_consent_never_given_is_never_granted_here(ctx):
    ann = add_client(ctx, at=BEFORE, sms_consent=False)

    save(ctx, ann)

    assert consent(ctx, ann) == (True, False)
    with Session(ctx.engine) as session:
        assert [c.can_turn_on for c in prefs.choices(session, session.get(Client, ann), NOW).channels] == [False, False]


def test_a_suppressed_address_stays_off_even_after_the_clients_own_unsubscribe(ctx):
    ann = add_client(ctx, at=BEFORE)
    revoke(ctx, ann, "email", "unsubscribe-link")
    with Session(ctx.engine) as session:
        facts.suppress(session, "email", "ann@example.com", "complaint", "provider")
        session.commit()

    save(ctx, ann)

    assert consent(ctx, ann) == (False, True)


def test_each_stream_is_chosen_per_channel_and_audited_as_the_pages(ctx):
    ann = add_client(ctx, at=BEFORE)

    save(ctx, ann, streams=EVERY_STREAM_ON - {("education", "email"), ("rebook", "sms")})

    with Session(ctx.engine) as session:
        assert streams_off(session, [ann])[ann] == {("education", "email"), ("rebook", "sms")}
        sources = set(session.exec(select(StreamChoice.source)))
        audited = session.exec(select(AuditEntry.detail).where(AuditEntry.action == "stream.off")).all()
    assert sources == {"preferences-page"}
    assert sorted(audited) == ["education by email via preferences-page", "rebook by sms via preferences-page"]
    assert consent(ctx, ann) == (True, True)


def test_the_checkin_channel_changes_only_when_the_form_asks(ctx):
    ann = add_client(ctx, at=BEFORE)

    save(ctx, ann, checkin="email")
    save(ctx, ann, checkin=None)
    assert load(ctx, Client, ann).checkin_channel == "email"
    save(ctx, ann, checkin="")

    assert load(ctx, Client, ann).checkin_channel == ""
    with Session(ctx.engine) as session:
        details = session.exec(select(AuditEntry.detail).where(AuditEntry.action == "client.checkin_channel")).all()
    assert details == ["check-ins by email via preferences-page", "check-ins by either channel via preferences-page"]


def test_a_channel_without_an_address_is_neither_shown_nor_changed(ctx):
    ann = add_client(ctx, at=BEFORE, phone=None, sms_consent=False)

    save(ctx, ann, channels=("email", "sms"), streams=EVERY_STREAM_ON - {("checkin", "sms")})

    with Session(ctx.engine) as session:
        shown = prefs.choices(session, session.get(Client, ann), NOW)
        assert [c.channel for c in shown.channels] == ["email"]
        assert streams_off(session, [ann]).get(ann, frozenset()) == frozenset()


# --- the pause ---------------------------------------------------------------------------------------------------


def test_a_pause_lasts_the_weeks_chosen_and_shows_until_it_ends(ctx):
    ann = add_client(ctx, at=BEFORE)

    change(ctx, ann, prefs.pause_for, 4, NOW)

    until = NOW + timedelta(weeks=4)
    assert load(ctx, Client, ann).paused_until == until
    with Session(ctx.engine) as session:
        client = session.get(Client, ann)
        assert prefs.choices(session, client, until - timedelta(minutes=1)).paused_until == until
        assert prefs.choices(session, client, until).paused_until is None
    with pytest.raises(ValueError, match="weeks"):
        change(ctx, ann, prefs.pause_for, 3, NOW)


# --- links ------------------------------------------------------------------------------------------------------


def token(ctx, client_id: int, channel: str = "email", address: str = "ann@example.com", at=NOW) -> str:  # noqa: ANN001
    return make_preference_token(ctx.secret_key, client_id, channel, address, at)


def read(ctx, raw: str, at) -> prefs.Opened:  # noqa: ANN001
    with Session(ctx.engine, expire_on_commit=False) as session:
        return prefs.read_link(session, ctx, raw, at)


def test_a_link_opens_the_page_until_it_expires(ctx):
    ann = add_client(ctx, at=BEFORE)
    days = timedelta(days=ctx.settings.web.preference_link_days)

    assert not read(ctx, token(ctx, ann), NOW + days).expired
    assert read(ctx, token(ctx, ann), NOW + days + timedelta(seconds=1)).expired


def test_a_link_to_an_address_the_client_no_longer_has_does_not_open_the_page(ctx):
    ann = add_client(ctx, at=BEFORE)
    raw = token(ctx, ann)
    change(ctx, ann, lambda session, client: setattr(client, "email", "ann@new.example") or session.add(client))

    opened = read(ctx, raw, NOW)

    assert not opened.address_on_file and not opened.expired
    with Session(ctx.engine) as session, pytest.raises(prefs.LinkNotUsable):
        prefs.open_link(session, ctx, raw, NOW)


def test_a_link_for_a_client_not_on_file_or_altered_is_invalid(ctx):
    ann = add_client(ctx, at=BEFORE)
    for raw in (token(ctx, 999), token(ctx, ann)[:-2] + "xx", "nonsense"):
        with Session(ctx.engine) as session, pytest.raises(prefs.LinkInvalid):
            prefs.read_link(session, ctx, raw, NOW)


def sent(ctx, client_id: int, campaign: str, at, to: str = "ann@example.com") -> None:  # noqa: ANN001
    """An email of `campaign` that went to the client at `at`, as the dispatcher leaves it."""
    with Session(ctx.engine) as session:
        session.add(
            Message(
                key=f"{client_id}:{campaign}:x:{at:%Y%m%d}",
                client_id=client_id,
                campaign=campaign,
                step="x",
                cycle="1",
                stream=campaign,
                channel="email",
                to_address=to,
                status=MessageStatus.sent,
                due_at=at,
                sent_at=at,
            )
        )
        session.commit()


def test_a_link_sent_before_the_page_counts_from_when_its_campaign_last_went_by_email(ctx):
    ann = add_client(ctx, at=BEFORE)
    sent(ctx, ann, "education", NOW - timedelta(days=10))
    sent(ctx, ann, "education", NOW - timedelta(days=3))
    sent(ctx, ann, "rebook", NOW - timedelta(days=1))

    with Session(ctx.engine) as session:
        lesson = prefs.legacy_token(session, ctx, UnsubscribeToken(ann, "email", "education"))
        unknown = prefs.legacy_token(session, ctx, UnsubscribeToken(ann, "email", "checkin"))
        gone = prefs.legacy_token(session, ctx, UnsubscribeToken(999, "email", "education"))

    assert read_preference_token(ctx.secret_key, lesson).issued_at == NOW - timedelta(days=3)
    assert read(ctx, lesson, NOW).address_on_file
    assert read(ctx, unknown, NOW).expired  # no such email on file: it can only ask for a fresh link
    assert gone is None


# --- the fresh link ---------------------------------------------------------------------------------------------


def fresh_link(ctx, raw: str, at) -> str:  # noqa: ANN001
    with Session(ctx.engine, expire_on_commit=False) as session:
        outcome = prefs.send_fresh_link(session, ctx, prefs.read_link(session, ctx, raw, at), at)
        session.commit()
        return outcome


def test_a_fresh_link_goes_to_the_same_address_and_opens_the_page(ctx):
    ann = add_client(ctx, at=BEFORE)
    expired = token(ctx, ann, at=NOW - timedelta(days=90))

    assert fresh_link(ctx, expired, NOW) == "sent"
    result = dispatch_due(ctx, NOW)

    [row] = messages(ctx)
    assert (row.to_address, row.channel, row.status, row.client_id) == ("ann@example.com", "email", "sent", None)
    assert result.sent == 1
    [eml] = (ctx.settings.outbox.directory / "email").glob("*/*.eml")
    email = message_from_bytes(eml.read_bytes(), policy=policy.default)
    text = email.get_body(("plain",)).get_content()
    assert email["To"] == "ann@example.com" and "Hi Ann," in text
    [new] = PREFERENCE_LINK.findall(text)
    assert new in email.get_body(("html",)).get_content()
    assert not read(ctx, new, NOW).expired and read(ctx, new, NOW).address_on_file
    # Like every email: the postal address, an unsubscribe link, and RFC 8058 one-click headers.
    assert ctx.settings.clinic.postal_address in text and "/unsubscribe/" in text
    assert "/unsubscribe/" in email["List-Unsubscribe"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_fresh_link_by_text_goes_to_the_same_number(ctx):
    ann = add_client(ctx, at=BEFORE)

    assert fresh_link(ctx, token(ctx, ann, "sms", "+16125550100", NOW - timedelta(days=90)), NOW) == "sent"

    [row] = messages(ctx)
    assert (row.to_address, row.channel) == ("+16125550100", "sms")
    assert (
        row.rendered["text"].startswith(f"{ctx.settings.clinic.sms_name}: ") and "/preferences/" in row.rendered["text"]
    )


def test_one_fresh_link_an_hour_at_most(ctx):
    ann = add_client(ctx, at=BEFORE)
    expired = token(ctx, ann, at=NOW - timedelta(days=90))

    outcomes = [fresh_link(ctx, expired, at) for at in (NOW, NOW + timedelta(minutes=59), NOW + timedelta(hours=1))]

    assert outcomes == ["sent", "too-soon", "sent"]
    assert len(messages(ctx)) == 2


def test_no_fresh_link_to_an_address_the_client_no_longer_has_or_that_we_may_not_message(ctx):
    ann = add_client(ctx, at=BEFORE)
    bo = add_client(ctx, "c2", at=BEFORE, email="bo@example.com", email_consent=False)
    old = token(ctx, ann, at=NOW - timedelta(days=90))
    change(ctx, ann, lambda session, client: setattr(client, "email", "ann@new.example") or session.add(client))

    assert fresh_link(ctx, old, NOW) == "unreachable"
    assert fresh_link(ctx, token(ctx, bo, address="bo@example.com", at=NOW - timedelta(days=90)), NOW) == "unreachable"
    assert messages(ctx) == []
