"""Email through SendGrid's v3 Mail Send, with every failure classified once, here.

Permanent: 400, 401, 403, 413 and any other 4xx (the same request would be refused again).
Transient: 429 (wait for X-RateLimit-Reset), 503, or the request never fully reached SendGrid.
Unknown: other 5xx, or no answer after the request went out. SendGrid documents 202 as the only "accepted"
and a bare "500 Internal server error" without saying whether the mail was queued, and Mail Send has no
idempotency key; so a 500/502/504 may have gone out and is never resent. 503 is different: by HTTP's own
definition (RFC 9110, 15.6.4) the server did not handle the request. An "unknown" email still carries our
message id in custom_args, so if it did go out the event webhook settles it (services.events).

Inbound: the signed event webhook (ECDSA over timestamp + raw body, checked by SendGrid's own helper) becomes
DeliveryReports.
"""

from __future__ import annotations

import binascii
import http.client
import json
import logging
import re
import time
import urllib.error
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader
from sendgrid.helpers.mail import Category, CustomArg, From, Header, Mail, ReplyTo, To

from outreach.channels.base import (
    ChannelError,
    DeliveryReport,
    Failure,
    OutgoingMessage,
    Receipt,
    Transport,
    WebhookRefused,
)
from outreach.models import MessageStatus
from outreach.settings import Secrets, Settings, SettingsError

log = logging.getLogger(__name__)

# Seconds for the connection and for each read (urllib has one socket timeout for both).
DEFAULT_TIMEOUT = 20.0
MESSAGE_ID_ARG = "outreach_message_id"
RETRY_LATER = {429, 503}
UNKNOWN_OUTCOME_FROM = 500


class SendgridEmail(Transport):
    channel = "email"

    def __init__(self, settings: Settings, secrets: Secrets, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not secrets.sendgrid_api_key:
            raise SettingsError(
                'settings: [email] backend = "sendgrid" needs the SENDGRID_API_KEY environment variable'
            )
        host = settings.sendgrid.base_url.rstrip("/") or "https://api.sendgrid.com"
        # The SDK opens a new connection per request and shares no mutable state between calls:
        # one client serves every dispatcher thread.
        self._client = SendGridAPIClient(secrets.sendgrid_api_key, host=host)
        self._email = settings.email
        self._timeout = timeout

    def build(self, message: OutgoingMessage) -> Mail:
        mail = Mail(
            from_email=From(self._email.from_address, self._email.from_name or None),
            to_emails=To(message.to),
            subject=message.subject,
            plain_text_content=message.text,
            html_content=message.html or None,
        )
        if self._email.reply_to:
            mail.reply_to = ReplyTo(self._email.reply_to)
        mail.custom_arg = CustomArg(MESSAGE_ID_ARG, str(message.message_id))
        if message.campaign:
            mail.category = Category(message.campaign)
        if message.headers:
            mail.header = [Header(name, value) for name, value in message.headers.items()]
        return mail

    def send(self, message: OutgoingMessage) -> Receipt:
        body = self.build(message).get()
        try:
            response = self._client.client.mail.send.post(request_body=body, timeout=self._timeout)
        except HTTPError as exc:
            raise _api_error(exc) from None
        except urllib.error.URLError as exc:
            # urllib raises URLError only while connecting or writing the request: SendGrid never had it.
            raise ChannelError(Failure.transient, f"could not reach SendGrid: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ChannelError(Failure.unknown, f"no answer from SendGrid: {type(exc).__name__}") from None
        return Receipt(provider_id=response.headers.get("X-Message-Id") or "")


def _api_error(exc: HTTPError) -> ChannelError:
    status = int(exc.status_code)
    reason = f"SendGrid {status}: {_first_error(exc)}"[:500]
    if status in RETRY_LATER:
        return ChannelError(Failure.transient, reason, str(status), retry_after=_rate_limit_wait(exc.headers))
    if status >= UNKNOWN_OUTCOME_FROM:
        return ChannelError(Failure.unknown, reason, str(status))
    return ChannelError(Failure.permanent, reason, str(status))


def _rate_limit_wait(headers, now: float | None = None) -> float | None:  # noqa: ANN001
    """Seconds until X-RateLimit-Reset (an epoch second), or a Retry-After in seconds."""
    headers = headers or {}
    reset, retry_after = headers.get("X-RateLimit-Reset"), headers.get("Retry-After")
    if reset and str(reset).strip().isdigit():
        return max(0.0, int(reset) - (time.time() if now is None else now))
    if retry_after and str(retry_after).strip().isdigit():
        return float(retry_after)
    return None


def _first_error(exc: HTTPError) -> str:
    try:
        return "; ".join(error.get("message", "") for error in exc.to_dict.get("errors", []))
    except (ValueError, AttributeError, TypeError):
        return str(exc.reason)


# --- inbound: the signed event webhook ----------------------------------------------------------------------

UNIX_TIME = re.compile(r"[0-9]{1,12}")
MAX_ID_DIGITS = 18  # more than a database id can hold: not one of ours
S = MessageStatus
STATUSES = {"processed": S.sent, "delivered": S.delivered, "dropped": S.failed}
OPT_OUTS = ("spamreport", "unsubscribe", "group_unsubscribe")


def signed_headers(headers: Mapping[str, str], public_key: str, now: datetime, max_age: int) -> tuple[str, str]:
    """The signature and timestamp headers, checked before the body is read: WebhookRefused(403) unless both
    are usable and the timestamp is within `max_age` seconds of `now`."""
    signature = headers.get(EventWebhookHeader.SIGNATURE, "")
    timestamp = headers.get(EventWebhookHeader.TIMESTAMP, "").strip()
    if not public_key:
        log.warning("SendGrid webhook refused: sendgrid.webhook_public_key is not set")
        raise WebhookRefused(403, "signed event webhook is not configured")
    # ASCII digits only, and few of them: str.isdigit() takes "²", and int() refuses 5,000 digits.
    if not signature or not UNIX_TIME.fullmatch(timestamp):
        raise WebhookRefused(403, "missing or malformed signature or timestamp")
    # Both directions: an old timestamp is a replay, one from the future a forgery or a broken clock.
    if abs(now.timestamp() - int(timestamp)) > max_age:
        raise WebhookRefused(403, "stale timestamp")
    return signature, timestamp


def verify(body: bytes, signature: str, timestamp: str, public_key: str) -> None:
    """WebhookRefused(403) unless `public_key` verifies the signature over timestamp + body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRefused(400, "body is not UTF-8") from None
    try:
        valid = _verifier(public_key).verify_signature(text, signature, timestamp)
    except (ValueError, binascii.Error, TypeError):
        valid = False
    if not valid:
        raise WebhookRefused(403, "bad signature")


@lru_cache(maxsize=4)
def _verifier(public_key: str) -> EventWebhook:
    return EventWebhook(public_key)


def delivery_reports(body: bytes) -> list[DeliveryReport]:
    """A verified batch as reports, one per event; WebhookRefused(400) for a body that is not a batch."""
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRefused(400, "body is not JSON") from None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise WebhookRefused(400, "expected a JSON array of event objects")
    return [delivery_report(event) for event in events]


def delivery_report(event: dict[str, Any]) -> DeliveryReport:
    kind = _text(event.get("event"))
    detail = " ".join(_text(event.get(key)) for key in ("type", "reason", "response") if event.get(key))
    reason = f"{kind}: {detail}" if detail else kind
    bounced = kind == "bounce" and event.get("type", "bounce") == "bounce"
    status = (S.bounced if bounced else S.failed) if kind == "bounce" else STATUSES.get(kind)
    return DeliveryReport(
        provider="sendgrid",
        channel="email",
        event_id=_text(event.get("sg_event_id")),
        event=kind,
        status=status,
        at=_event_time(event),
        message_id=_our_id(event),
        provider_message_ids=_x_message_ids(_text(event.get("sg_message_id"))),
        recipient=_text(event.get("email")),
        detail=detail,
        reason=reason,
        opted_out=kind in OPT_OUTS,
        suppress=bounced or kind == "dropped",
        address_reason=reason,
        payload=_without_nul(event),
    )


def _our_id(event: dict[str, Any]) -> int | None:
    """Our message id, from the custom_args every email carries."""
    our_id = _text(event.get(MESSAGE_ID_ARG))
    return int(our_id) if our_id.isascii() and our_id.isdigit() and len(our_id) <= MAX_ID_DIGITS else None


def _x_message_ids(sg_message_id: str) -> tuple[str, ...]:
    """The X-Message-Id that sg_message_id ("<X-Message-Id>.filter...") starts with. X-Message-Ids have no dots
    today, but cut at ".filter" first in case."""
    candidates = (sg_message_id.split(".filter", 1)[0], sg_message_id.split(".", 1)[0])
    return tuple(dict.fromkeys(candidate for candidate in candidates if candidate))


def _event_time(event: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(event["timestamp"]), tz=timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


def _text(value: Any) -> str:
    """A field as text fit for a database column: PostgreSQL refuses NUL characters."""
    return "" if value is None else str(value).replace("\x00", "")


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value
