"""What the provider-webhook tests share: the frozen clock, the public URL, and the providers' secrets (the
fixtures that use them are in conftest.py)."""

from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import utc

NOW = utc(2026, 3, 2, 15, 0)
PUBLIC_URL = "https://clinic.example"
TWILIO_AUTH_TOKEN = "test-twilio-auth-token"
SENDGRID_SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())
