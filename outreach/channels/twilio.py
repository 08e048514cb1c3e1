"""Texts through Twilio Programmable Messaging, with every failure classified once, here.

Permanent: the number opted out (21610), is not a valid or mobile number (21211, 21614), or any other 4xx.
Transient: 429 / 20429, or the connection was never made. Unknown: a 5xx or a lost reply after the request went
out; Twilio has no idempotency key for messages, so sending again could text the client twice.

Inbound: status callbacks and texts, each signed with X-Twilio-Signature and checked by Twilio's own validator,
become DeliveryReports and InboundTexts; the answer to a text is TwiML.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from outreach.channels.base import (
    ChannelError,
    DeliveryReport,
    Failure,
    InboundText,
    OutgoingMessage,
    Receipt,
    Transport,
    WebhookRefused,
)
from outreach.models import MessageStatus
from outreach.settings import Secrets, Settings, SettingsError

log = logging.getLogger(__name__)

# Seconds to connect, and to wait for Twilio's answer once the request is sent.
DEFAULT_TIMEOUT = (5.0, 20.0)
OPTED_OUT = {21610}  # the number replied STOP: Twilio refuses to text it
INVALID_NUMBER = {21211, 21614}
RATE_LIMITED = 20429


class TwilioSms(Transport):
    channel = "sms"

    def __init__(
        self, settings: Settings, secrets: Secrets, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    ) -> None:
        config = settings.twilio
        _require(config.account_sid, "twilio.account_sid (or OUTREACH_TWILIO__ACCOUNT_SID)")
        _require(secrets.twilio_auth_token, "the TWILIO_AUTH_TOKEN environment variable")
        _require(
            config.messaging_service_sid or config.from_number, "twilio.messaging_service_sid or twilio.from_number"
        )
        self._http = _HttpClient(timeout=timeout, pool_size=settings.dispatch.concurrency)
        self._client = Client(config.account_sid, secrets.twilio_auth_token, http_client=self._http)
        if config.base_url:
            self._client.api.base_url = config.base_url.rstrip("/")
        if config.messaging_service_sid:
            self._sender = {"messaging_service_sid": config.messaging_service_sid}
        else:
            self._sender = {"from_": config.from_number}
        self._status_callback = f"{settings.web.public_url}/webhooks/twilio/status"

    def send(self, message: OutgoingMessage) -> Receipt:
        try:
            created = self._client.messages.create(
                to=message.to, body=message.text, status_callback=self._status_callback, **self._sender
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _api_error(exc) from None
        except requests.RequestException as exc:
            raise _transport_error(exc) from None
        return Receipt(provider_id=created.sid)

    def close(self) -> None:
        self._http.session.close()


class _HttpClient(TwilioHttpClient):
    """Twilio's client with a connection pool sized for the dispatcher's threads, and 429 read properly:
    the SDK's exception drops the response headers, so Retry-After is read here."""

    def __init__(self, timeout: float | tuple[float, float], pool_size: int) -> None:
        super().__init__()
        # Set after the base class, whose check only knows a single number; requests takes (connect, read).
        self.timeout = timeout
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN201
        response = super().request(method, url, *args, **kwargs)
        if response.status_code == 429:
            raise ChannelError(
                Failure.transient,
                "Twilio rate limit (429)",
                code=str(RATE_LIMITED),
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        return response


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _api_error(exc: TwilioRestException | TwilioServiceException) -> ChannelError:
    code = int(exc.code or 0)
    reason = f"Twilio {exc.status}/{code}: {getattr(exc, 'msg', '') or getattr(exc, 'title', '')}"[:500]
    if code in OPTED_OUT:
        return ChannelError(Failure.permanent, reason, str(code), opted_out=True)
    if code in INVALID_NUMBER:
        return ChannelError(Failure.permanent, reason, str(code), invalid_address=True)
    if exc.status == 429 or code == RATE_LIMITED:
        return ChannelError(Failure.transient, reason, str(code))
    if exc.status >= 500:
        return ChannelError(Failure.unknown, reason, str(code))
    return ChannelError(Failure.permanent, reason, str(code))


def _transport_error(exc: requests.RequestException) -> ChannelError:
    if _never_connected(exc):
        return ChannelError(Failure.transient, f"could not reach Twilio: {type(exc).__name__}")
    # The request may have reached Twilio (a read timeout, a reset mid-reply): it may have gone out.
    return ChannelError(Failure.unknown, f"no answer from Twilio: {type(exc).__name__}")


def _never_connected(exc: BaseException) -> bool:
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)):
            return True
        pending += [*current.args, current.__cause__, current.__context__, getattr(current, "reason", None)]
    return False


def _require(value: str, what: str) -> None:
    if not value:
        raise SettingsError(f'settings: [sms] backend = "twilio" needs {what}')


# --- inbound: status callbacks and texts ---------------------------------------------------------------------

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_SID, MAX_STATUS, MAX_ADDRESS = 64, 32, 254
S = MessageStatus
STATUSES = {
    "accepted": S.sending,
    "scheduled": S.sending,
    "queued": S.sending,
    "sending": S.sending,
    "sent": S.sent,
    "delivered": S.delivered,
    "read": S.delivered,
    "undelivered": S.failed,
    "failed": S.failed,
    "canceled": S.failed,
}


def signature_of(headers: Mapping[str, str]) -> str:
    """The request's X-Twilio-Signature, checked for before the body is read."""
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        raise WebhookRefused(403, f"missing {SIGNATURE_HEADER}")
    return signature


def verified_fields(url: str, body: bytes, signature: str, token: str) -> dict[str, str]:
    """The request's fields once Twilio's own validator accepts its signature over `url` (the URL Twilio was given,
    with its query): a form (fields may repeat; the first value is used), or a JSON object whose hash the URL
    carries as bodySHA256."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRefused(400, "body is not UTF-8") from None
    signed_body = "bodySHA256" in parse_qs(urlsplit(url).query, keep_blank_values=True)
    form = None if signed_body else _form(text)
    if not token:
        log.warning("Twilio webhook refused: TWILIO_AUTH_TOKEN is not set, so no signature can be checked")
    if not token or not RequestValidator(token).validate(url, text if form is None else form, signature):
        raise WebhookRefused(403, f"bad {SIGNATURE_HEADER}")
    fields = _json_fields(text) if form is None else {name: values[0] for name, values in form.items()}
    # PostgreSQL text refuses NUL; nothing legitimate carries one.
    return {name: value.replace("\x00", "") for name, value in fields.items()}


def delivery_report(fields: Mapping[str, str]) -> DeliveryReport:
    """A status callback's fields as a report; WebhookRefused(400) for one that is not a status."""
    sid, status = _sid(fields), (fields.get("MessageStatus") or fields.get("SmsStatus") or "").strip()
    if not status or len(status) > MAX_STATUS or not status.isalpha():
        raise WebhookRefused(400, "MessageStatus is missing or malformed")
    status = status.lower()
    error_code = fields.get("ErrorCode", "")
    detail = f"{error_code} {fields.get('ErrorMessage', '')}".strip()
    opted_out = error_code in {str(code) for code in OPTED_OUT}
    return DeliveryReport(
        provider="twilio",
        channel="sms",
        event_id=f"{sid}:{status}",
        event=status,
        status=STATUSES.get(status),
        provider_message_ids=(sid,),
        recipient=fields.get("To", ""),
        detail=detail,
        error_code=error_code,
        reason=f"Twilio {status}: {detail}",
        opted_out=opted_out,
        address_reason=f"Twilio says opted out ({error_code})" if opted_out else "",
        payload={name: value for name, value in fields.items() if name != "Body"},
    )


def inbound_text(fields: Mapping[str, str]) -> InboundText:
    """An inbound text's fields; WebhookRefused(400) for one that is not a text."""
    sid, sender = _sid(fields), fields.get("From", "").strip()
    if not sender or len(sender) > MAX_ADDRESS:
        raise WebhookRefused(400, "From is missing or malformed")
    return InboundText(
        sid=sid, from_number=sender, body=fields.get("Body", ""), opt_out_type=fields.get("OptOutType", "")
    )


def twiml_reply(text: str) -> str:
    """The TwiML answer to an inbound text: `text` as the reply, or nothing to send when it is empty."""
    answer = MessagingResponse()
    if text:
        answer.message(text)
    return str(answer)


class _Form(dict[str, list[str]]):
    """A form's fields as Twilio's validator reads them: every value of a repeated field is signed."""

    def getlist(self, name: str) -> list[str]:
        return self[name]


def _form(text: str) -> _Form:
    try:
        return _Form(parse_qs(text, keep_blank_values=True, strict_parsing=bool(text)))
    except ValueError:
        raise WebhookRefused(400, "body is not a form") from None


def _json_fields(text: str) -> dict[str, str]:
    """A signed JSON body's top-level fields, as the form's strings; nested values are left out."""
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        raise WebhookRefused(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRefused(400, "expected a JSON object")
    return {
        str(name): value if isinstance(value, str) else json.dumps(value)
        for name, value in data.items()
        if isinstance(value, (str, int, float, bool))
    }


def _sid(fields: Mapping[str, str]) -> str:
    """Twilio's MessageSid (34 characters today), or WebhookRefused(400) for anything that cannot be one."""
    sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
    if not sid or len(sid) > MAX_SID or not sid.isalnum():
        raise WebhookRefused(400, "MessageSid is missing or malformed")
    return sid
