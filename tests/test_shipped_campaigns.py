"""The campaigns and templates we ship: they pass the check, and every message reads as promised."""

import re
from pathlib import Path

import pytest

from outreach.services.campaign_check import check_campaigns
from outreach.campaigns import load_catalog
from outreach.policy.segments import count_segments
from outreach.rendering import PHASES, REPLIES, Renderer, sample_context
from outreach.rendering.context import SAMPLE_NON_GSM_NAME
from outreach.rendering.names import parse
from outreach.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
HANDOUT = Path("/work/shared/seed/massage-for-chronic-pain.txt")
SETTINGS = Settings()
CATALOG = load_catalog(ROOT / "campaigns")
RENDERER = Renderer(SETTINGS, ROOT / "templates")
DEFAULT_LANGUAGE = SETTINGS.clinic.default_language
LANGUAGES = SETTINGS.served_languages
DENY = {
    language: re.compile(
        "|".join(rf"(?<!\w){re.escape(w)}" for w in SETTINGS.compliance.words_denied(language, DEFAULT_LANGUAGE)),
        re.IGNORECASE,
    )
    for language in LANGUAGES
}

RENDERS = [
    pytest.param(
        campaign, step, phase, channel, language, id=f"{campaign.name}-{step.key}-{phase}-{channel}-{language}"
    )
    for campaign in CATALOG.campaigns
    for step in campaign.steps
    for phase in (step.phases or campaign.audience.phases)
    for channel in step.channels
    for language in LANGUAGES
]
LESSONS = CATALOG.get("education").steps
NEUTRAL = ""  # no phase: copy for anyone, as a lesson's public page shows it


def render(campaign, step, phase, channel, language=""):
    return RENDERER.render(campaign, step, channel, sample_context(SETTINGS, phase, channel, language))


def email_body(text: str) -> str:
    return re.split(r"\n--\s*\n", text)[0]


def test_it_passes_the_check_warning_only_that_a_name_outside_gsm7_gets_a_short_text():
    # Such a name makes an English text UCS-2, 70 characters a segment: where the full text then needs more than
    # max_segments, the check says the short text is sent instead. Nothing else is worth a warning.
    short_sent = re.compile(
        rf'^full text needs 3 segments for "{SAMPLE_NON_GSM_NAME}"; the short text \(1\) is sent \(phase'
    )

    findings = check_campaigns(ROOT / "campaigns", ROOT / "templates", SETTINGS)

    assert [str(f) for f in findings if f.is_error or not short_sent.match(f.message)] == []
    assert all(parse(f.path.name).language == "" for f in findings)  # the Spanish texts are UCS-2 already


def test_it_ships_the_four_streams():
    assert {c.name: c.stream for c in CATALOG.campaigns} == {
        "education": "education",
        "rebook": "rebook",
        "checkin": "checkin",
        "reminder": "reminder",
    }


def test_the_education_series_has_at_least_eight_lessons_email_first():
    assert len(LESSONS) >= 8
    assert all(step.channels == ("email", "sms") and step.after_days is None for step in LESSONS)


def test_the_languages_served_are_english_and_spanish():
    assert LANGUAGES == ("en", "es")


@pytest.mark.parametrize(("campaign", "step", "phase", "channel", "language"), RENDERS)
def test_every_message_renders_within_the_rules(campaign, step, phase, channel, language):
    rendered = render(campaign, step, phase, channel, language)

    assert rendered.language == language  # every step has its translation
    for part in (rendered.subject, rendered.text, rendered.html):
        assert not DENY[language].search(part)
    if channel == "sms":
        count = count_segments(rendered.text)
        if language == DEFAULT_LANGUAGE:
            assert (count.encoding, count.segments) == ("GSM-7", 1)
        else:  # Spanish keeps its accents, which are correct spelling: UCS-2, within its own target
            assert count.segments <= SETTINGS.target_segments(language)
        assert rendered.text.startswith(f"{SETTINGS.clinic.sms_name}: ")
        return
    assert f'<html lang="{language}"' in rendered.html
    context = sample_context(SETTINGS, phase, channel)
    assert rendered.subject and rendered.text and rendered.html
    for part in (rendered.text, rendered.html):
        assert SETTINGS.clinic.postal_address in part
        assert context["unsubscribe_url"] in part


@pytest.mark.parametrize("phase", ["establishing", "tapering", "maintaining", NEUTRAL])
@pytest.mark.parametrize("lesson", LESSONS, ids=[s.key for s in LESSONS])
def test_each_lesson_email_is_120_to_200_words_with_a_call_to_book(lesson, phase):
    body = email_body(render(CATALOG.get("education"), lesson, phase, "email").text)

    assert 120 <= len(body.split()) <= 200
    assert SETTINGS.clinic.booking_url in body
    assert "(612) 522-2225" in body


def test_the_lessons_cover_every_topic_of_the_handout():
    text = " ".join(email_body(render(CATALOG.get("education"), s, "establishing", "email").text) for s in LESSONS)

    for topic in (
        "loop",
        "tight",
        "nerves",
        "circulation",
        "waste",
        "trigger point",
        "connective tissue",
        "exercise",
        "energy",
        "every week",
        "takes time",
    ):
        assert topic in text.lower(), topic


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))


def copied_runs(text: str) -> list[str]:
    """Every run of 7 words the text shares with the clinic's handout."""
    handout = _words(HANDOUT.read_text())
    copied = {tuple(handout[i : i + 7]) for i in range(len(handout) - 6)}
    ours = _words(text)
    return [" ".join(ours[i : i + 7]) for i in range(len(ours) - 6) if tuple(ours[i : i + 7]) in copied]


needs_handout = pytest.mark.skipif(not HANDOUT.is_file(), reason=f"the clinic's handout is not at {HANDOUT}")


@needs_handout
def test_no_lesson_copies_a_sentence_from_the_handout():
    for step in LESSONS:
        for channel in ("email", "sms"):
            assert copied_runs(render(CATALOG.get("education"), step, "establishing", channel).text) == [], (
                f"{step.key} {channel}"
            )


@needs_handout
def test_no_template_copies_a_sentence_from_the_handout():
    for path in sorted((ROOT / "templates").rglob("*.j2")):
        assert copied_runs(path.read_text()) == [], path


def test_each_lesson_text_is_a_one_segment_teaser_linking_its_public_page():
    for step in LESSONS:
        text = render(CATALOG.get("education"), step, "establishing", "sms").text

        assert f"{SETTINGS.web.public_url}/learn/{step.key}" in text
        assert count_segments(text).segments == 1
        assert "Christopher" not in text.split("/learn/")[1]  # nothing personal in the link


def test_the_rebook_nudge_speaks_to_each_phase():
    nudge = CATALOG.get("rebook").step("nudge")

    def text(phase):
        return render(CATALOG.get("rebook"), nudge, phase, "sms").text

    assert "weekly rhythm" in text("establishing")
    assert "earned a longer gap" in text("maintaining")
    assert len({text(p) for p in ("establishing", "tapering", "maintaining")}) == 3


def test_the_checkin_asks_for_a_number_from_0_to_10():
    checkin = CATALOG.get("checkin")

    for phase in checkin.audience.phases:
        assert "reply with a number 0-10" in render(checkin, checkin.steps[0], phase, "sms").text.lower()


def test_the_reminder_names_the_day_and_time():
    reminder = CATALOG.get("reminder")
    step = reminder.step("day-before")

    rendered = render(reminder, step, "establishing", "email")

    assert rendered.subject == "Reminder: your massage tomorrow at 12:30 PM"
    assert "Wednesday, September 30 at 12:30 PM" in rendered.text
    assert (step.days_before, step.transactional) == (1, True)


def reply(name: str, phase: str = "establishing") -> str:
    return RENDERER.render_reply(name, {**sample_context(SETTINGS, phase, "sms"), "stop_notice": False})


def test_the_help_reply_says_everything_carriers_require():
    text = reply("help")

    assert text.startswith(SETTINGS.clinic.sms_name) and SETTINGS.clinic.name in text
    for required in ("STOP", "(612) 522-2225", "Msg frequency", "Msg & data rates may apply"):
        assert required in text


def test_the_stop_reply_is_one_line_with_nothing_to_sell():
    text = reply("stop")

    assert "\n" not in text
    assert SETTINGS.clinic.booking_url not in text
    assert "book" not in text.lower()


def test_the_start_reply_confirms_the_opt_in():
    text = reply("start")

    assert "subscribed" in text and "STOP" in text and "Msg & data rates may apply" in text


def test_the_checkin_thanks_differs_by_phase_and_never_repeats_an_answer():
    texts = {phase: reply("checkin-thanks", phase) for phase in (*PHASES, NEUTRAL)}

    assert len(set(texts.values())) == len(PHASES) + 1
    assert not any(re.search(r"\d", text) for text in texts.values())


def test_every_reply_fits_two_gsm_segments():
    for name in REPLIES:
        for phase in (*PHASES, NEUTRAL):
            count = count_segments(reply(name, phase))
            assert (count.encoding, count.segments <= 2) == ("GSM-7", True), name


def test_no_english_text_template_uses_characters_that_switch_to_ucs2():
    for path in (ROOT / "templates").rglob("*.j2"):
        if path.name.endswith(".email.j2") or path.parent.name == "layouts" and "email" in path.name:
            continue
        if parse(path.name).language:
            continue  # Spanish keeps its accents: á, í, ó and ú are not in GSM-7
        assert count_segments(path.read_text()).first_non_gsm is None, path


def test_the_received_reply_sells_nothing():
    # It answers texts that may be complaints or appointment changes: no booking link, no link at all.
    for phase in PHASES:
        text = reply("received", phase)
        assert SETTINGS.clinic.booking_url not in text and "http" not in text and "book" not in text.lower()


def phase_words(texts: dict[str, str]) -> dict[str, set[str]]:
    """Each phase's own lines: the ones its text has and no other phase's text has."""
    lines = {phase: {line.strip() for line in text.splitlines() if line.strip()} for phase, text in texts.items()}
    return {
        phase: own - set().union(*(other for name, other in lines.items() if name != phase))
        for phase, own in lines.items()
    }


NEUTRAL_RENDERS = [
    pytest.param(campaign, step, channel, language, id=f"{campaign.name}-{step.key}-{channel}-{language}")
    for campaign in CATALOG.campaigns
    for step in campaign.steps
    for channel in step.channels
    for language in LANGUAGES
]


@pytest.mark.parametrize(("campaign", "step", "channel", "language"), NEUTRAL_RENDERS)
def test_with_no_phase_every_message_speaks_to_anyone_not_to_one_phase(campaign, step, channel, language):
    # The else of every phase branch is for anyone: no phase's own words (a lapsed client's "it's been a while",
    # a tapering one's "spacing out now") reach a reader whose phase is not known.
    def text(phase):
        rendered = render(campaign, step, phase, channel, language)
        return f"{rendered.subject}\n{rendered.text}"

    neutral = text(NEUTRAL)
    for phase, own in phase_words({phase: text(phase) for phase in PHASES}).items():
        assert not [line for line in own if line in neutral.splitlines()], phase


def test_with_no_phase_every_reply_speaks_to_anyone_not_to_one_phase():
    for name in REPLIES:
        for language in LANGUAGES:

            def text(phase, name=name, language=language):
                context = {**sample_context(SETTINGS, phase, "sms", language), "stop_notice": False}
                return RENDERER.render_reply(name, context)

            neutral = text(NEUTRAL).splitlines()
            for phase, own in phase_words({phase: text(phase) for phase in PHASES}).items():
                assert not [line for line in own if line in neutral], (name, language, phase)
