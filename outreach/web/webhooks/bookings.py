"""Booking-system webhooks: POST /webhooks/square, and the generic signed POST /webhooks/bookings/NAME.
Verified, translated by the provider's adapter (outreach.bookings), then recorded once by services.bookings.

Answers: 200 once recorded (or a known duplicate, or an event we do not use); 403 for a bad signature;
400 for a body that is not a Square event; 503 for a booking whose customer we have not heard of yet, so that
Square delivers it again later (its customer.created usually comes first)."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request

from outreach.bookings import Event, signed, square
from outreach.context import Context
from outreach.services.bookings import ClientNotYetKnown, record_event
from outreach.web.deps import ContextDep, NowDep, in_transaction, read_body

router = APIRouter()
log = logging.getLogger(__name__)


@router.post(square.PATH)
async def square_webhook(request: Request, ctx: ContextDep, now: NowDep) -> dict[str, str]:
    body = await read_body(request)
    key = ctx.secrets.square_webhook_signature_key
    if not key:
        log.warning("Square webhook refused: SQUARE_WEBHOOK_SIGNATURE_KEY is not set")
    # Square signs the URL it was given: ours from settings, never whatever Host the request claims.
    url = ctx.settings.web.public_url + square.PATH
    if not square.is_signed(key, url, body, request.headers.get(square.SIGNATURE_HEADER, "")):
        raise HTTPException(403, f"bad or missing {square.SIGNATURE_HEADER}")
    try:
        event = square.event_from(_json_object(body))
    except (ValueError, AttributeError) as exc:
        raise HTTPException(400, f"not a Square event: {exc}") from None
    return await _record(ctx, event, now)


@router.post("/webhooks/bookings/{name}")
async def signed_webhook(name: str, request: Request, ctx: ContextDep, now: NowDep) -> dict[str, str]:
    body = await read_body(request)
    secret = signed.secret_for(name, os.environ)
    headers = request.headers
    if not signed.is_signed(
        secret,
        headers.get(signed.TIMESTAMP_HEADER, "").strip(),
        body,
        headers.get(signed.SIGNATURE_HEADER, ""),
        now.timestamp(),
        ctx.settings.bookings.webhook_max_age_seconds,
    ):
        raise HTTPException(403, "bad, stale or missing signature (or no secret set for this source)")
    try:
        event = signed.event_from(name, _json_object(body))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return await _record(ctx, event, now)


def _json_object(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    return payload


async def _record(ctx: Context, event: Event, now: datetime) -> dict[str, str]:
    try:
        outcome = await in_transaction(ctx, lambda session: record_event(session, event, ctx.settings, now))
    except ClientNotYetKnown as exc:
        raise HTTPException(503, f"client {exc} is not known yet; deliver again later") from None
    log.info("%s %s %s: %s", event.source, event.event_type, event.event_id, outcome)
    return {"outcome": outcome}
