"""Putting a message together: what a template may print for a client (client_context), the message a channel
sends for an outbox row (outgoing), its email headers, and the .eml a preview shows. Sends, test sends and
previews all compose here, so a preview is byte for byte what goes out; a test send's words are composed when it
is queued (sample_words) and sent as they were (queued_outgoing)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from outreach.campaigns import Campaign, Step
from outreach.channels.base import OutgoingMessage, RenderedWords
from outreach.context import Context
from outreach.models import Message
from outreach.policy.cadence import CadenceState, assess
from outreach.policy.consent import CHOOSABLE_STREAMS
from outreach.policy.schedule import ClientFacts
from outreach.rendering import message_context, sample_context
from outreach.signed_links import (
    checkin_answer_urls,
    make_checkin_token,
    make_preference_token,
    make_unsubscribe_token,
    one_click_headers,
    preferences_url,
    unsubscribe_url,
)

if TYPE_CHECKING:
    from outreach.rendering import Rendered, Renderer

PREVIEW_ADDRESS = "client@example.com"


def outgoing(ctx: Context, row: Message, rendered: "Rendered", context: dict, now: datetime) -> OutgoingMessage:
    """The message a channel sends for `row`: the one place sends, test sends and previews are put together."""
    return queued_outgoing(row, words_of(ctx, row.channel, rendered, context), now)


def queued_outgoing(row: Message, words: RenderedWords, now: datetime) -> OutgoingMessage:
    """The message a channel sends for `row` with `words` composed already (see words_of)."""
    return OutgoingMessage(
        message_id=row.id or 0,
        key=row.key,
        channel=row.channel,
        to=row.to_address,
        text=words["text"],
        subject=words["subject"],
        html=words["html"],
        campaign=row.campaign,
        is_test=row.is_test,
        sent_at=now,
        headers=words["headers"],
        language=words.get("language", ""),
    )


def words_of(ctx: Context, channel: str, rendered: "Rendered", context: dict) -> RenderedWords:
    """What a message says, as plain data a queued row keeps (Message.rendered): subject, text, HTML, headers."""
    mailto = ctx.settings.email.unsubscribe_mailto
    headers = one_click_headers(context["unsubscribe_url"], mailto) if channel == "email" else {}
    if channel == "email" and rendered.language:
        headers["Content-Language"] = rendered.language
    words: RenderedWords = {
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "headers": headers,
    }
    if rendered.language:
        words["language"] = rendered.language
    return words


def sample_words(
    ctx: Context,
    campaign: Campaign,
    step: Step,
    channel: str,
    phase: str,
    renderer: "Renderer | None" = None,
    language: str = "",
) -> RenderedWords:
    """A step rendered for the sample client as a preview shows it, for a test send to queue: by the live copy's
    renderer, or by `renderer` (the editor's, with the drafts), in `language` (the default's if not given)."""
    context = sample_context(ctx.settings, phase, channel, language)
    rendered = (renderer or ctx.renderer).render(campaign, step, channel, context)
    return words_of(ctx, channel, rendered, context)


def preview_email(
    ctx: Context, campaign: Campaign, step: Step, rendered: "Rendered", context: dict, now: datetime
) -> bytes:
    """The .eml the embedded outbox would write for this rendering, byte for byte."""
    from outreach.channels.outbox import OutboxEmail

    row = Message(
        id=0,
        key=f"preview:{campaign.name}:{step.key}",
        campaign=campaign.name,
        step=step.key,
        cycle="preview",
        stream=campaign.stream,
        channel="email",
        to_address=PREVIEW_ADDRESS,
        due_at=now,
    )
    return OutboxEmail.from_settings(ctx.settings).as_bytes(outgoing(ctx, row, rendered, context, now))


def client_context(
    ctx: Context,
    client: ClientFacts,
    campaign: str,
    channel: str,
    cycle: str,
    now: datetime,
    texts_so_far: int,
    state: CadenceState | None = None,
    message_id: int = 0,
) -> dict:
    """What a template may print for this client at `now`: name, phase, the visit a reminder is about, signed
    links (a check-in email's answers name its message: a preview's, message 0, lead nowhere), and whether this
    text carries the STOP notice (the first text, then as settings say)."""
    state = state or assess(client.visits, client.scores, now, ctx.settings.cadence)
    token = make_unsubscribe_token(
        ctx.secret_key, client.id, channel, campaign, _one_click_stream(ctx, campaign, channel)
    )
    public, every = ctx.settings.web.public_url, ctx.settings.sms.stop_notice_every
    zone = ZoneInfo(client.timezone)
    return message_context(
        ctx.settings,
        first_name=client.first_name,
        phase=state.phase,
        interval_days=state.interval_days,
        visit_at_local=_visit_for(cycle, client, zone),
        unsubscribe_url=unsubscribe_url(public, token),
        preferences_url=_preferences_url(ctx, client, channel, now),
        stop_notice=texts_so_far == 0 or bool(every and texts_so_far % every == 0),
        today=now.astimezone(zone).date(),
        answer_urls=_answer_urls(ctx, client, campaign, channel, message_id),
        language=client.language,
    )


def _preferences_url(ctx: Context, client: ClientFacts, channel: str, now: datetime) -> str:
    """A link to the preference page for an email's footer, naming the address it goes to and when. Texts print
    none, so none is signed for them (signing costs about as much as rendering a text)."""
    if channel != "email":
        return ""
    token = make_preference_token(ctx.secret_key, client.id, channel, client.address(channel), now)
    return preferences_url(ctx.settings.web.public_url, token)


def _one_click_stream(ctx: Context, campaign: str, channel: str) -> str:
    """The stream an email's unsubscribe link turns off (RFC 8058 one-click); "" for all email, as a message of no
    stream a client can choose (a reply, a test) keeps."""
    stream = ctx.catalog.get(campaign).stream if channel == "email" else ""
    return stream if stream in CHOOSABLE_STREAMS else ""


def _answer_urls(ctx: Context, client: ClientFacts, campaign: str, channel: str, message_id: int) -> tuple[str, ...]:
    if channel != "email" or ctx.catalog.get(campaign).stream != "checkin":
        return ()  # signing costs a little, and only a check-in email prints them
    return checkin_answer_urls(ctx.settings.web.public_url, make_checkin_token(ctx.secret_key, client.id, message_id))


def _visit_for(cycle: str, client: ClientFacts, zone: ZoneInfo) -> datetime | None:
    """The visit a reminder's cycle names; for a preview, the next booked one."""
    booked = sorted(v.starts_at for v in client.visits if v.status == "booked")
    for starts_at in booked:
        if cycle in (f"visit-{starts_at:%Y%m%dT%H%M}", "preview"):
            return starts_at.astimezone(zone)
    return None
