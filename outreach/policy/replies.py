"""When a reply written by the front desk may go out, and whether it may go at all. Pure: no I/O.

A reply soon after the client's own text is a conversation the client started, so quiet hours do not hold
it back; any other reply is an unprompted text and waits for the window like every other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from outreach.policy.consent import Reachability
from outreach.policy.windows import SendWindow, deferral_reason, next_allowed


def in_conversation(last_inbound_at: datetime | None, now: datetime, minutes: int) -> bool:
    return last_inbound_at is not None and now - last_inbound_at <= timedelta(minutes=minutes)


def reply_deferral(
    last_inbound_at: datetime | None, written_at: datetime, zone: str, now: datetime, quiet: SendWindow, minutes: int
) -> tuple[datetime, str] | None:
    """(when it may go, why) for a reply that must wait; None when it goes now. Whether a reply is part of the
    conversation is settled when it is written; one that still waits `minutes` later (an outage) is not."""
    if in_conversation(last_inbound_at, written_at, minutes) and now - written_at <= timedelta(minutes=minutes):
        return None
    allowed = next_allowed(now, zone, quiet)
    if allowed <= now:
        return None
    return allowed, deferral_reason(f"quiet hours (more than {minutes} minutes after the client's text)", allowed, zone)


def reply_blocker(reach: Reachability) -> str | None:
    """Why no text may be sent to this number, or None. A paused client may still be answered: pausing stops
    automated outreach, not a conversation they started."""
    if not reach.phone:
        return "No phone number"
    if reach.phone_invalid:
        return "Phone number marked invalid"
    if "sms" in reach.suppressed:
        return "This number opted out of texts (they can text START to opt back in)"
    if not reach.sms_consent:
        return "No SMS consent recorded for this client"
    if reach.status == "archived":
        return "Client archived"
    return None
