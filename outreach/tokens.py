"""Signed, per-client tokens for unsubscribe and preference links (no login needed, as CAN-SPAM asks)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "outreach.unsubscribe.v1"
# Every route whose path carries a signed token: the token is a credential, so logs show it redacted.
TOKEN_ROUTES = ("/unsubscribe/",)
_TOKEN_IN_PATH = re.compile("(" + "|".join(re.escape(prefix) for prefix in TOKEN_ROUTES) + r")[^/?#\s\"]+")


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


def redact_tokens(text: str) -> str:
    """`text` with every token in a token route's path replaced by `[token]`."""
    return _TOKEN_IN_PATH.sub(r"\1[token]", text)


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url}{TOKEN_ROUTES[0]}{token}"


def preferences_url(public_url: str, token: str) -> str:
    return f"{public_url}/unsubscribe/{token}?preferences=1"
