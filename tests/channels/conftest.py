"""The fake providers, as fixtures for every channel test."""

from tests.fakes.sendgrid import sendgrid_fake  # noqa: F401
from tests.fakes.twilio import twilio_fake  # noqa: F401
