"""The client's own preference page (`/preferences/TOKEN`): what it shows and what it changes. It shows a first
name and masked addresses, nothing about care; every change is audited with source `preferences-page`.

A channel can be turned off here, and turned back on only if this client turned it off through a signed link
(services.unsubscribe.revoked_by_link): a link may have been forwarded, so it never grants consent afresh.
A link expires after `[web] preference_link_days`; an expired one may ask for a fresh link, sent to the address the
old one went to if that is still the client's, never to another.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func
from sqlmodel import Session, col, select

from outreach.channels.base import RenderedWords
from outreach.context import Context
from outreach.db import stored_utc
from outreach.models import AuditEntry, Client, Message, MessageStatus
from outreach.policy.consent import CHOOSABLE_STREAMS
from outreach.rendering import message_context
from outreach.services import streams
from outreach.services.facts import audit, is_suppressed, record_consent, wake
from outreach.services.unsubscribe import revoked_by_link
from outreach.signed_links import (
    InvalidToken,
    PreferenceToken,
    UnsubscribeToken,
    address_hash,
    make_preference_token,
    make_unsubscribe_token,
    one_click_headers,
    preferences_url,
    read_preference_token,
    unsubscribe_url,
)

SOURCE = "preferences-page"
ACTOR = "client"
CHANNELS = ("email", "sms")
PAUSE_WEEKS = (2, 4, 8)
CHECKIN_CHANNELS = ("", "sms", "email")
FRESH_LINK_ACTION = "preferences.link_sent"
FRESH_LINK_EVERY = timedelta(hours=1)
# A link sent before the page existed whose email is no longer in the log: it counts as long expired.
LONG_AGO = datetime(1970, 1, 1, tzinfo=timezone.utc)


class LinkInvalid(Exception):
    """The link was altered or cut short, or names no client on file."""


class LinkNotUsable(Exception):
    """The link is genuine but no longer opens the page: expired, or its address is no longer the client's."""

    def __init__(self, link: Opened) -> None:
        super().__init__("this link no longer opens the preference page")
        self.link = link


@dataclass(frozen=True)
class Opened:
    client: Client
    token: PreferenceToken
    expired: bool
    address_on_file: bool  # the address the link went to is still the client's on that channel
    # Copied from the client, so a page can still greet them (in their language) once the session is gone.
    first_name: str  # "" when we have none
    masked_address: str  # the client's address on the link's channel
    language: str


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    address: str  # masked
    on: bool
    can_turn_on: bool  # off, and off by the client's own link: this page may turn it back on


@dataclass(frozen=True)
class Choices:
    first_name: str  # "" when we have none
    channels: tuple[ChannelChoice, ...]
    streams_off: frozenset[tuple[str, str]]
    paused_until: datetime | None
    checkin_channel: str
    timezone: str
    language: str


@dataclass(frozen=True)
class Chosen:
    """What the page's main form asks for: the channels on, the (stream, channel) pairs on, and the channel for
    check-ins (None: the form did not ask, as for a client with one channel)."""

    channels_on: frozenset[str]
    streams_on: frozenset[tuple[str, str]]
    checkin_channel: str | None = None


def open_link(session: Session, ctx: Context, token: str, now: datetime) -> Opened:
    """What a preference link stands for. Raises LinkInvalid, or LinkNotUsable if it must not open the page."""
    opened = read_link(session, ctx, token, now)
    if opened.expired or not opened.address_on_file:
        raise LinkNotUsable(opened)
    return opened


def read_link(session: Session, ctx: Context, token: str, now: datetime) -> Opened:
    """The link's client and facts, usable or not. Raises LinkInvalid."""
    try:
        signed = read_preference_token(ctx.secret_key, token)
    except InvalidToken as exc:
        raise LinkInvalid(str(exc)) from None
    client = session.get(Client, signed.client_id)
    if client is None or signed.channel not in CHANNELS:
        raise LinkInvalid("this link names no client on file")
    address = address_of(client, signed.channel)
    on_file = bool(address) and address_hash(ctx.secret_key, address) == signed.address_hash
    expired = now - signed.issued_at > timedelta(days=ctx.settings.web.preference_link_days)
    return Opened(
        client, signed, expired, on_file, client.first_name.strip(), masked(signed.channel, address), client.language
    )


def choices(session: Session, client: Client, now: datetime) -> Choices:
    """What the page shows, and the front desk sees on the client's record."""
    channels = tuple(
        ChannelChoice(
            channel,
            masked(channel, address_of(client, channel)),
            _consent(client, channel),
            not _consent(client, channel) and may_turn_on(session, client, channel),
        )
        for channel in CHANNELS
        if address_of(client, channel)
    )
    return Choices(
        first_name=client.first_name.strip(),
        channels=channels,
        streams_off=streams.streams_off(session, [_id(client)]).get(_id(client), frozenset()),
        paused_until=paused_until(client, now),
        checkin_channel=client.checkin_channel,
        timezone=client.timezone,
        language=client.language,
    )


def save(session: Session, client: Client, chosen: Chosen, now: datetime) -> None:
    """Apply the main form: channels, streams on each channel, and the preferred channel for check-ins. A channel
    the page may not turn on stays off."""
    shown = [channel for channel in CHANNELS if address_of(client, channel)]
    for channel in shown:
        wanted = channel in chosen.channels_on
        if wanted != _consent(client, channel) and (not wanted or may_turn_on(session, client, channel)):
            record_consent(session, client, channel, wanted, SOURCE, ACTOR, at=now)
    for stream in CHOOSABLE_STREAMS:
        for channel in shown:
            streams.choose_stream(
                session, client, stream, channel, (stream, channel) in chosen.streams_on, SOURCE, ACTOR, now
            )
    checkin = chosen.checkin_channel
    if checkin is not None and checkin in CHECKIN_CHANNELS and checkin != client.checkin_channel:
        client.checkin_channel = checkin
        detail = f"check-ins by {checkin or 'either channel'} via {SOURCE}"
        audit(session, ACTOR, "client.checkin_channel", client.id, detail, at=now)
        wake(client, now)
        session.add(client)


def pause_for(session: Session, client: Client, weeks: int, now: datetime) -> None:
    if weeks not in PAUSE_WEEKS:
        raise ValueError(f"weeks: choose {', '.join(map(str, PAUSE_WEEKS))}")
    streams.pause(session, client, now + timedelta(weeks=weeks), SOURCE, ACTOR, now)


def resume(session: Session, client: Client, now: datetime) -> None:
    streams.pause(session, client, None, SOURCE, ACTOR, now)


def may_turn_on(session: Session, client: Client, channel: str) -> bool:
    """Whether the page may turn this channel back on: the client turned it off by link, and no suppression
    (a bounce, a complaint, an opt-out a provider reported) stands on the address."""
    address = address_of(client, channel)
    return bool(address) and revoked_by_link(session, client, channel) and not is_suppressed(session, channel, address)


def send_fresh_link(session: Session, ctx: Context, link: Opened, now: datetime) -> str:
    """Queue a fresh link to the address the old one went to. Returns "sent", "too-soon" (one already went within
    the hour), or "unreachable" (that address is no longer the client's, or we may not message it).

    It is queued like a test send (services.test_sends): a row with its words composed and no client, which
    dispatch sends as it stands and skips if the address opted out meanwhile. The audit entry ties it to the
    client and is what the hourly limit counts."""
    client, channel = link.client, link.token.channel
    address = address_of(client, channel)
    if not link.address_on_file or not _consent(client, channel) or is_suppressed(session, channel, address):
        return "unreachable"
    if _recently_sent(session, client, now):
        return "too-soon"
    token = make_preference_token(ctx.secret_key, _id(client), channel, address, now)
    url = preferences_url(ctx.settings.web.public_url, token)
    session.add(
        Message(
            key=f"preferences:{uuid.uuid4().hex}",
            campaign="preferences",
            step="fresh-link",
            cycle="link",
            stream="preferences",
            channel=channel,
            to_address=address,
            status=MessageStatus.planned,
            due_at=now,
            is_test=True,
            rendered=dict(_words(ctx, client, channel, url)),
            created_at=now,
            updated_at=now,
        )
    )
    audit(session, ACTOR, FRESH_LINK_ACTION, client.id, f"by {channel} via {SOURCE}", at=now)
    return "sent"


def legacy_token(session: Session, ctx: Context, link: UnsubscribeToken) -> str | None:
    """A preference token for a link sent before the page existed (`/unsubscribe/TOKEN?preferences=1`): to the
    client's address on the link's channel, issued when that campaign last went to them by that channel (the
    link says no more), so an old link expires as a new one would. None if the client or address is gone."""
    client = session.get(Client, link.client_id)
    address = address_of(client, link.channel) if client is not None else None
    if client is None or not address:
        return None
    sent = select(func.max(Message.sent_at)).where(
        col(Message.client_id) == client.id, col(Message.channel) == link.channel
    )
    if link.campaign:
        sent = sent.where(col(Message.campaign) == link.campaign)
    issued = stored_utc(session.exec(sent).one() or LONG_AGO)
    return make_preference_token(ctx.secret_key, _id(client), link.channel, address, issued)


def paused_until(client: Client, now: datetime) -> datetime | None:
    """The end of the client's pause, if one is running."""
    until = client.paused_until
    return until if until is not None and until > now else None


def masked(channel: str, address: str | None) -> str:
    """Enough of an address to recognise it, not enough to harvest it from a forwarded link."""
    if not address:
        return ""
    if channel == "sms":
        return f"•••• {address[-4:]}"
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def address_of(client: Client, channel: str) -> str:
    """The client's address on `channel`; "" when there is none."""
    return (client.email if channel == "email" else client.phone) or ""


def _id(client: Client) -> int:
    if client.id is None:
        raise ValueError("the client is not saved yet")
    return client.id


def _consent(client: Client, channel: str) -> bool:
    return bool(client.email_consent if channel == "email" else client.sms_consent)


def _recently_sent(session: Session, client: Client, now: datetime) -> bool:
    return (
        session.exec(
            select(AuditEntry.id).where(
                AuditEntry.client_id == client.id,
                AuditEntry.action == FRESH_LINK_ACTION,
                AuditEntry.at > now - FRESH_LINK_EVERY,
            )
        ).first()
        is not None
    )


def _words(ctx: Context, client: Client, channel: str, url: str) -> RenderedWords:
    """The fresh link's message: a first name, the clinic, the link; nothing about care."""
    clinic, days = ctx.settings.clinic, ctx.settings.web.preference_link_days
    first_name = client.first_name.strip() or "there"
    if channel == "sms":
        context = message_context(ctx.settings, first_name=first_name, phase="establishing", interval_days=None)
        text = ctx.renderer.wrap_sms(f"Here is your new link to choose what we send you: {url}", context)
        return {"subject": "", "text": text, "html": "", "headers": {}}
    stop_url = unsubscribe_url(ctx.settings.web.public_url, make_unsubscribe_token(ctx.secret_key, _id(client)))
    greeting = f"Hi {first_name},"
    offer = f"Here is a new link to choose which messages you get from {clinic.name}:"
    note = f"It works for {days} days. If you didn't ask for it, you can ignore this email."
    footer = (clinic.name, clinic.postal_address)
    text = f"{greeting}\n\n{offer}\n{url}\n\n{note}\n\n-- \n" + "\n".join(footer) + f"\nUnsubscribe: {stop_url}\n"
    e = html.escape
    page = (
        f'<p>{e(greeting)}</p><p>{e(offer)}<br><a href="{e(url)}">Choose what we send you</a></p><p>{e(note)}</p>'
        f'<p>{"<br>".join(map(e, footer))}<br><a href="{e(stop_url)}">Unsubscribe</a></p>'
    )
    headers = one_click_headers(stop_url, ctx.settings.email.unsubscribe_mailto)
    subject = f"Your link to choose what {clinic.name} sends you"
    return {"subject": subject, "text": text, "html": page, "headers": headers}
