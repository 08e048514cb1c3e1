"""Reading a client's own words: plain-word opt-outs, possible opt-outs, appointments, scores.

The corpus figures asserted here are the `dev` set's only: the rules are tuned on it. The `test` set is measured
(python -m tests.intent_corpus) and never asserted, so that nobody tunes a rule to make a test pass on it.
"""

import pytest

from outreach.policy.intent import Intent, normalise, read
from tests.intent_corpus import LABELS, load, measure


def _dev():
    return [sample for sample in load() if sample.set == "dev"]


@pytest.fixture(scope="module")
def figures():
    return measure(_dev(), "dev")


def test_the_dev_corpus_is_large_and_varied_enough(figures):
    labels = {sample.label for sample in figures.samples}
    assert len(figures.samples) >= 300 and figures.opt_outs >= 100
    assert sum(sample.language == "es" for sample in figures.samples) >= 75
    assert labels == set(LABELS)
    assert {sample.channel for sample in figures.samples if sample.label == "opt-out"} == {"sms", "email", "all"}
    assert {sample.stream for sample in figures.samples} >= {"", "education", "reminder", "checkin", "rebook"}


def test_it_misses_no_opt_out_in_the_dev_corpus(figures):
    assert [sample.text for sample in figures.missed] == []


def test_it_reads_nothing_else_in_the_dev_corpus_as_an_opt_out(figures, capsys):
    assert [sample.text for sample in figures.false_opt_outs] == []
    with capsys.disabled():
        print("\n" + figures.summary() + "\n" + figures.report())


def test_it_reads_the_stream_of_every_stream_scoped_opt_out_in_the_dev_corpus(figures):
    assert [(sample.text, reading.stream) for sample, reading in figures.stream_errors()] == []


@pytest.mark.parametrize("label", ["other-person", "time-preference"])
def test_it_reads_every_other_person_and_time_preference_in_the_dev_corpus(figures, label):
    right, total, wrong = figures.label_accuracy(label)
    assert (right, wrong) == (total, 0)


def test_no_appointment_in_the_dev_corpus_is_read_as_an_opt_out_or_held(figures):
    read_as = {intent for (label, intent), _ in figures.confusion.items() if label == "appointment"}
    assert read_as <= {"appointment", "other"}


@pytest.mark.parametrize(
    "body,plain",
    [
        ("ＳＴＯＰ", "stop"),
        ("Don’t", "dont"),
        ("No MÁS", "no mas"),
        ("ﬁn", "fin"),
        ("S T O P", "stop"),
        ("s.t.o.p", "stop"),
    ],
)
def test_it_folds_fullwidth_letters_case_accents_quote_marks_and_spelling_out(body, plain):
    assert normalise(body) == plain


@pytest.mark.parametrize("body", ["STOP", "stop.", "Cancel", "END", "unsubscribe"])
def test_an_exact_keyword_is_still_a_keyword_opt_out_of_all_texts(body):
    assert read(body) == read(body.upper()) and read(body).keyword is True
    assert (read(body).intent, read(body).channel, read(body).stream) == (Intent.opt_out, "sms", "")


@pytest.mark.parametrize("body", ["please stop", "STOP 🙏", "stop texting me", "no más mensajes", "'stop'"])
def test_plain_words_are_an_opt_out_that_is_not_a_keyword(body):
    reading = read(body)
    assert (reading.intent, reading.keyword) == (Intent.opt_out, False)


def test_twilios_opt_out_type_still_wins():
    assert read("I need to cancel Tuesday's appointment", opt_out_type="STOP").intent is Intent.opt_out
    assert read("please stop", opt_out_type="HELP").intent is Intent.help


@pytest.mark.parametrize(
    "body", ["Please don't stop texting me", "I didn't opt out", "no quiero darme de baja", "no paren los consejos"]
)
def test_a_negated_opt_out_phrase_is_no_opt_out_and_holds_nothing(body):
    # Issue 26: a possible opt-out holds every automated text; "don't stop" asks for the opposite.
    assert read(body).intent is Intent.other


@pytest.mark.parametrize("body", ["end", "cancel"])
def test_cancel_and_end_inside_a_longer_text_without_a_visit_in_view_are_only_possible(body):
    assert read(f"I want to {body} this").intent is Intent.possible_opt_out
    assert read(f"I want to {body} my appointment tomorrow").intent is Intent.appointment


@pytest.mark.parametrize(
    "body,score", [("about a 4 today", 4), ("7ish", 7), ("6 🙂", 6), ("７/10", 7), ("Pain is about a 3 today", 3)]
)
def test_it_reads_a_padded_score(body, score):
    reading = read(body)
    assert (reading.intent, reading.score) == (Intent.score, score)


@pytest.mark.parametrize("body", ["At 6 today?", "I walked 5 miles", "2 or 3"])
def test_a_number_in_another_sense_is_not_a_score(body):
    assert read(body).score is None


@pytest.mark.parametrize(
    "body",
    [
        "I'll stop sending my scores",
        "Remove me from the Tuesday list, I can't make it",
        "Stop sending me the wrong time, it's at 4",
        "I got no texts about my visit",
    ],
)
def test_opt_out_words_about_something_else_are_no_clear_opt_out(body):
    assert read(body).intent is not Intent.opt_out


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


DRESSINGS = {
    "upper case": str.upper,
    "lower case": str.lower,
    "fullwidth": _fullwidth,
    "quoted": lambda text: f'"{text}"',
    "curly quoted": lambda text: f"“{text}”",
    "emoji": lambda text: f"{text} 🙏",
    "shouted": lambda text: f"{text}!!",
    "padded": lambda text: f"  {text} ",
}


@pytest.mark.parametrize("dressing", DRESSINGS)
def test_case_quotes_emoji_and_fullwidth_letters_never_change_the_opt_out_decision(dressing):
    dress = DRESSINGS[dressing]
    changed = [
        sample.text
        for sample in _dev()
        if (read(dress(sample.text)).intent is Intent.opt_out) != (sample.label == "opt-out")
    ]
    assert changed == []


def test_it_reads_what_a_person_would_see_of_a_very_long_text():
    assert read("Please stop texting me. " + "x" * 3000).intent is Intent.opt_out
    # Past 2,000 characters (Twilio delivers at most 1,600) nothing more is read: a forged megabyte costs nothing.
    assert read("x " * 1000 + "please stop texting me").intent is Intent.other
