"""Frequency caps across all campaigns: how many messages a client may get in a rolling window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from outreach.campaigns import Step
    from outreach.settings import Caps

WEEK, DAY = timedelta(days=7), timedelta(days=1)
CAP_HORIZON = WEEK  # no cap looks further back than this
# What a cap counts: a message that went out, or may have (its outcome unknown), or is going out now.
COUNTED = ("sending", "sent", "delivered", "unknown")


def free_at(sent: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> datetime | None:
    """None when one more message fits in the rolling window now; else the instant one will."""
    recent = sorted(t for t in sent if now - window < t <= now)
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + window


def cap_delay(
    all_sent: Sequence[datetime],
    texts_sent: Sequence[datetime],
    channel: str,
    now: datetime,
    messages_per_week: int,
    texts_per_day: int,
) -> tuple[datetime, str] | None:
    """When a cap holds a message back: (the instant it frees, the reason); None when it may go now."""
    weekly = free_at(all_sent, messages_per_week, WEEK, now)
    daily = free_at(texts_sent, texts_per_day, DAY, now) if channel == "sms" else None
    if daily is not None and (weekly is None or daily >= weekly):
        return daily, f"Capped: {texts_per_day} text(s) in 24 hours"
    if weekly is not None:
        return weekly, f"Capped: {messages_per_week} messages in 7 days"
    return None


def counted_sends(messages: Iterable, now: datetime) -> list[tuple[datetime, str]]:
    """(when, channel) of each of a client's messages the caps count: one of unknown outcome at its due time (it
    may well have gone), one in flight at `now` (however old its due time), the rest when they went."""
    return [
        (now if m.status == "sending" else m.sent_at or m.due_at, m.channel) for m in messages if m.status in COUNTED
    ]


def cap_deferral(
    sent: Sequence[tuple[datetime, str]], step: "Step", channel: str, now: datetime, caps: "Caps"
) -> tuple[datetime, str] | None:
    """When the caps hold back a message of `step` on `channel` at `now`, given what was `sent` (counted_sends
    plus whatever has gone since): (the instant it frees, the reason). A visit reminder may be exempt."""
    if step.transactional and caps.exempt_visit_reminders:
        return None
    return cap_delay(
        [t for t, _ in sent],
        [t for t, c in sent if c == "sms"],
        channel,
        now,
        caps.messages_per_week,
        caps.texts_per_day,
    )
