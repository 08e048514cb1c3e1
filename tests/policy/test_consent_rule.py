"""The one consent rule for every door: nobody but the client overrides the client's own opt-out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.policy.consent import CLIENT_OPT_IN_SOURCES, email_suppressed_for, grant_refusal
from tests.conftest import utc

STOP = utc(2026, 3, 2, 15)
LATER = STOP + timedelta(days=1)


def test_a_number_that_never_replied_stop_may_be_granted():
    assert grant_refusal("sms", None, None) is None


def test_stop_then_start_lets_a_grant_through():
    assert grant_refusal("sms", STOP, LATER) is None


def test_start_then_stop_refuses_naming_the_date():
    assert grant_refusal("sms", LATER, STOP) == (
        "this number replied STOP on 2026-03-03; only the client's START re-opts in"
    )


def test_a_stop_in_the_client_s_own_words_refuses_as_the_keyword_does():
    # The service passes an own-words opt-out as the same kind of fact: a STOP from the number, with its time.
    assert grant_refusal("sms", STOP, None) == (
        "this number replied STOP on 2026-03-02; only the client's START re-opts in"
    )


@pytest.mark.parametrize(
    ("suppressed_for", "words"),
    [("unsubscribe", "this address unsubscribed"), ("complaint", "this address reported our email as spam")],
)
def test_an_unsubscribed_or_complaining_address_refuses_email(suppressed_for, words):
    assert grant_refusal("email", STOP, None, suppressed_for) == (
        f"{words} on 2026-03-02; only the client's own opt-in re-opts in"
    )


def test_an_email_opt_out_the_client_has_since_taken_back_refuses_nothing():
    assert grant_refusal("email", STOP, LATER, "unsubscribe") is None


def test_a_bounce_does_not_refuse_an_email_grant():
    assert grant_refusal("email", STOP, None, "") is None


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("spamreport", "complaint"),
        ("unsubscribe", "unsubscribe"),
        ("group_unsubscribe: 42", "unsubscribe"),
        ("dropped: Unsubscribed Address", "unsubscribe"),
        ("dropped: Spam Reporting Address", "complaint"),
        ("bounce: bounce 550 5.1.1 no such user", ""),
        ("dropped: Bounced Address", ""),
        ("Invalid address (21211)", ""),
    ],
)
def test_email_suppressions_are_read_by_their_reason(reason, kind):
    assert email_suppressed_for(reason) == kind


def test_only_the_client_s_own_doors_are_exempt():
    assert CLIENT_OPT_IN_SOURCES == {"sms-keyword", "sms-words", "sms-scope-reply", "preferences-page"}
    assert not any(source.startswith(("dashboard", "api", "import")) for source in CLIENT_OPT_IN_SOURCES)
