"""When a message may go out: quiet hours and campaign windows, in the client's own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SendWindow:
    """Local hours [start, end) on the given weekdays."""

    start: time
    end: time
    weekdays: tuple[str, ...] = WEEKDAYS

    def narrowed(self, other: "SendWindow | None") -> "SendWindow":
        """The part of this window that another one also allows."""
        if other is None:
            return self
        days = tuple(d for d in self.weekdays if d in other.weekdays)
        return SendWindow(max(self.start, other.start), min(self.end, other.end), days)

    def is_empty(self) -> bool:
        return self.start >= self.end or not self.weekdays


@lru_cache(maxsize=4096)  # a pass asks the same question (its `now`, a zone, a window) thousands of times
def next_allowed(at: datetime, zone: str, window: SendWindow) -> datetime:
    """The first instant at or after `at` (aware) that falls inside `window` in `zone`, as aware UTC."""
    if window.is_empty():
        raise ValueError("the send window allows no time at all")
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in window.weekdays:
            continue
        opens = datetime.combine(day, window.start, tzinfo=tz)
        closes = datetime.combine(day, window.end, tzinfo=tz)
        if local < closes:
            return max(local, opens).astimezone(timezone.utc)
    raise AssertionError("a non-empty weekly window always opens within 8 days")


def deferral_reason(kind: str, until: datetime, zone: str) -> str:
    local = until.astimezone(ZoneInfo(zone))
    return f"Deferred: {kind} in {zone} until {local:%a %H:%M}"
