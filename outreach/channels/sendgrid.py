"""Email through SendGrid's v3 Mail Send, with every failure classified once, here.

Permanent: 400, 401, 403, 413 and any other 4xx (the same request would be refused again).
Transient: 429 (wait for X-RateLimit-Reset), 503, or the request never fully reached SendGrid.
Unknown: other 5xx, or no answer after the request went out. SendGrid documents 202 as the only "accepted"
and a bare "500 Internal server error" without saying whether the mail was queued, and Mail Send has no
idempotency key; so a 500/502/504 may have gone out and is never resent. 503 is different: by HTTP's own
definition (RFC 9110, 15.6.4) the server did not handle the request. An "unknown" email still carries our
message id in custom_args, so if it did go out the event webhook settles it (services.events).
"""

from __future__ import annotations

import http.client
import time
import urllib.error

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, CustomArg, From, Header, Mail, ReplyTo, To

from outreach.channels.base import ChannelError, Failure, OutgoingMessage, Receipt, Transport
from outreach.settings import Secrets, Settings, SettingsError

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
