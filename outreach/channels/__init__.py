"""Channels: one small interface, one class per transport. Only channels/sendgrid.py and
channels/twilio.py import the provider SDKs."""

from outreach.channels.base import ChannelError, Failure, OutgoingMessage, Receipt, Transport

__all__ = ["ChannelError", "Failure", "OutgoingMessage", "Receipt", "Transport"]
