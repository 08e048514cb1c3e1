"""Whether a client may be sent a message on a channel right now, and if not, why (in plain words)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reachability:
    status: str
    email: str | None
    phone: str | None
    email_consent: bool
    sms_consent: bool
    phone_invalid: bool
    suppressed: frozenset[str]  # channels whose address is on the suppression list


def blocker(client: Reachability, channel: str) -> str | None:
    """The reason this channel is closed for the client, or None when it is open."""
    if client.status != "active":
        return f"Client {client.status}"
    if channel == "email":
        if not client.email:
            return "No email address"
        if not client.email_consent:
            return "No email consent"
        if "email" in client.suppressed:
            return "Email address suppressed (bounce, complaint or unsubscribe)"
        return None
    if not client.phone:
        return "No phone number"
    if client.phone_invalid:
        return "Phone number marked invalid"
    if not client.sms_consent:
        return "No SMS consent"
    if "sms" in client.suppressed:
        return "Number opted out of texts"
    return None


def first_open(client: Reachability, channels: tuple[str, ...]) -> tuple[str | None, str]:
    """The first channel, in order of preference, that is open; else None and every channel's reason."""
    reasons = []
    for channel in channels:
        reason = blocker(client, channel)
        if reason is None:
            return channel, ""
        reasons.append(reason if len(channels) == 1 else f"{channel}: {reason.lower()}")
    return None, "; ".join(reasons)
