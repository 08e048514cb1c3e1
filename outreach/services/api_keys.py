"""Keys for the REST API. The key itself is shown once; only its SHA-256 is stored (a random 256-bit token needs
no slow hash: there is nothing to guess). Each key has scopes, and can be revoked."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlmodel import Session, select

from outreach.models import ApiKey, utcnow
from outreach.services.facts import audit

SCOPES = {"facts:write": "send clients, visits, progress and consent", "log:read": "read the delivery log"}
PREFIX = "ok_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


class ApiKeyError(ValueError):
    pass


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_for(key: ApiKey) -> str:
    """How the audit log names what a key did."""
    return f"api:{key.name}"


def create_key(session: Session, name: str, scopes: list[str], actor: str, at: datetime | None = None) -> str:
    """A new key; returns the secret, which is not stored and cannot be shown again."""
    if not _NAME.match(name):
        raise ApiKeyError(f"{name!r}: a key name is 1-40 lower-case letters, digits, '.', '_' or '-'")
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise ApiKeyError(f"scopes must be among {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
    if session.exec(select(ApiKey).where(ApiKey.name == name)).first():
        raise ApiKeyError(f"a key named {name!r} already exists (revoked keys keep their names)")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(name=name, token_hash=token_hash(token), scopes=" ".join(sorted(set(scopes))), created_at=at or utcnow())
    )
    audit(session, actor, "api_key.create", detail=f"{name}: {' '.join(scopes)}", at=at)
    return token


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(ApiKey.name)))


def revoke_key(session: Session, name: str, actor: str, at: datetime | None = None) -> None:
    key = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
    if key is None:
        raise ApiKeyError(f"no key named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = at or utcnow()
        session.add(key)
        audit(session, actor, "api_key.revoke", detail=name, at=at)


def find_key(session: Session, token: str) -> ApiKey | None:
    """The key with this secret, revoked or not (the caller says which it is)."""
    return session.exec(select(ApiKey).where(ApiKey.token_hash == token_hash(token))).first()


def has_scope(key: ApiKey, scope: str) -> bool:
    return scope in key.scopes.split()
