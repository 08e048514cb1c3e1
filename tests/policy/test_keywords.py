"""Reading what a client texted back: keywords and pain score replies."""

import pytest

from outreach.policy.keywords import Keyword, classify, parse_score


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        "  Stop ",
        "StopAll",
        "UNSUBSCRIBE",
        "cancel",
        "end",
        "quit",
        "revoke",
        "OPTOUT",
        "Stop.",
        "STOP!",
    ],
)
def test_it_recognises_every_opt_out_word(body):
    assert classify(body) is Keyword.stop


@pytest.mark.parametrize("body", ["START", "unstop", "Yes"])
def test_it_recognises_opt_in_words(body):
    assert classify(body) is Keyword.start


@pytest.mark.parametrize("body", ["HELP", "info", " Help "])
def test_it_recognises_help_words(body):
    assert classify(body) is Keyword.help


@pytest.mark.parametrize("body", ["please stop texting me on sundays", "stop it", "STOPP", "", "7", "yes please"])
def test_it_leaves_anything_but_the_whole_keyword_to_the_front_desk(body):
    assert classify(body) is Keyword.other


def test_it_prefers_twilios_advanced_opt_out_decision():
    assert classify("Arrêtez", opt_out_type="STOP") is Keyword.stop
    assert classify("stop", opt_out_type="START") is Keyword.start
    assert classify("aide", opt_out_type="help") is Keyword.help


def test_it_falls_back_to_matching_when_opt_out_type_is_unfamiliar():
    assert classify("STOP", opt_out_type="SOMETHING-NEW") is Keyword.stop


@pytest.mark.parametrize(
    "body,score",
    [
        ("7", 7),
        (" 0 ", 0),
        ("10", 10),
        ("7/10", 7),
        ("7 / 10", 7),
        ("7 out of 10", 7),
        ("pain 4", 4),
        ("Pain: 4", 4),
        ("my pain is 4/10", 4),
        ("4.", 4),
        ("3 of 10", 3),
    ],
)
def test_it_reads_a_pain_score_in_the_usual_short_forms(body, score):
    assert parse_score(body) == score


@pytest.mark.parametrize(
    "body", ["11", "-1", "7.5", "2 or 3", "seven", "call me at 6125222225", "", "7/5", "I walked 5 miles", "100"]
)
def test_it_refuses_anything_that_is_not_one_clear_score(body):
    assert parse_score(body) is None


def test_it_treats_a_score_as_an_ordinary_message_when_classifying():
    assert classify("7") is Keyword.other
