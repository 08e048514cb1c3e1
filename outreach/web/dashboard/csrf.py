"""CSRF protection for the dashboard's forms: a synchroniser token kept in the signed session cookie.

Every form carries the token in a hidden `csrf_token` field; every POST to a dashboard route must send it back.
Provider webhooks and unsubscribe links are not dashboard routes: they prove themselves by signature or token."""

from __future__ import annotations

import secrets

from fastapi import Request

FIELD = "csrf_token"
_KEY = "csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(Exception):
    """A form came back without this session's token: expired, replayed from elsewhere, or forged."""


def csrf_token(request: Request) -> str:
    """This session's token, made on first use."""
    if _KEY not in request.session:
        request.session[_KEY] = secrets.token_urlsafe(32)
    return request.session[_KEY]


def rotate(request: Request) -> None:
    """A new token, so one carried over from before signing in is worthless afterwards."""
    request.session[_KEY] = secrets.token_urlsafe(32)


async def verify_csrf(request: Request) -> None:
    """Router dependency: refuse any unsafe request whose form token does not match the session's."""
    if request.method in _SAFE_METHODS:
        return
    expected = request.session.get(_KEY, "")
    sent = (await request.form()).get(FIELD, "")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfRejected()
