"""Signed, per-client tokens for unsubscribe and preference links (no login needed, as CAN-SPAM asks)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "outreach.unsubscribe.v1"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class UnsubscribeToken:
    client_id: int
    channel: str
    campaign: str = ""


@lru_cache(maxsize=4)
def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def make_unsubscribe_token(secret_key: str, client_id: int, channel: str = "email", campaign: str = "") -> str:
    return _serializer(secret_key).dumps([client_id, channel, campaign])


def read_unsubscribe_token(secret_key: str, token: str) -> UnsubscribeToken:
    # No expiry: CAN-SPAM wants the link to keep working for at least 30 days, and old emails linger.
    try:
        client_id, channel, campaign = _serializer(secret_key).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise InvalidToken("this link is not valid") from None
    return UnsubscribeToken(int(client_id), str(channel), str(campaign))


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url}/unsubscribe/{token}"


def preferences_url(public_url: str, token: str) -> str:
    return f"{public_url}/unsubscribe/{token}?preferences=1"
