"""SendGrid's signed event webhook. Verified and read by outreach.channels.sendgrid, recorded by outreach.services.
A request not provably SendGrid's gets 403 and changes nothing (its headers are checked before the body is read);
an unreadable one 400; one over 1 MB 413."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from outreach.channels import sendgrid
from outreach.services.events import record_reports
from outreach.web.deps import ContextDep, NowDep, in_transaction, read_body
from outreach.web.webhooks.refusals import refusals_as_http

router = APIRouter()
log = logging.getLogger(__name__)


@router.post("/webhooks/sendgrid/events", status_code=204)
async def sendgrid_events(request: Request, ctx: ContextDep, now: NowDep) -> Response:
    config = ctx.settings.sendgrid
    with refusals_as_http():
        signature, timestamp = sendgrid.signed_headers(
            request.headers, config.webhook_public_key, now, config.webhook_max_age_seconds
        )
        body = await read_body(request)
        sendgrid.verify(body, signature, timestamp, config.webhook_public_key)
        reports = sendgrid.delivery_reports(body)
    counts = await in_transaction(ctx, lambda session: record_reports(session, reports, now))
    log.info("sendgrid events: %s", dict(counts))
    return Response(status_code=204)
