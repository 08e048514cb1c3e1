"""Test sends: the address a test goes to, normalised, by a channel its step sends by; and who may receive one."""

from datetime import datetime, timezone

import pytest
from sqlmodel import Session

from outreach.campaigns import Campaign, Step
from outreach.services.streams import choose_stream
from outreach.services.test_sends import SendTestRefused, not_allowed, queue, recipient
from outreach.services.unsubscribe import opt_out_address
from tests.desk import add_staff, give_contact
from tests.helpers import add_client, change

EMAIL_ONLY = Campaign(
    name="welcome",
    title="Welcome",
    stream="education",
    steps=[Step(key="hello", template="education/pain-cycle", channels=("email",))],
)


def test_a_test_goes_by_email_to_an_address_with_an_at_and_by_text_to_a_number():
    both = Campaign(
        name="c", title="C", stream="education", steps=[Step(key="s", template="t", channels=("email", "sms"))]
    )

    assert recipient(both, both.steps[0], "Owner@Example.COM", "US") == ("email", "Owner@example.com")
    assert recipient(both, both.steps[0], "(612) 555-0199", "US") == ("sms", "+16125550199")


@pytest.mark.parametrize(
    "to, why",
    [
        ("+1 612 555 0199", "step welcome/hello is not sent by sms"),
        ("owner@@example.com", "not a valid email address"),
    ],
)
def test_a_test_is_refused_an_address_or_channel_it_cannot_go_to(to, why):
    with pytest.raises(ValueError, match=why):
        recipient(EMAIL_ONLY, EMAIL_ONLY.steps[0], to, "US")


# Who a test may go to: a client's address with consent on the channel, or the sender's own address.

NOW = datetime(2026, 3, 2, 15, tzinfo=timezone.utc)
LESSON = Campaign(
    name="education",
    title="Lessons",
    stream="education",
    steps=[Step(key="pain-cycle", template="education/pain-cycle", channels=("email", "sms"))],
)


def refused(ctx, to: str, account: str = "mia") -> str | None:
    with Session(ctx.engine) as session:
        channel, address = recipient(LESSON, LESSON.steps[0], to, "US")
        return not_allowed(session, account, channel, address, LESSON.stream)


@pytest.fixture
def mia(ctx):
    add_staff(ctx, "mia", "marketing")
    give_contact(ctx, "mia", "mia@example.com", "+16125550111")
    return ctx


def test_a_test_may_go_to_the_sender_s_own_email_and_phone_and_no_one_else_s(mia):
    assert refused(mia, "Mia@Example.com") is None and refused(mia, "(612) 555-0111") is None
    assert refused(mia, "mia@example.com", account="noah") == (
        "mia@example.com is not your own email, and no client has it with consent to email. A test goes only to a "
        "client's address with consent, or to your own email or phone (set under Your contact details on the staff "
        "page)"
    )
    assert refused(mia, "+16125550112").startswith("+16125550112 is not your own phone, and no client has it")


@pytest.mark.parametrize(
    "client, to, why",
    [
        ({"sms_consent": False}, "+16125550100", "its client may not be sent texts (No SMS consent)"),
        ({"email_consent": False}, "ann@example.com", "its client may not be sent email (No email consent)"),
        ({"status": "archived"}, "+16125550100", "its client may not be sent texts (Client archived)"),
    ],
)
def test_a_client_s_address_takes_a_test_only_with_consent_on_that_channel(mia, client, to, why):
    add_client(mia, "ann", at=NOW, **client)

    assert why in refused(mia, to)


def test_a_client_s_address_with_consent_takes_a_test_unless_the_client_turned_its_stream_off(mia):
    client_id = add_client(mia, "ann", at=NOW)
    assert refused(mia, "+16125550100") is None and refused(mia, "ann@example.com") is None

    change(mia, client_id, choose_stream, "education", "sms", False, "desk", "front desk", NOW)
    assert "Stream turned off: education by sms" in refused(mia, "+16125550100")
    assert refused(mia, "ann@example.com") is None


def test_an_opt_out_or_suppression_refuses_even_the_sender_s_own_address(mia):
    with Session(mia.engine) as session:
        opt_out_address(
            session, "sms", "+16125550111", reason="Replied STOP", source="sms-keyword", actor="client", now=NOW
        )
        session.commit()

    assert refused(mia, "+16125550111") == "+16125550111 is on the suppression list (Replied STOP); tests honour it too"


def test_queue_refuses_with_the_reason_and_keeps_the_hourly_limit(mia, monkeypatch):
    monkeypatch.setattr("outreach.services.test_sends.PER_HOUR", 1)
    words = lambda channel: {"subject": "", "text": "hi", "html": "", "headers": {}}  # noqa: E731

    with Session(mia.engine) as session:
        with pytest.raises(SendTestRefused, match="stranger@example.com is not your own email"):
            queue(session, "mia", LESSON, LESSON.steps[0], "stranger@example.com", NOW, region="US", words=words)
        queue(session, "mia", LESSON, LESSON.steps[0], "mia@example.com", NOW, region="US", words=words)
        with pytest.raises(SendTestRefused, match="mia has sent 1 tests in the last hour"):
            queue(session, "mia", LESSON, LESSON.steps[0], "mia@example.com", NOW, region="US", words=words)
