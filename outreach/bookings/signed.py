"""The generic signed webhook, for booking systems without an adapter of their own (POST /webhooks/bookings/NAME).

The sender signs each delivery with the secret it shares with us for that source (environment variable
OUTREACH_BOOKINGS_SECRET_<NAME>): `X-Outreach-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>` and
`X-Outreach-Timestamp: <unix seconds>`. A timestamp outside the replay window is refused, in either direction.
The body: {"event_id": "...", "type": "client" | "visit", "record": {...}}, records as the REST API takes them
(a visit may carry "version"; an older one never overwrites a newer)."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any, Mapping

from outreach.bookings import Event

SIGNATURE_HEADER = "x-outreach-signature"
TIMESTAMP_HEADER = "x-outreach-timestamp"
SECRET_PREFIX = "OUTREACH_BOOKINGS_SECRET_"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
TYPES = ("client", "visit")


def secret_for(name: str, env: Mapping[str, str]) -> str:
    return env.get(SECRET_PREFIX + name.upper().replace("-", "_"), "") if NAME.match(name) else ""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def is_signed(secret: str, timestamp: str, body: bytes, given: str, now: float, max_age: int) -> bool:
    if not (secret and given and timestamp.isdigit()) or abs(now - int(timestamp)) > max_age:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given.strip())


def event_from(name: str, payload: dict[str, Any]) -> Event:
    event_id, kind, record = payload.get("event_id"), payload.get("type"), payload.get("record")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 200:
        raise ValueError("event_id (a string of up to 200 characters) is required")
    if kind not in TYPES or not isinstance(record, dict):
        raise ValueError(f"type must be one of {', '.join(TYPES)}, with a record object")
    source = f"booking:{name}"
    return Event(source, event_id, kind, **{kind: record})
