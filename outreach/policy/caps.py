"""Frequency caps across all campaigns: how many messages a client may get in a rolling window."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

WEEK, DAY = timedelta(days=7), timedelta(days=1)
CAP_HORIZON = WEEK  # no cap looks further back than this


def free_at(sent: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> datetime | None:
    """None when one more message fits in the rolling window now; else the instant one will."""
    recent = sorted(t for t in sent if now - window < t <= now)
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + window


def cap_delay(all_sent: Sequence[datetime], texts_sent: Sequence[datetime], channel: str, now: datetime,
              messages_per_week: int, texts_per_day: int) -> tuple[datetime, str] | None:
    """When a cap holds a message back: (the instant it frees, the reason); None when it may go now."""
    weekly = free_at(all_sent, messages_per_week, WEEK, now)
    daily = free_at(texts_sent, texts_per_day, DAY, now) if channel == "sms" else None
    if weekly is None and daily is None:
        return None
    if daily is not None and (weekly is None or daily >= weekly):
        return daily, f"Capped: {texts_per_day} text(s) in 24 hours"
    return weekly, f"Capped: {messages_per_week} messages in 7 days"
