"""A channel module's WebhookRefused answered as the HTTP error it names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

from outreach.channels.base import WebhookRefused


@contextmanager
def refusals_as_http() -> Iterator[None]:
    try:
        yield
    except WebhookRefused as refused:
        raise HTTPException(refused.status_code, refused.reason) from None
