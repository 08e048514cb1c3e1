"""Issue 26, round four: the grammar on wording from a fourth writer (none of these sentences is in the corpus),
typos on the grammar's verbs, and what is only talked about or unsure going to a person rather than opting out."""

import pytest

from outreach.policy.intent import Intent, read
from outreach.policy.typos import correct, correct_words
from outreach.policy.wording import questions


@pytest.mark.parametrize(
    "body",
    [
        "and please no more texts",
        "it would be nice if the reminders could stop",
        "quit blowin up my phone",
        "cut out the texts please",
        "ditch the check-in messages",
        "take my profile off your list",
        "erase my account from your records",
        "remove me for good",
        "bro stop",
        "ya no me los mande porfa",
        "no me recuerde mas",
        "los consejos ya no",
        "ya no quiero eso",
        "cesen los mensajes",
        "dejen d escribirme",
        "ya parenle",
        "please stop texting me the night before my visits",
    ],
)
def test_round_four_grammar_reads_new_wording_as_an_opt_out(body):
    assert read(body).intent is Intent.opt_out


@pytest.mark.parametrize(
    "body",
    [
        "stop worrying about the reminders",
        "I want it to stop",
        "don't you dare cancel my reminders",
        "unsubscribe me from the autopay",
        "the texts will be from this number",
        "what messages will I get from this number",
        "no quería darme de baja",
        "ni loco me doy de baja",
        "stop - my appointment says 2pm but i booked 3pm",
        "I'd appreciate it if you kept sending the tips",
        "stomp on my back harder next time",
        "can the reminder come the day before my appointment instead",
    ],
)
def test_round_four_look_alikes_are_no_opt_out(body):
    assert read(body).intent is not Intent.opt_out


@pytest.mark.parametrize(
    "body",
    [
        "stop worrying about the reminders",
        "I want it to stop",
        "¿dejar de recibir los consejos afecta mis citas?",
        "unsubscribing from the tips, does that cancel my visits?",
    ],
)
def test_unsure_or_only_talked_about_is_a_possible_opt_out(body):
    assert read(body).intent is Intent.possible_opt_out


def test_a_request_asked_as_a_question_is_still_a_request():
    assert read("can you stop texting me?").intent is Intent.opt_out
    assert read("¿me pueden dar de baja?").intent is Intent.opt_out
    assert questions("ok. ¿darme de baja cancela mis citas?") == {"darme de baja cancela mis citas"}


def test_an_email_stop_pointing_back_keeps_the_texts():
    reading = read("Inbox is flooded with your newsletters, no more please (texts ok)")
    assert (reading.intent, reading.channel) == (Intent.opt_out, "email")


def test_a_pain_score_range_is_no_clock_time():
    assert read("quit sending the 0-10 things").intent is Intent.opt_out
    assert read("no texts before 7 30 please").intent is Intent.time_preference


@pytest.mark.parametrize(
    "token,word", [("stiop", "stop"), ("stoip", "stop"), ("sendin", "sending"), ("hittin", "hitting")]
)
def test_typos_inside_the_keyword_and_dropped_g(token, word):
    assert correct(token) == word


@pytest.mark.parametrize("token", ["stomp", "quiet", "quilt", "quite", "stops", "strop"])
def test_real_words_near_the_keywords_stay_themselves(token):
    assert correct(token) == token


def test_a_contact_verb_after_stop_is_corrected_but_not_a_real_word():
    assert correct_words(["stop", "sendig", "me"]) == ["stop", "sending", "me"]
    assert correct_words(["stop", "spending", "money"]) == ["stop", "spending", "money"]
