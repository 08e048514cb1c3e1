"""Texts through Twilio Programmable Messaging, with every failure classified once, here.

Permanent: the number opted out (21610), is not a valid or mobile number (21211, 21614), or any other 4xx.
Transient: 429 / 20429, or the connection was never made. Unknown: a 5xx or a lost reply after the request went
out; Twilio has no idempotency key for messages, so sending again could text the client twice.
"""

from __future__ import annotations

import email.utils
import time

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from outreach.channels.base import ChannelError, Failure, OutgoingMessage, Receipt, Transport
from outreach.settings import Secrets, Settings, SettingsError

# Seconds to connect, and to wait for Twilio's answer once the request is sent.
DEFAULT_TIMEOUT = (5.0, 20.0)
OPTED_OUT = {21610}
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
