"""The channel interface: `send(message) -> Receipt`, raising ChannelError that says what to do next; and what
comes back from a provider, in one shape whichever provider sent it: a DeliveryReport or an InboundText, or a
WebhookRefused for a request that is not provably the provider's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

from outreach.models import MessageStatus


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
    language: str = ""  # of the copy sent (the Content-Language header says it in an email)


class RenderedWords(TypedDict):
    """A message's words as rendered, kept on a queued row (Message.rendered) and sent as they are."""

    subject: str
    text: str
    html: str
    headers: dict[str, str]
    language: NotRequired[str]


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


class WebhookRefused(Exception):
    """A webhook request refused: 403 if it is not provably the provider's, 400 if it cannot be read."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


@dataclass(frozen=True)
class DeliveryReport:
    """What a provider says became of a message, recorded once per `event_id`."""

    provider: str
    channel: str
    event_id: str
    event: str  # the provider's own name for it: "delivered", "undelivered", "bounce", "open", ...
    status: MessageStatus | None = None  # the status it implies for the message, if any
    at: datetime | None = None  # None when the provider does not say: when it arrived
    message_id: int | None = None  # ours, when the provider echoes it back
    provider_message_ids: tuple[str, ...] = ()  # the provider's id for the message, most likely form first
    recipient: str = ""
    detail: str = ""
    error_code: str = ""
    reason: str = ""  # why the message failed, when it did
    opted_out: bool = False  # the recipient opted out or complained: nothing more on this channel
    suppress: bool = False  # the address takes no messages (a hard bounce, a drop)
    address_reason: str = ""  # why, for the opt-out or the suppression
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def provider_message_id(self) -> str:
        return self.provider_message_ids[0] if self.provider_message_ids else ""


@dataclass(frozen=True)
class InboundText:
    sid: str
    from_number: str
    body: str
    opt_out_type: str = ""  # the provider's own opt-out handling decided: STOP, START or HELP
