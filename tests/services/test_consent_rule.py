"""services.facts.record_consent keeps the one consent rule: a grant by anyone but the client never overrides the
client's own opt-out, recorded as the inbound handler and the provider reports record it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outreach.channels.base import InboundText
from outreach.models import Client, ConsentEvent
from outreach.services import facts
from outreach.services.inbound import handle_inbound_sms
from outreach.services.unsubscribe import unsubscribe_client
from tests.conftest import utc
from tests.helpers import add_client, change, load

NOW = utc(2026, 3, 2, 15)
ANN = "+16125550100"
REFUSED_SMS = "this number replied STOP on 2026-03-02; only the client's START re-opts in"


@pytest.fixture
def ann(ctx) -> int:
    return add_client(ctx, at=NOW - timedelta(days=30))


def text_in(ctx, body: str, at, sid: str, sender: str = ANN) -> None:
    with Session(ctx.engine) as session:
        handle_inbound_sms(session, ctx, InboundText(sid, sender, body), at)
        session.commit()


def grant(ctx, client_id: int, channel: str, source: str = "dashboard:frontdesk", at=None):  # noqa: ANN201
    return change(
        ctx, client_id, facts.record_consent, channel, True, source, "frontdesk", at=at or NOW + timedelta(days=2)
    )


@pytest.mark.parametrize("body", ["STOP", "Please stop texting me"], ids=["keyword", "own words"])
def test_a_stop_from_the_number_refuses_a_staff_grant_naming_the_date(ctx, ann, body):
    text_in(ctx, body, NOW, "SM1")

    with pytest.raises(facts.ConsentRefused, match=REFUSED_SMS) as refused:
        grant(ctx, ann, "sms")

    assert refused.value.channel == "sms"
    assert load(ctx, Client, ann).sms_consent is False


def test_stop_then_start_then_a_staff_grant_goes_through(ctx, ann):
    text_in(ctx, "STOP", NOW, "SM1")
    text_in(ctx, "START", NOW + timedelta(hours=1), "SM2")
    change(
        ctx, ann, facts.record_consent, "sms", False, "dashboard:frontdesk", "frontdesk", at=NOW + timedelta(hours=2)
    )

    assert grant(ctx, ann, "sms") is True
    assert load(ctx, Client, ann).sms_consent is True


def test_start_then_stop_refuses(ctx, ann):
    text_in(ctx, "STOP", NOW - timedelta(days=2), "SM1")
    text_in(ctx, "START", NOW - timedelta(days=1), "SM2")
    text_in(ctx, "STOP", NOW, "SM3")

    with pytest.raises(facts.ConsentRefused, match=REFUSED_SMS):
        grant(ctx, ann, "sms")


def test_the_number_s_stop_binds_a_client_added_at_it_afterwards(ctx):
    text_in(ctx, "STOP", NOW, "SM1")
    ben = add_client(ctx, "c2", at=NOW + timedelta(days=1), first_name="Ben", sms_consent=False)

    with pytest.raises(facts.ConsentRefused, match=REFUSED_SMS):
        grant(ctx, ben, "sms")


def test_the_client_s_own_start_is_never_refused(ctx, ann):
    text_in(ctx, "STOP", NOW, "SM1")

    assert change(ctx, ann, facts.record_consent, "sms", True, "sms-keyword", "client", at=NOW) is True


def test_revocations_are_never_refused(ctx, ann):
    with Session(ctx.engine) as session:
        facts.suppress(session, "sms", ANN, "Replied STOP", "sms-keyword", at=NOW)
        session.commit()

    assert change(ctx, ann, facts.record_consent, "sms", False, "dashboard:frontdesk", "frontdesk") is True


def test_an_email_unsubscribe_by_the_client_refuses_a_staff_grant(ctx, ann):
    change(ctx, ann, unsubscribe_client, ["email"], source="unsubscribe-link", actor="client", now=NOW)

    with pytest.raises(facts.ConsentRefused, match="this address unsubscribed on 2026-03-02"):
        grant(ctx, ann, "email")


def test_the_client_s_own_re_grant_lifts_the_email_refusal(ctx, ann):
    change(ctx, ann, unsubscribe_client, ["email"], source="unsubscribe-link", actor="client", now=NOW)
    change(ctx, ann, facts.record_consent, "email", True, "preferences-page", "client", at=NOW + timedelta(days=1))
    change(
        ctx, ann, facts.record_consent, "email", False, "dashboard:frontdesk", "frontdesk", at=NOW + timedelta(days=1)
    )

    assert grant(ctx, ann, "email") is True


@pytest.mark.parametrize(
    ("reason", "refusal"),
    [
        ("spamreport", "this address reported our email as spam on 2026-03-02"),
        ("unsubscribe", "this address unsubscribed on 2026-03-02"),
        ("bounce: bounce 550 no such user", None),
    ],
)
def test_an_email_suppression_refuses_for_a_complaint_or_unsubscribe_not_a_bounce(ctx, reason, refusal):
    ann = add_client(ctx, at=NOW - timedelta(days=30), email="Ann@Example.com", email_consent=False)
    with Session(ctx.engine) as session:
        facts.suppress(session, "email", "ann@example.com", reason, "provider", at=NOW)
        session.commit()

    if refusal is None:
        assert grant(ctx, ann, "email") is True
        return
    with pytest.raises(facts.ConsentRefused, match=refusal):
        grant(ctx, ann, "email")
    with Session(ctx.engine) as session:
        assert session.exec(select(ConsentEvent).where(ConsentEvent.channel == "email")).all() == []
