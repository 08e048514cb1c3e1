"""Parsers for single CSV values. Each returns the value or raises ValueError with a reason people can act on."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, TypeVar
from zoneinfo import ZoneInfo

from outreach.models import VisitStatus
from outreach.contacts import check_plausible_year

T = TypeVar("T")
Parse = Callable[[str], T]

_EXAMPLE_TIME = "2026-03-02T09:30 or 2026-03-02T09:30-06:00"
# Wider than any real visit or score; outside it a date is a typo, and year 1 or 9999 overflows time arithmetic.


def text(max_length: int, required: bool = False) -> Parse[str]:
    def parse(raw: str) -> str:
        if required and not raw:
            raise ValueError("required, but empty")
        if len(raw) > max_length:
            raise ValueError(f"{len(raw)} characters; at most {max_length} are allowed")
        return raw

    return parse


def optional(parse: Parse[T]) -> Parse[T | None]:
    return lambda raw: parse(raw) if raw else None


def whole_number(low: int, high: int) -> Parse[int]:
    def parse(raw: str) -> int:
        if not raw:
            raise ValueError("required, but empty")
        if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
            raise ValueError(f"expected a whole number from {low} to {high}, got {raw!r}")
        return int(raw)

    return parse


def moment(dates_allowed: bool = False) -> Parse[datetime]:
    """An ISO-8601 date-time, naive (local to the client) or with an offset; a bare date if allowed."""

    def parse(raw: str) -> datetime:
        if not raw:
            raise ValueError("required, but empty")
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"expected an ISO-8601 date and time such as {_EXAMPLE_TIME}, got {raw!r}") from None
        if not dates_allowed and len(raw) <= len("2026-03-02"):
            raise ValueError(f"needs a time of day as well as the date, such as {_EXAMPLE_TIME}")
        check_plausible_year(value)
        return value

    return parse


def in_zone(value: datetime, zone: str) -> datetime:
    """The UTC instant of `value`; a naive value is a wall-clock time in `zone`. A time that happens twice
    (clocks going back) is taken as the first; one that never happens (clocks jumping forward) is refused."""
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    instant = value.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
    if instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None) != value:
        raise ValueError(f"{value:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks jump forward then)")
    return instant


def visit_status(raw: str) -> VisitStatus:
    try:
        return VisitStatus(raw.lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        choices = ", ".join(status.value for status in VisitStatus)
        raise ValueError(f"expected one of {choices}, got {raw!r}") from None
