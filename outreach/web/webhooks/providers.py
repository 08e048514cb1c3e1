"""Provider webhooks: Twilio status callbacks and inbound texts, SendGrid's signed event webhook.

Routers only read, verify and hand over to outreach.services. Any request that is not provably from the
provider gets 403 and changes nothing; an unreadable body 400; one over 1 MB 413.
"""

from __future__ import annotations

import binascii
import json
import logging
import re
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Callable, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from outreach.context import Context
from outreach.db import session_scope
from outreach.models import utcnow
from outreach.services.events import TwilioStatus, record_sendgrid_events, record_twilio_status
from outreach.services.inbound import InboundSms, Reply, handle_inbound_sms
from outreach.web.deps import ContextDep, NowDep, in_transaction, read_body

router = APIRouter()
log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
MAX_SID, MAX_STATUS, MAX_ADDRESS = 64, 32, 254
TWILIO_SIGNATURE = "X-Twilio-Signature"
UNIX_TIME = re.compile(r"[0-9]{1,12}")
T = TypeVar("T")


@router.post("/webhooks/twilio/status", status_code=204)
async def twilio_status(request: Request, ctx: ContextDep, now: NowDep) -> Response:
    params = await _verified_twilio_form(request, ctx)
    sid, status = _sid(params), (params.get("MessageStatus") or params.get("SmsStatus") or "").strip()
    if not status or len(status) > MAX_STATUS or not status.isalpha():
        raise HTTPException(400, "MessageStatus is missing or malformed")
    report = TwilioStatus(
        sid=sid,
        status=status.strip().lower(),
        to=params.get("To", ""),
        error_code=params.get("ErrorCode", ""),
        error_message=params.get("ErrorMessage", ""),
        payload={name: value for name, value in params.items() if name != "Body"},
    )
    await in_transaction(ctx, lambda session: record_twilio_status(session, report, now))
    return Response(status_code=204)


@router.post("/webhooks/twilio/inbound")
async def twilio_inbound(request: Request, ctx: ContextDep, now: NowDep) -> Response:
    params = await _verified_twilio_form(request, ctx)
    sid, sender = _sid(params), params.get("From", "").strip()
    if not sender or len(sender) > MAX_ADDRESS:
        raise HTTPException(400, "From is missing or malformed")
    sms = InboundSms(
        sid=sid, from_number=sender, body=params.get("Body", ""), opt_out_type=params.get("OptOutType", "")
    )
    reply = await in_transaction(ctx, lambda session: handle_inbound_sms(session, ctx, sms, now))
    answer = MessagingResponse()
    text = _render_reply(ctx, reply) if reply else ""
    if text:
        answer.message(text)
    return Response(str(answer), media_type="application/xml")


@router.post("/webhooks/sendgrid/events", status_code=204)
async def sendgrid_events(request: Request, ctx: ContextDep, now: NowDep) -> Response:
    signature, timestamp = _sendgrid_headers(request, ctx, now)
    body = await read_body(request)
    _verify_sendgrid(ctx, body, signature, timestamp)
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPException(400, "body is not JSON") from None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise HTTPException(400, "expected a JSON array of event objects")
    counts = await in_transaction(ctx, lambda session: record_sendgrid_events(session, events, now))
    log.info("sendgrid events: %s", dict(counts))
    return Response(status_code=204)


async def _verified_twilio_form(request: Request, ctx: Context) -> dict[str, str]:
    """The request's fields once Twilio's own validator accepts its signature: a form (fields may repeat; the
    first value is used), or a JSON object whose hash the signed URL carries as bodySHA256."""
    signature = request.headers.get(TWILIO_SIGNATURE)
    if not signature:
        raise HTTPException(403, "missing X-Twilio-Signature")
    body = await read_body(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "body is not UTF-8") from None
    signed_body = "bodySHA256" in request.query_params
    signed = text if signed_body else _form(text)
    # Twilio signs the URL it was given: ours from settings, never whatever Host the request claims.
    url = ctx.settings.web.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    token = ctx.secrets.twilio_auth_token
    if not token:
        log.warning("Twilio webhook refused: TWILIO_AUTH_TOKEN is not set, so no signature can be checked")
    if not token or not RequestValidator(token).validate(url, signed, signature):
        raise HTTPException(403, "bad X-Twilio-Signature")
    fields = _json_fields(text) if signed_body else {name: signed.getlist(name)[0] for name in signed}
    # PostgreSQL text refuses NUL; nothing legitimate carries one.
    return {name: value.replace("\x00", "") for name, value in fields.items()}


def _form(text: str) -> ImmutableMultiDict:
    try:
        return ImmutableMultiDict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    except ValueError:
        raise HTTPException(400, "body is not a form") from None


def _json_fields(text: str) -> dict[str, str]:
    """A signed JSON body's top-level fields, as the form's strings; nested values are left out."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise HTTPException(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "expected a JSON object")
    return {
        str(name): value if isinstance(value, str) else json.dumps(value)
        for name, value in data.items()
        if isinstance(value, (str, int, float, bool))
    }


def _sid(params: dict[str, str]) -> str:
    """Twilio's MessageSid (34 characters today), or 400 for anything that cannot be one."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not sid or len(sid) > MAX_SID or not sid.isalnum():
        raise HTTPException(400, "MessageSid is missing or malformed")
    return sid


def _sendgrid_headers(request: Request, ctx: Context, now: datetime) -> tuple[str, str]:
    """The signature and timestamp headers, checked before the body is read: 403 unless both are usable."""
    config = ctx.settings.sendgrid
    signature = request.headers.get(EventWebhookHeader.SIGNATURE, "")
    timestamp = request.headers.get(EventWebhookHeader.TIMESTAMP, "").strip()
    if not config.webhook_public_key:
        log.warning("SendGrid webhook refused: sendgrid.webhook_public_key is not set")
        raise HTTPException(403, "signed event webhook is not configured")
    # ASCII digits only, and few of them: str.isdigit() takes "²", and int() refuses 5,000 digits.
    if not signature or not UNIX_TIME.fullmatch(timestamp):
        raise HTTPException(403, "missing or malformed signature or timestamp")
    # Both directions: an old timestamp is a replay, one from the future a forgery or a broken clock.
    if abs(now.timestamp() - int(timestamp)) > config.webhook_max_age_seconds:
        raise HTTPException(403, "stale timestamp")
    return signature, timestamp


def _verify_sendgrid(ctx: Context, body: bytes, signature: str, timestamp: str) -> None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "body is not UTF-8") from None
    try:
        valid = _sendgrid_verifier(ctx.settings.sendgrid.webhook_public_key).verify_signature(
            text, signature, timestamp
        )
    except (ValueError, binascii.Error, TypeError):
        valid = False
    if not valid:
        raise HTTPException(403, "bad signature")


@lru_cache(maxsize=4)
def _sendgrid_verifier(public_key: str) -> EventWebhook:
    return EventWebhook(public_key)


def _render_reply(ctx: Context, reply: Reply) -> str:
    from outreach.rendering import message_context

    context = message_context(
        ctx.settings, first_name=reply.first_name, phase=reply.phase, interval_days=reply.interval_days
    )
    try:
        return ctx.renderer.render_reply(reply.template, context)
    except Exception:  # noqa: BLE001  the change is recorded already; a broken template must not undo or 500 it
        log.exception("could not render the %r reply", reply.template)
        return ""
