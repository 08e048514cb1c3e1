"""`Idempotency-Key`: a retried write gets the first answer again instead of being applied twice."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from outreach.models import ApiKey, IdempotentRequest
from outreach.web.api.problems import ApiProblem

MAX_KEY = 200


def fingerprint(method: str, path: str, body: Any) -> str:
    text = json.dumps([method, path, body], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def earlier_answer(
    session: Session, key: ApiKey, idempotency_key: str, print_: str, now: datetime, keep_hours: int
) -> IdempotentRequest | None:
    """The stored answer for this key, if any; a different request under the same key is refused."""
    if not idempotency_key or len(idempotency_key) > MAX_KEY:
        raise ApiProblem(400, "bad-idempotency-key", "Idempotency-Key must be 1-200 characters")
    session.exec(delete(IdempotentRequest).where(IdempotentRequest.created_at < now - timedelta(hours=keep_hours)))
    stored = session.exec(
        select(IdempotentRequest).where(
            IdempotentRequest.api_key_id == key.id, IdempotentRequest.key == idempotency_key
        )
    ).first()
    if stored is not None and stored.fingerprint != print_:
        raise ApiProblem(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was used for a different request",
            "use a new key for a new request",
        )
    return stored


def remember(
    session: Session, key: ApiKey, idempotency_key: str, print_: str, status: int, body: dict, now: datetime
) -> None:
    session.add(
        IdempotentRequest(
            api_key_id=key.id, key=idempotency_key, fingerprint=print_, status_code=status, body=body, created_at=now
        )
    )
