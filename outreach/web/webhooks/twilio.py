"""Twilio's webhooks: status callbacks and inbound texts. Verified and read by outreach.channels.twilio, recorded by
outreach.services. A request not provably Twilio's gets 403 and changes nothing; an unreadable one 400; one over
1 MB 413."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from outreach.channels import twilio
from outreach.context import Context
from outreach.services.conversations import note_answer
from outreach.services.events import record_reports
from outreach.services.inbound import Reply, handle_inbound_sms
from outreach.web.deps import ContextDep, NowDep, in_transaction, read_body
from outreach.web.webhooks.refusals import refusals_as_http

router = APIRouter()
log = logging.getLogger(__name__)


@router.post("/webhooks/twilio/status", status_code=204)
async def twilio_status(request: Request, ctx: ContextDep, now: NowDep) -> Response:
    with refusals_as_http():
        report = twilio.delivery_report(await _verified_fields(request, ctx))
    await in_transaction(ctx, lambda session: record_reports(session, [report], now))
    return Response(status_code=204)


@router.post("/webhooks/twilio/inbound")
async def twilio_inbound(request: Request, ctx: ContextDep, now: NowDep) -> Response:
    with refusals_as_http():
        text = twilio.inbound_text(await _verified_fields(request, ctx))

    def answer(session: Session) -> str:
        reply = handle_inbound_sms(session, ctx, text, now)
        words = _render_reply(ctx, reply) if reply else ""
        note_answer(session, text.sid, words)  # the thread shows what went back
        return words

    words = await in_transaction(ctx, answer)
    return Response(twilio.twiml_reply(words), media_type="application/xml")


async def _verified_fields(request: Request, ctx: Context) -> dict[str, str]:
    signature = twilio.signature_of(request.headers)
    body = await read_body(request)
    # Twilio signs the URL it was given: ours from settings, never whatever Host the request claims.
    url = ctx.settings.web.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return twilio.verified_fields(url, body, signature, ctx.secrets.twilio_auth_token)


def _render_reply(ctx: Context, reply: Reply) -> str:
    from outreach.rendering import message_context

    context = (
        message_context(
            ctx.settings,
            first_name=reply.first_name,
            phase=reply.phase,
            interval_days=reply.interval_days,
            language=reply.language,
        )
        | reply.context()
    )
    try:
        return ctx.renderer.render_reply(reply.template, context)
    except Exception:  # noqa: BLE001  the change is recorded already; a broken template must not undo or 500 it
        log.exception("could not render the %r reply", reply.template)
        return ""
