"""Transports and messages for the channel tests: the provider ones pointed at a local fake."""

from __future__ import annotations

from typing import Any

import pytest

from outreach.channels.base import ChannelError, OutgoingMessage, Transport
from outreach.channels.sendgrid import SendgridEmail
from outreach.channels.twilio import TwilioSms
from outreach.settings import Secrets, Settings
from tests.fakes import sendgrid, twilio

PUBLIC_URL = "https://clinic.example"
UNSUBSCRIBE = "<https://clinic.example/unsubscribe/TOKEN>, <mailto:unsubscribe@example.com?subject=unsubscribe>"


def twilio_sms(base_url: str, timeout: Any = (1.0, 2.0), **twilio_settings: str) -> TwilioSms:
    config = {
        "account_sid": twilio.ACCOUNT_SID,
        "messaging_service_sid": twilio.MESSAGING_SERVICE_SID,
        "base_url": base_url,
        **twilio_settings,
    }
    settings = Settings(sms={"backend": "twilio"}, twilio=config, web={"public_url": PUBLIC_URL})
    return TwilioSms(settings, Secrets(twilio_auth_token=twilio.AUTH_TOKEN), timeout=timeout)


def sendgrid_email(base_url: str, timeout: Any = 2.0, **email_settings: str) -> SendgridEmail:
    settings = Settings(
        email={
            "backend": "sendgrid",
            "from_address": "hello@clinic.example",
            "from_name": "Northside Massage Therapy",
            "reply_to": "frontdesk@clinic.example",
            **email_settings,
        },
        sendgrid={"base_url": base_url},
        web={"public_url": PUBLIC_URL},
    )
    return SendgridEmail(settings, Secrets(sendgrid_api_key=sendgrid.API_KEY), timeout=timeout)


def text(message_id: int = 1, to: str = "+16125550101") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=message_id,
        key=f"1:rebook:nudge:{message_id}",
        channel="sms",
        to=to,
        text="Hi Ana, it's been a week since your massage. Book: https://example.com/book",
    )


def email(message_id: int = 41, to: str = "ana@example.org", campaign: str = "rebook") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=message_id,
        key=f"1:{campaign}:nudge:1",
        channel="email",
        to=to,
        subject="Time for your next massage?",
        text="Hi Ana,\n\nBook: https://example.com/book",
        html="<p>Hi Ana,</p><p><a href='https://example.com/book'>Book</a></p>",
        campaign=campaign,
        headers={"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def failure_of(transport: Transport, message: OutgoingMessage) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        transport.send(message)
    return caught.value
