"""What a template may print: the message context for a client, or for a made-up sample client.

Health data (scores, conditions, notes) is deliberately unreachable from here: only a first name, the clinic's
details, the cadence phase and interval, the visit a reminder is about, and signed links."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

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
SAMPLE_VISIT = datetime(2026, 9, 30, 12, 30)  # "Wednesday, September 30" at "12:30 PM"
SAMPLE_CLIENT_ID = 104729
SAMPLE_MESSAGE_ID = 1299709


def message_context(
    settings: Settings,
    *,
    first_name: str,
    phase: str,
    interval_days: int | None,
    visit_at_local: datetime | None = None,
    unsubscribe_url: str = "",
    preferences_url: str = "",
    stop_notice: bool = False,
    today: date | None = None,
    answer_urls: tuple[str, ...] = (),
) -> dict:
    """Everything a template may print. Health data (scores, conditions, notes) is deliberately unreachable.
    `answers` are an emailed check-in's one-tap links, `{label, url}` from 0 to 10 (empty for other messages)."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; use one of {', '.join(PHASES)}")
    return {
        "client": {"first_name": first_name.strip() or "there"},
        "clinic": dict(_clinic(settings.clinic)),
        "phase": phase,
        "interval_weeks": None if interval_days is None else max(1, round(interval_days / 7)),
        "visit": None if visit_at_local is None else _visit(visit_at_local, today),
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "stop_notice": stop_notice,
        "answers": tuple({"label": str(number), "url": url} for number, url in enumerate(answer_urls)),
    }


def sample_context(settings: Settings, phase: str, channel: str) -> dict:
    """A made-up client with a booked visit, for `campaigns check` and `campaigns preview`."""
    token = make_unsubscribe_token("sample-key", SAMPLE_CLIENT_ID, channel)
    public_url = settings.web.public_url
    return message_context(
        settings,
        first_name=SAMPLE_FIRST_NAME,
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


def _visit(at: datetime, today: date | None) -> dict:
    """The visit as people say it; `day` is relative to the day the message goes out ("today", "tomorrow")."""
    hour = at.hour % 12 or 12
    ahead = None if today is None else (at.date() - today).days
    return {
        "day": {0: "today", 1: "tomorrow"}.get(ahead, f"on {at:%A}") if ahead is not None else f"on {at:%A}",
        "date": f"{at:%A}, {at:%B} {at.day}",
        "time": f"{hour}:{at:%M} {'AM' if at.hour < 12 else 'PM'}",
    }


def _phase_interval(settings: Settings, phase: str) -> int | None:
    cadence = settings.cadence
    return {
        "establishing": cadence.establishing_days,
        "tapering": cadence.tapering_days,
        "maintaining": cadence.maintaining_days,
    }.get(phase)
