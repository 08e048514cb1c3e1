"""Square Appointments: customers become clients (external_id = Square customer id), bookings become visits.

Signature, as Square documents it: `x-square-hmacsha256-signature` is the base64 HMAC-SHA256, keyed with the
subscription's signature key, of the notification URL followed by the raw body. (The squareup SDK's helper does
the same three lines but brings the whole SDK; hmac.compare_digest is what it uses too.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from outreach.bookings import Event

SOURCE = "square"
SIGNATURE_HEADER = "x-square-hmacsha256-signature"
PATH = "/webhooks/square"
STATUSES = {
    "ACCEPTED": "booked",
    "PENDING": "booked",
    "CANCELLED_BY_CUSTOMER": "cancelled",
    "CANCELLED_BY_SELLER": "cancelled",
    "DECLINED": "cancelled",
    "NO_SHOW": "no_show",
}
CUSTOMER_EVENTS = ("customer.created", "customer.updated")
BOOKING_EVENTS = ("booking.created", "booking.updated")


def signature(key: str, url: str, body: bytes) -> str:
    digest = hmac.new(key.encode("utf-8"), url.encode("utf-8") + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def is_signed(key: str, url: str, body: bytes, given: str) -> bool:
    return bool(key and given) and hmac.compare_digest(signature(key, url, body), given.strip())


def event_from(payload: dict[str, Any]) -> Event:
    """ValueError for a payload that is not shaped like a Square event."""
    event_id, event_type = payload.get("event_id"), payload.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise ValueError("event_id and type are required")
    found = payload.get("data", {}).get("object", {}) if isinstance(payload.get("data"), dict) else {}
    if event_type in CUSTOMER_EVENTS:
        return Event(SOURCE, event_id, event_type, client=_client(_object(found, "customer")))
    if event_type in BOOKING_EVENTS:
        booking = _object(found, "booking")
        status = STATUSES.get(str(booking.get("status", "")))
        if status is None:
            return Event(SOURCE, event_id, event_type, ignored=f"booking status {booking.get('status')!r} not used")
        return Event(SOURCE, event_id, event_type, visit=_visit(booking, status))
    return Event(SOURCE, event_id, event_type, ignored="event type not used")


def _object(found: Any, name: str) -> dict[str, Any]:
    value = found.get(name) if isinstance(found, dict) else None
    if not isinstance(value, dict) or not value.get("id"):
        raise ValueError(f"data.object.{name} with an id is required")
    return value


def _client(customer: dict[str, Any]) -> dict[str, Any]:
    # Square's email_unsubscribed and the like are not consent: consent is never inferred from a booking system.
    return {
        "external_id": customer["id"],
        "first_name": customer.get("given_name") or customer.get("nickname") or "",
        "last_name": customer.get("family_name") or "",
        "email": customer.get("email_address"),
        "phone": customer.get("phone_number"),
    }


def _visit(booking: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "client_external_id": booking.get("customer_id") or "",
        "external_id": booking["id"],
        "starts_at": booking.get("start_at") or "",
        "status": status,
        "version": booking.get("version", 0),
    }
