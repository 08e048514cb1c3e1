"""The channel interface: `send(message) -> Receipt`, raising ChannelError that says what to do next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Failure(StrEnum):
    # The provider refused for good (opted out, invalid address, validation): never retry.
    permanent = "permanent"
    # The provider did not process it (429, connection refused): safe to retry with backoff.
    transient = "transient"
    # It may or may not have gone out (timeout after sending, 5xx on SMS): never resend, flag for review.
    unknown = "unknown"


class ChannelError(Exception):
    def __init__(
        self,
        failure: Failure,
        reason: str,
        code: str = "",
        retry_after: float | None = None,
        opted_out: bool = False,
        invalid_address: bool = False,
    ) -> None:
        super().__init__(reason)
        self.failure = Failure(failure)
        self.reason = reason
        self.code = code
        self.retry_after = retry_after
        # What the failure says about the recipient, for the dispatcher to record.
        self.opted_out = opted_out
        self.invalid_address = invalid_address


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: int
    key: str
    channel: str  # "email" or "sms"
    to: str
    text: str
    subject: str = ""
    html: str = ""
    # Extra email headers (List-Unsubscribe, List-Unsubscribe-Post, ...).
    headers: dict[str, str] = field(default_factory=dict)
    campaign: str = ""
    is_test: bool = False
    # The pass's `now`: the email's Date header (simulated time in a simulation).
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    status: str = "sent"


class Transport:
    """Base class for a channel backend."""

    channel: str = ""
    # Whether the per-second rate limit in [dispatch] applies: it protects providers, not local files.
    paced: bool = True
    # Whether a send waits on a network: such sends overlap in the dispatcher's pool of threads. A local one
    # (a file, nothing) runs in line; in threads it would only wait for the interpreter's lock.
    remote: bool = True

    def send(self, message: OutgoingMessage) -> Receipt:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; called when the dispatcher is done."""
