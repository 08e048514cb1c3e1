"""Signed links a client opens without logging in: unsubscribe links (as CAN-SPAM asks; an email's names its
stream, for RFC 8058 one-click), preference-page links, and the answers to an emailed check-in. The signature is
the proof; each kind has its own salt, so one cannot pass for the other. Unsubscribe links never expire; a
preference link carries when it was issued and which address it went to, so it can expire and be renewed there."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from itsdangerous import BadSignature, Serializer, Signer, URLSafeSerializer
from itsdangerous.encoding import base64_encode

_UNSUBSCRIBE_SALT = "outreach.unsubscribe.v1"
_CHECKIN_SALT = "outreach.checkin.v1"
_PREFERENCES_SALT = "outreach.preferences.v1"
# The answers an emailed check-in offers, each its own link (0 = none, 10 = worst imaginable).
CHECKIN_ANSWERS = tuple(range(11))
# Every route whose path carries a signed token: the token is a credential, so logs show it redacted.
TOKEN_ROUTES = ("/unsubscribe/", "/checkin/", "/preferences/")
_TOKEN_IN_PATH = re.compile("(" + "|".join(re.escape(prefix) for prefix in TOKEN_ROUTES) + r")[^/?#\s\"]+")


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class UnsubscribeToken:
    client_id: int
    channel: str
    campaign: str = ""
    stream: str = ""  # the stream a one-click turns off; empty on links sent before streams (all of the channel)


@dataclass(frozen=True)
class PreferenceToken:
    """A preference-page link: to whom, sent to which address (as a keyed hash, since a token's payload is only
    encoded, not encrypted) and when, for its expiry."""

    client_id: int
    channel: str
    address_hash: str
    issued_at: datetime


@dataclass(frozen=True)
class CheckinToken:
    """One check-in message to one client; the answer itself is the last part of the link's path."""

    client_id: int
    message_id: int


class _KeyOnce(Signer):
    """A signer that derives its key once (itsdangerous derives it again for every signature)."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is not None:
            return super().derive_key(secret_key)
        if not hasattr(self, "_key"):
            self._key = super().derive_key()
        return self._key


class _Serializer(URLSafeSerializer):
    """URLSafeSerializer's tokens, made for every message sent: one signer, and no zlib attempt (it never wins on
    a payload this short, so the tokens are the same; `loads` reads compressed ones all the same)."""

    signer = _KeyOnce

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        if salt is not None and salt != self.salt:
            return super().make_signer(salt)
        if not hasattr(self, "_signer"):
            self._signer = super().make_signer(salt)
        return self._signer

    def dump_payload(self, obj: object) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


@lru_cache(maxsize=8)
def _serializer(secret_key: str, salt: str) -> URLSafeSerializer:
    return _Serializer(secret_key, salt=salt)


def _read(secret_key: str, salt: str, token: str) -> list:
    try:
        payload = _serializer(secret_key, salt).loads(token)
    except BadSignature:
        raise InvalidToken("this link is not valid") from None
    if not isinstance(payload, list):
        raise InvalidToken("this link is not valid")
    return payload


def make_unsubscribe_token(
    secret_key: str, client_id: int, channel: str = "email", campaign: str = "", stream: str = ""
) -> str:
    # Without a stream the payload is the one links already in inboxes carry.
    payload = [client_id, channel, campaign, stream] if stream else [client_id, channel, campaign]
    return _serializer(secret_key, _UNSUBSCRIBE_SALT).dumps(payload)


def read_unsubscribe_token(secret_key: str, token: str) -> UnsubscribeToken:
    # No expiry: CAN-SPAM wants the link to keep working for at least 30 days, and old emails linger.
    try:
        client_id, channel, campaign, *rest = _read(secret_key, _UNSUBSCRIBE_SALT, token)
        if len(rest) > 1:
            raise ValueError("too many parts")
        return UnsubscribeToken(int(client_id), str(channel), str(campaign), str(rest[0]) if rest else "")
    except (ValueError, TypeError):
        raise InvalidToken("this link is not valid") from None


def make_preference_token(secret_key: str, client_id: int, channel: str, address: str, issued_at: datetime) -> str:
    payload = [client_id, channel, address_hash(secret_key, address), int(issued_at.timestamp())]
    return _serializer(secret_key, _PREFERENCES_SALT).dumps(payload)


def read_preference_token(secret_key: str, token: str) -> PreferenceToken:
    """The link's parts, expired or not: an expired link still says where a fresh one may go."""
    try:
        client_id, channel, hashed, issued = _read(secret_key, _PREFERENCES_SALT, token)
        issued_at = datetime.fromtimestamp(int(issued), timezone.utc)
        return PreferenceToken(int(client_id), str(channel), str(hashed), issued_at)
    except (ValueError, TypeError, OverflowError, OSError):
        raise InvalidToken("this link is not valid") from None


def address_hash(secret_key: str, address: str) -> str:
    """A short keyed hash of an address, so a link can name where it went without showing it."""
    keyed = _address_hmac(secret_key).copy()  # the key is set up once, not for every message
    keyed.update(address.strip().lower().encode())
    return base64_encode(keyed.digest()[:12]).decode()


@lru_cache(maxsize=8)
def _address_hmac(secret_key: str) -> hmac.HMAC:
    return hmac.new(secret_key.encode() + b"|address", digestmod=hashlib.sha256)


def make_checkin_token(secret_key: str, client_id: int, message_id: int) -> str:
    return _serializer(secret_key, _CHECKIN_SALT).dumps([client_id, message_id])


def read_checkin_token(secret_key: str, token: str) -> CheckinToken:
    # No expiry in the token: the link stops working when the check-in's reply window closes (services.checkins).
    try:
        client_id, message_id = _read(secret_key, _CHECKIN_SALT, token)
        return CheckinToken(int(client_id), int(message_id))
    except (ValueError, TypeError):
        raise InvalidToken("this link is not valid") from None


def redact_tokens(text: str) -> str:
    """`text` with every token in a token route's path replaced by `[token]`."""
    return _TOKEN_IN_PATH.sub(r"\1[token]", text)


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url}{TOKEN_ROUTES[0]}{token}"


def one_click_headers(one_click_url: str, mailto: str = "") -> dict[str, str]:
    """RFC 8058 one-click unsubscribe (plus a mailto where configured) for an email whose link is `one_click_url`."""
    targets = [f"<{one_click_url}>"] + ([f"<mailto:{mailto}?subject=unsubscribe>"] if mailto else [])
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def preferences_url(public_url: str, token: str) -> str:
    return f"{public_url}{TOKEN_ROUTES[2]}{token}"


def checkin_answer_urls(public_url: str, token: str) -> tuple[str, ...]:
    """One link per answer, 0 to 10, in order."""
    return tuple(f"{public_url}/checkin/{token}/{answer}" for answer in CHECKIN_ANSWERS)
