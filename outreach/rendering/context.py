"""What a template may print: the message context for a client, or for a made-up sample client.

Health data (scores, conditions, notes) is deliberately unreachable from here: only a first name, the clinic's
details, the cadence phase and interval, the visit a reminder is about, and signed links."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from outreach.contacts import display_phone
from outreach.settings import Clinic, Settings
from outreach.signed_links import (
    checkin_answer_urls,
    make_checkin_token,
    make_unsubscribe_token,
    preferences_url,
    unsubscribe_url,
)

PHASES = ("establishing", "tapering", "maintaining", "lapsed")
# Long on purpose: `campaigns check` measures SMS budgets with these.
SAMPLE_FIRST_NAME = "Christopher"
# As long, outside GSM-7 (í): a text that prints it is UCS-2, 70 characters a segment, whatever its copy.
SAMPLE_NON_GSM_NAME = "Joaquín María"
# Every name a text's size must hold for: one in each encoding.
LONG_SAMPLE_NAMES = (SAMPLE_FIRST_NAME, SAMPLE_NON_GSM_NAME)
SAMPLE_VISIT = datetime(2026, 9, 30, 12, 30)  # "Wednesday, September 30" at "12:30 PM"
SAMPLE_CLIENT_ID = 104729
SAMPLE_MESSAGE_ID = 1299709


# How each language says a visit's day and the gap between visits; a language without a row is written in English.
_WORDING = {
    "en": {
        "date": "EEEE, MMMM d",
        "today": "today",
        "tomorrow": "tomorrow",
        "on": "on {weekday}",
        "week": "a week",
        "weeks": "{count} weeks",
        "some weeks": "a few weeks",
        "no name": "there",  # "Hi there,"
    },
    "es": {
        "date": "EEEE d 'de' MMMM",
        "today": "hoy",
        "tomorrow": "mañana",
        "on": "el {weekday}",
        "week": "una semana",
        "weeks": "{count} semanas",
        "some weeks": "unas semanas",
        "no name": "",  # Spanish copy leaves the name out when there is none: "Hola:"
    },
}


def message_context(
    settings: Settings,
    *,
    first_name: str,
    phase: str | None,
    interval_days: int | None,
    visit_at_local: datetime | None = None,
    unsubscribe_url: str = "",
    preferences_url: str = "",
    stop_notice: bool = False,
    today: date | None = None,
    answer_urls: tuple[str, ...] = (),
    language: str = "",
) -> dict:
    """Everything a template may print, in `language` (the clinic's default when not given). Health data (scores,
    conditions, notes) is deliberately unreachable.
    `answers` are an emailed check-in's one-tap links, `{label, url}` from 0 to 10 (empty for other messages).
    With no `phase` ("" or None: copy for anyone, a lesson's public page say), the templates' neutral words."""
    phase = phase or ""
    if phase and phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; use one of {', '.join(PHASES)}, or none")
    language = language or settings.clinic.default_language
    return {
        "language": language,
        "client": {"first_name": first_name.strip() or _WORDING.get(language, _WORDING["en"])["no name"]},
        "clinic": dict(_clinic(settings.clinic)),
        "phase": phase,
        "interval_weeks": None if interval_days is None else max(1, round(interval_days / 7)),
        "visit": None if visit_at_local is None else _visit(visit_at_local, today, language),
        "visit_at": visit_at_local,  # the visit's local time, for the wording in another language
        "today": today,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "stop_notice": stop_notice,
        "answers": tuple({"label": str(number), "url": url} for number, url in enumerate(answer_urls)),
    }


def localised(context: dict, language: str) -> dict:
    """The context for copy in `language`: itself when it is in that language already, else with the visit's
    wording redone (a translation that is missing is sent in the default language, dates and all)."""
    if context.get("language") == language:
        return context
    visit_at = context.get("visit_at")
    visit = None if visit_at is None else _visit(visit_at, context.get("today"), language)
    return {**context, "language": language, "visit": visit}


def weeks_in(language: str, count: int | None) -> str:
    """An interval in weeks as the language says it: "a week", "2 weeks", "a few weeks" when unknown."""
    wording = _WORDING.get(language, _WORDING["en"])
    if not count:
        return wording["some weeks"]
    return wording["week"] if count == 1 else wording["weeks"].format(count=count)


def sample_context(settings: Settings, phase: str, channel: str, language: str = "", first_name: str = "") -> dict:
    """A made-up client with a booked visit, for `campaigns check` and `campaigns preview`: in `language`, and
    named `first_name` (the long SAMPLE_FIRST_NAME when not given)."""
    token = make_unsubscribe_token("sample-key", SAMPLE_CLIENT_ID, channel)
    public_url = settings.web.public_url
    return message_context(
        settings,
        first_name=first_name or SAMPLE_FIRST_NAME,
        phase=phase,
        interval_days=_phase_interval(settings, phase),
        visit_at_local=SAMPLE_VISIT.replace(tzinfo=ZoneInfo(settings.clinic.timezone)),
        unsubscribe_url=unsubscribe_url(public_url, token),
        preferences_url=preferences_url(public_url, token),
        stop_notice=channel == "sms",
        today=SAMPLE_VISIT.date() - timedelta(days=1),
        answer_urls=checkin_answer_urls(
            public_url, make_checkin_token("sample-key", SAMPLE_CLIENT_ID, SAMPLE_MESSAGE_ID)
        ),
        language=language,
    )


@lru_cache(maxsize=8)
def _clinic(clinic: Clinic) -> tuple[tuple[str, str], ...]:
    return (
        ("name", clinic.name),
        ("sms_name", clinic.sms_name),
        ("phone", clinic.phone),
        ("phone_display", display_phone(clinic.phone)),
        ("toll_free", clinic.toll_free),
        ("toll_free_display", display_phone(clinic.toll_free)),
        ("booking_url", clinic.booking_url),
        ("postal_address", clinic.postal_address),
    )


def _visit(at: datetime, today: date | None, language: str) -> dict:
    """The visit as people say it in `language`; `day` is relative to the day the message goes out ("today",
    "tomorrow", "on Wednesday")."""
    return dict(_visit_words(at, today, language))


@lru_cache(maxsize=4096)  # a day's reminders share their few visit times
def _visit_words(at: datetime, today: date | None, language: str) -> tuple[tuple[str, str], ...]:
    wording = _WORDING.get(language, _WORDING["en"])
    locale = language if language in _WORDING else "en"
    ahead = None if today is None else (at.date() - today).days
    weekday = format_date(at, "EEEE", locale=locale)
    day = {0: wording["today"], 1: wording["tomorrow"]}.get(ahead) if ahead is not None else None
    time = format_time(at, "short", locale=locale).replace("\u202f", " ").replace("\xa0", " ")
    return (
        ("day", day or wording["on"].format(weekday=weekday)),
        ("date", format_date(at, wording["date"], locale=locale)),
        ("time", time),
    )


def _phase_interval(settings: Settings, phase: str) -> int | None:
    cadence = settings.cadence
    return {
        "establishing": cadence.establishing_days,
        "tapering": cadence.tapering_days,
        "maintaining": cadence.maintaining_days,
    }.get(phase)
