"""Pick each channel's transport from settings: the embedded outbox unless a provider is configured."""

from __future__ import annotations

from outreach.channels.base import Transport
from outreach.channels.outbox import NullTransport, OutboxEmail, OutboxSms
from outreach.context import Context


def email_transport(ctx: Context) -> Transport:
    settings = ctx.settings
    backend = settings.email.backend
    if backend == "sendgrid":
        from outreach.channels.sendgrid import SendgridEmail

        return SendgridEmail(settings, ctx.secrets)
    if backend == "null":
        return NullTransport("email")
    return OutboxEmail.from_settings(settings)


def sms_transport(ctx: Context) -> Transport:
    settings = ctx.settings
    backend = settings.sms.backend
    if backend == "twilio":
        from outreach.channels.twilio import TwilioSms

        return TwilioSms(settings, ctx.secrets)
    if backend == "null":
        return NullTransport("sms")
    return OutboxSms(settings.outbox.directory, settings.twilio.from_number or settings.clinic.phone)


def transports(ctx: Context) -> dict[str, Transport]:
    return {"email": email_transport(ctx), "sms": sms_transport(ctx)}
