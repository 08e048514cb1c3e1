"""Database tables. Every timestamp is an aware UTC datetime; convert to local time at the edges only."""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ClientStatus(StrEnum):
    active = "active"
    paused = "paused"
    archived = "archived"


class Channel(StrEnum):
    email = "email"
    sms = "sms"


class VisitStatus(StrEnum):
    booked = "booked"
    attended = "attended"
    cancelled = "cancelled"
    no_show = "no_show"


class MessageStatus(StrEnum):
    planned = "planned"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    bounced = "bounced"
    skipped = "skipped"
    unknown = "unknown"


class Role(StrEnum):
    front_desk = "front_desk"
    marketing = "marketing"
    admin = "admin"


class Client(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    external_id: str = Field(unique=True, max_length=64)
    first_name: str = Field(max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: Optional[str] = Field(default=None, max_length=254, index=True)
    phone: Optional[str] = Field(default=None, max_length=20, index=True, description="E.164")
    timezone: str = Field(default="America/Chicago", max_length=64)
    # BCP 47 primary tag ("en", "es"): the language every message, reply and page to the client is written in.
    language: str = Field(default="en", max_length=8, sa_column_kwargs={"server_default": "en"})
    status: str = Field(default=ClientStatus.active, max_length=16)
    # Current consent per channel. Written only by services.facts.record_consent, beside the history.
    email_consent: bool = False
    sms_consent: bool = False
    phone_invalid: bool = False
    # The client's own pause from the preference page: nothing but reminders of booked visits until then.
    paused_until: Optional[datetime] = None
    # The channel the client prefers for check-ins ("" = the campaign's order).
    checkin_channel: str = Field(default="", max_length=8)
    # The earliest instant planning could produce something new for this client; facts changing reset it.
    next_plan_at: datetime = Field(default_factory=utcnow, index=True)
    # A summary of the taper for lists and the attention page, refreshed by each planning pass.
    phase: str = Field(default="establishing", max_length=16, index=True)
    worsening_since: Optional[datetime] = None
    lapsed_since: Optional[datetime] = None
    last_visit_at: Optional[datetime] = None
    next_visit_at: Optional[datetime] = None
    # When the front desk last acknowledged a worsening or lapsed flag; newer flags are on the attention list.
    flags_seen_at: Optional[datetime] = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentEvent(SQLModel, table=True):
    __tablename__ = "consent_event"
    __table_args__ = (Index("ix_consent_event_client_at", "client_id", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    channel: str = Field(max_length=8)
    granted: bool
    at: datetime = Field(default_factory=utcnow)
    source: str = Field(
        max_length=64,
        description="import, dashboard:<user>, sms-keyword, sms-words (an opt-out in "
        "the client's own words), unsubscribe-link, provider",
    )
    note: str = Field(default="", max_length=500)


class StreamChoice(SQLModel, table=True):
    """A client turning one stream on or off on one channel; the latest row per (client, stream, channel) holds.
    Beside consent, never instead of it: a stream turned on never opens a channel without consent."""

    __tablename__ = "stream_choice"
    __table_args__ = (Index("ix_stream_choice_client", "client_id", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    stream: str = Field(max_length=16)
    channel: str = Field(max_length=8)
    enabled: bool
    at: datetime = Field(default_factory=utcnow)
    source: str = Field(max_length=64, description="like ConsentEvent.source, plus preferences-page, sms-scope-reply")
    note: str = Field(default="", max_length=500)


class Visit(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("client_id", "starts_at", name="uq_visit_client_start"),
        Index("uq_visit_client_external", "client_id", "external_id", unique=True),
        Index("ix_visit_updated", "updated_at"),
        # Each pass looks for booking-system visits still booked after they started (services.bookings).
        Index("ix_visit_status_starts", "status", "starts_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    starts_at: datetime
    status: str = Field(default=VisitStatus.booked, max_length=16)
    source: str = Field(default="import", max_length=64)
    # The booking system's id for the visit (API or webhook), and its version there: an older one never wins.
    external_id: Optional[str] = Field(default=None, max_length=100)
    external_version: Optional[int] = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProgressEntry(SQLModel, table=True):
    __tablename__ = "progress_entry"
    __table_args__ = (UniqueConstraint("client_id", "recorded_at", name="uq_progress_client_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    recorded_at: datetime
    pain: int = Field(ge=0, le=10)
    # Optional PEG items (0-10): interference with enjoyment of life and with general activity.
    peg_enjoyment: Optional[int] = Field(default=None, ge=0, le=10)
    peg_activity: Optional[int] = Field(default=None, ge=0, le=10)
    source: str = Field(default="import", max_length=64)


class Enrolment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("client_id", "campaign", name="uq_enrolment_client_campaign"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    campaign: str = Field(max_length=64)
    enrolled_at: datetime = Field(default_factory=utcnow)
    completed_at: Optional[datetime] = None


# The time the delivery log shows and sorts a message by: when it was sent, else when it last changed (planned,
# deferred, failed, skipped). Indexed as written; a CASE would come back from PostgreSQL rewritten.
LOG_TIME_SQL = "coalesce(sent_at, updated_at)"


class Message(SQLModel, table=True):
    """The outbox and delivery log: one row per message, unique on its key."""

    __table_args__ = (
        Index("ix_message_due", "status", "due_at"),
        Index("ix_message_client_sent", "client_id", "sent_at"),
        Index("ix_message_created", "created_at", "id"),
        # The delivery log's filters, newest first (benchmarks/log_page.py: status=failed 226 ms -> 15 ms at 1M rows).
        Index("ix_message_status_created", "status", "created_at"),
        Index("ix_message_campaign_created", "campaign", "created_at"),
        Index("ix_message_client_created", "client_id", "created_at"),
        # The reports' rollup finds what changed since it last looked (outreach.services.rollup).
        Index("ix_message_updated_created", "updated_at", "created_at"),
        # The delivery log in the order of the time it shows, whole and filtered by status or client.
        Index("ix_message_log_time", text(LOG_TIME_SQL), "id"),
        Index("ix_message_status_log_time", "status", text(LOG_TIME_SQL), "id"),
        Index("ix_message_client_log_time", "client_id", text(LOG_TIME_SQL), "id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200, description="client:campaign:step:cycle")
    # Empty only for test sends to an address that is not a client's.
    client_id: Optional[int] = Field(default=None, foreign_key="client.id", index=True)
    campaign: str = Field(max_length=64)
    step: str = Field(max_length=64)
    cycle: str = Field(max_length=64)
    stream: str = Field(max_length=16)
    priority: int = 50
    channel: str = Field(max_length=8)
    to_address: str = Field(default="", max_length=254)
    # The language the message went out in, once rendered ("" before): the client's, or the default's where a
    # translation was missing.
    language: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    status: str = Field(default=MessageStatus.planned, max_length=16)
    due_at: datetime
    reason: str = Field(default="", max_length=500, description="why it was skipped, deferred or failed")
    error_code: str = Field(default="", max_length=32)
    attempts: int = 0
    provider_id: Optional[str] = Field(default=None, max_length=100, index=True)
    claimed_by: Optional[str] = Field(default=None, max_length=100)
    claimed_at: Optional[datetime] = None
    sent_at: Optional[datetime] = None
    is_test: bool = False
    # Written by a person (a reply from the inbox): the exact text to send, and who wrote it.
    body: Optional[str] = Field(default=None, sa_column=Column(Text))
    author: Optional[str] = Field(default=None, max_length=64)
    # Words rendered when the row was queued (a test send from the dashboard: subject, text, html, headers), sent
    # as they are instead of rendering at send time.
    rendered: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))  # channels.base.RenderedWords
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DeliveryEvent(SQLModel, table=True):
    __tablename__ = "delivery_event"
    __table_args__ = (UniqueConstraint("provider", "provider_event_id", name="uq_delivery_event_provider_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: Optional[int] = Field(default=None, foreign_key="message.id", index=True)
    provider: str = Field(max_length=16)
    provider_event_id: str = Field(max_length=200)
    event: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow)
    detail: str = Field(default="", max_length=500)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # What the report implies for its message, and the provider's id for it: a report that came before the message
    # knew that id is attached and applied once it does (services.events.attach_early_reports).
    status: Optional[str] = Field(default=None, max_length=16)
    provider_message_id: Optional[str] = Field(default=None, max_length=100, index=True)


class Suppression(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_suppression_channel_address"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str = Field(max_length=8)
    address: str = Field(max_length=254)
    reason: str = Field(max_length=200)
    source: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


# InboundMessage.handled_as values of a text that opted out (the second also asked which stream to keep).
STOP_HANDLINGS = ("stop", "stop-scope-asked")


class InboundMessage(SQLModel, table=True):
    __tablename__ = "inbound_message"

    id: Optional[int] = Field(default=None, primary_key=True)
    provider_id: str = Field(unique=True, max_length=100)
    client_id: Optional[int] = Field(default=None, foreign_key="client.id", index=True)
    from_address: str = Field(max_length=254, index=True)
    body: str = Field(max_length=2000)
    handled_as: str = Field(
        default="", max_length=32, description="stop, start, help, progress, appointment, possible-opt-out, other"
    )
    received_at: datetime = Field(default_factory=utcnow)
    replied: bool = False
    # The language the text reads as (services.languages), "" when too short or unclear to tell.
    language: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    # The automatic answer's words as sent back (thanks, HELP, STOP...), for the thread; "" when none was sent.
    answer: str = Field(default="", max_length=1600, sa_column_kwargs={"server_default": ""})


class Conversation(SQLModel, table=True):
    """One per phone number that has texted us: the inbox's list, and whether a person still has to act."""

    id: Optional[int] = Field(default=None, primary_key=True)
    phone: str = Field(unique=True, max_length=20)
    # The client at this number; None for an unknown number. Several clients may share it (see the page).
    client_id: Optional[int] = Field(default=None, foreign_key="client.id", index=True)
    # None for a conversation the front desk started: the client has not texted yet.
    last_inbound_at: Optional[datetime] = None
    last_activity_at: datetime = Field(index=True)
    preview: str = Field(default="", max_length=160)
    needs_reply: bool = Field(default=True, index=True)
    # An inbound text that may be a request to stop, waiting for a person to decide.
    possible_opt_out: bool = Field(default=False, index=True)
    # Since when automated texts to this number are held for that decision (None: not held).
    held_since: Optional[datetime] = None
    closed_by: str = Field(default="", max_length=64)


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=16)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # The member's own addresses ("" when not given): a test send may go to them (services/test_sends.py).
    email: str = Field(default="", max_length=254, sa_column_kwargs={"server_default": ""})
    phone: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""}, description="E.164")


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64, description="staff username, 'import', 'worker', 'client' or a provider")
    action: str = Field(max_length=64)
    client_id: Optional[int] = Field(default=None, foreign_key="client.id", index=True)
    detail: str = Field(default="", max_length=1000)


class ApiKey(SQLModel, table=True):
    """A key for the REST API. Only a hash of the secret is kept: it is shown once, when made."""

    __tablename__ = "api_key"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=40)
    token_hash: str = Field(unique=True, max_length=64, description="sha256 hex of the key")
    scopes: str = Field(max_length=200, description="space-separated, e.g. facts:write log:read")
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None


class IdempotentRequest(SQLModel, table=True):
    """The answer to an API request sent with an Idempotency-Key, replayed when the same request comes again."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("api_key_id", "key", name="uq_idempotent_request_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key="api_key.id")
    key: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64, description="sha256 of method, path and body")
    status_code: int
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class WebhookEvent(SQLModel, table=True):
    """A booking-system event already handled, so a redelivery changes nothing."""

    __tablename__ = "webhook_event"
    __table_args__ = (UniqueConstraint("source", "event_id", name="uq_webhook_event_source_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    event_id: str = Field(max_length=200)
    event_type: str = Field(max_length=64)
    outcome: str = Field(default="", max_length=200)
    received_at: datetime = Field(default_factory=utcnow)


class WorkerRun(SQLModel, table=True):
    __tablename__ = "worker_run"
    # Each health check reads the latest start of each kind (services.health.late_passes).
    __table_args__ = (Index("ix_worker_run_kind_started", "kind", "started_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, description="plan or dispatch")
    worker: str = Field(max_length=100)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: Optional[datetime] = None
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))


class SendRate(SQLModel, table=True):
    """A channel's next free send slot, shared by every worker, so the provider's rate holds for all of them."""

    __tablename__ = "send_rate"

    channel: str = Field(primary_key=True, max_length=8)
    next_at: float = Field(default=0.0, description="seconds since the epoch")


class HeldOutOccasion(SQLModel, table=True):
    """When a held-out client would have been sent a campaign's step: the control group's side of the comparison.
    (The delivery log shows one "held out" row per client and campaign; this table keeps every occasion.)"""

    __tablename__ = "held_out_occasion"
    __table_args__ = (
        UniqueConstraint("client_id", "campaign", "step", "cycle", name="uq_held_out_occasion"),
        Index("ix_held_out_occasion_due", "due_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    campaign: str = Field(max_length=64)
    step: str = Field(max_length=64)
    cycle: str = Field(max_length=64)
    due_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class ReportDay(SQLModel, table=True):
    """Counts per clinic-local day, campaign, step and metric: the reports add these up instead of scanning
    the outbox. Rebuilt day by day when something in that day changes (outreach.services.rollup)."""

    __tablename__ = "report_day"
    __table_args__ = (
        UniqueConstraint("day", "campaign", "step", "metric", "detail", name="uq_report_day"),
        # Covers the reports' one read (a period's rows), so it never touches the table itself.
        Index("ix_report_day_covering", "day", "campaign", "step", "metric", "detail", "count"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    day: date
    campaign: str = Field(max_length=64)
    step: str = Field(max_length=64)
    metric: str = Field(max_length=32)
    detail: str = Field(default="", max_length=200)
    count: int = 0


class ReportState(SQLModel, table=True):
    """How far the rollup has read each source (a time or an id), and cached slow figures as JSON."""

    __tablename__ = "report_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)


class TemplateDraft(SQLModel, table=True):
    """Copy being edited in the browser, one per template; the worker never reads drafts."""

    __tablename__ = "template_draft"

    name: str = Field(primary_key=True, max_length=200, description="template name, e.g. education/pain-cycle.sms.j2")
    source: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class TemplateVersion(SQLModel, table=True):
    """Every published copy of a template; the newest per name overrides the file (outreach.services.copy)."""

    __tablename__ = "template_version"
    __table_args__ = (Index("ix_template_version_name_id", "name", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    source: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=64, description="staff username, or 'files' for the shipped copy")
    published_at: datetime = Field(default_factory=utcnow)
    note: str = Field(default="", max_length=200)


class CampaignSetting(SQLModel, table=True):
    """A campaign's enabled state, window and holdout as changed in the dashboard: it overrides the file's."""

    __tablename__ = "campaign_setting"

    campaign: str = Field(primary_key=True, max_length=64)
    enabled: bool = True
    holdout_percent: float = 0
    # {"start": "HH:MM", "end": "HH:MM", "weekdays": [...]}, or None for no window of its own.
    window: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))
    updated_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class ImportMapping(SQLModel, table=True):
    """How the clinic's upload headers map onto our columns, per kind of file: offered again on the next upload."""

    __tablename__ = "import_mapping"

    kind: str = Field(primary_key=True, max_length=16)
    mapping: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    updated_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)
