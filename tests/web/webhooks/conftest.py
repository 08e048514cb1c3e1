"""What every provider-webhook test shares: the app on a frozen clock, behind a proxy, with the providers' secrets
set; and a snapshot of everything a webhook could change, to show that a refused request changed nothing."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import Session, func, select

from outreach.models import Client, ConsentEvent, DeliveryEvent, InboundMessage, Message, ProgressEntry, Suppression
from outreach.settings import Secrets
from tests.conftest import make_settings
from tests.helpers import web_client
from tests.web.webhooks import NOW, PUBLIC_URL, SENDGRID_SIGNING_KEY, TWILIO_AUTH_TOKEN


def public_key_of(private_key: ec.EllipticCurvePrivateKey) -> str:
    """As SendGrid's settings page shows it: base64 of the DER SubjectPublicKeyInfo."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(
        database_url,
        tmp_path,
        web={"public_url": PUBLIC_URL},
        sendgrid={"webhook_public_key": public_key_of(SENDGRID_SIGNING_KEY), "webhook_max_age_seconds": 300},
    )


@pytest.fixture
def http(ctx):
    ctx.secrets = Secrets(twilio_auth_token=TWILIO_AUTH_TOKEN)
    # The app is reached at an internal address, as behind a proxy: signatures are over the public URL.
    with web_client(ctx, NOW, base_url="http://10.0.0.5:8000") as client:
        yield client


@pytest.fixture
def snapshot(ctx):
    """Everything a webhook could change, as a function to call before and after."""

    def take() -> dict:
        with Session(ctx.engine) as session:
            return {
                "events": session.exec(select(func.count()).select_from(DeliveryEvent)).one(),
                "inbound": session.exec(select(func.count()).select_from(InboundMessage)).one(),
                "consent": session.exec(select(func.count()).select_from(ConsentEvent)).one(),
                "suppressions": session.exec(select(func.count()).select_from(Suppression)).one(),
                "progress": session.exec(select(func.count()).select_from(ProgressEntry)).one(),
                "messages": sorted(session.exec(select(Message.id, Message.status)).all()),
                "clients": sorted(session.exec(select(Client.id, Client.sms_consent, Client.email_consent)).all()),
            }

    return take
