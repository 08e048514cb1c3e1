"""What is due for one client, from its facts, the campaigns and `now`. Pure: the planner and the simulator
both call it, and the dispatcher asks it again at send time whether a message is still wanted.

Each message has a key (client, campaign, step, cycle): the cycle says which occurrence it is — "1" for the
one-off education lessons, the occurrence number for check-ins, the anchor visit's date for rebook nudges,
the visit for reminders — so planning the same instant twice finds the same keys and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import attrgetter
from datetime import datetime, timedelta
from typing import Any, Iterator

from outreach.campaigns import Campaign, Catalog, Step, Window
from outreach.policy.cadence import LAPSED, CadenceState, Score, VisitFact, assess
from outreach.policy.caps import cap_deferral, counted_sends
from outreach.policy.consent import Reachability, blocker, first_open, held, is_held
from outreach.policy.holdout import HOLDOUT_CYCLE, HOLDOUT_STEP, holdout_reason, is_held_out
from outreach.policy.windows import SendWindow, deferral_reason, next_allowed
from outreach.settings import QuietHours, Settings

IN_FLIGHT = ("planned", "sending")
# Too close to the visit for a reminder to help: no row at all.
REMINDER_CUTOFF = timedelta(hours=2)
# Re-plan a client at least this often even when nothing seems due (facts changing wake it sooner).
MAX_SLEEP = timedelta(days=7)


@dataclass(frozen=True)
class Existing:
    """An outbox row already there for the client."""

    campaign: str
    step: str
    cycle: str
    status: str
    due_at: datetime
    sent_at: datetime | None = None
    channel: str = ""

    @property
    def done_at(self) -> datetime:
        return self.sent_at or self.due_at


@dataclass(frozen=True)
class ClientFacts:
    id: int
    first_name: str
    timezone: str
    reach: Reachability
    visits: tuple[VisitFact, ...] = ()
    scores: tuple[Score, ...] = ()
    messages: tuple[Existing, ...] = ()
    enrolments: dict[str, datetime] = field(default_factory=dict)
    checkin_channel: str = ""  # the client's preferred channel for check-ins, tried first
    language: str = ""  # BCP 47 primary tag; "" for the clinic's default

    def address(self, channel: str) -> str:
        return (self.reach.email if channel == "email" else self.reach.phone) or ""


@dataclass(frozen=True)
class Planned:
    key: str
    client_id: int
    campaign: str
    step: str
    cycle: str
    stream: str
    priority: int
    channel: str
    to_address: str
    due_at: datetime
    status: str = "planned"  # or "skipped"
    reason: str = ""


@dataclass(frozen=True)
class Occasion:
    """A step that would have gone to a held-out client who could be reached, had it not been held out."""

    client_id: int
    campaign: str
    step: str
    cycle: str
    due_at: datetime


@dataclass
class ClientPlan:
    messages: list[Planned]
    enrolments: dict[str, datetime]  # new ones
    wake_at: datetime
    state: CadenceState
    held_out: list[Occasion] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    step: Step
    cycle: str
    due_at: datetime
    skip: str = ""  # why it is logged as skipped instead of sent
    ahead: bool = False  # written as soon as it is known, due later: a visit's reminder


def message_key(client_id: int, campaign: str, step: str, cycle: str) -> str:
    return f"{client_id}:{campaign}:{step}:{cycle}"


def plan_client(
    facts: ClientFacts, catalog: Catalog, settings: Settings, now: datetime, sending: bool = False
) -> ClientPlan:
    """The messages due for the client at `now`, and when it next needs planning. With `sending`, the pass that
    plans them sends what is due at once: each is taken to go out now, so what falls due once it has gone (a
    follow-up) is planned too, and the wake time follows from them; a send need not wake the client again. What
    the caps hold back is planned for when they free, as the send would defer it, and has no follow-up yet."""
    state = assess(facts.visits, facts.scores, now, settings.cadence)
    plan = ClientPlan([], {}, now + MAX_SLEEP, state)
    sent = counted_sends(facts.messages, now) if sending else []
    # In the order a batch sends them (by priority), so the caps let through the same messages it would.
    for campaign in sorted(catalog.enabled, key=attrgetter("rank")):
        if not _in_audience(campaign, facts, state):
            continue
        enrolled_at = facts.enrolments.get(campaign.name) or plan.enrolments.setdefault(campaign.name, now)
        existing = {(m.step, m.cycle): m for m in facts.messages if m.campaign == campaign.name}
        if _unreachable_again(campaign, facts, existing):
            continue
        held_out = is_held_out(facts.id, campaign.name, campaign.stream, campaign.holdout_percent)
        for _ in range(FOLLOW_UPS + 1 if sending else 1):
            going_now = False
            for due in list(_due_steps(campaign, facts, state, enrolled_at, existing, settings, now)):
                if due.due_at > now and not due.ahead:
                    plan.wake_at = min(plan.wake_at, due.due_at)
                elif held_out:
                    _hold_out(plan, campaign, due, facts, existing)
                else:
                    message = _plan_message(campaign, due, facts, settings, now)
                    if sending:
                        message = _held_by_caps(message, due.step, sent, settings, now)
                    plan.messages.append(message)
                    goes = message.status == "planned" and message.due_at <= now and not is_held(message.reason)
                    if goes:
                        sent.append((now, message.channel))
                    existing[(message.step, message.cycle)] = Existing(
                        campaign.name,
                        message.step,
                        message.cycle,
                        "sent" if goes else message.status,
                        message.due_at,
                        now if goes else None,
                        message.channel,
                    )
                    going_now |= goes
            if not going_now:
                break
    return plan


# How many messages of one campaign may fall due one after another within a pass that sends them (a lesson
# and the next one set zero days after it, say); past that, the sends wake the client for the next pass.
FOLLOW_UPS = 3


def _held_by_caps(
    message: Planned, step: Step, sent: list[tuple[datetime, str]], settings: Settings, now: datetime
) -> Planned:
    """A message due now, deferred until the caps free if they hold it back."""
    if message.status != "planned" or message.due_at > now:
        return message
    held = cap_deferral(sent, step, message.channel, now, settings.caps)
    return replace(message, due_at=held[0], reason=held[1]) if held else message


def _hold_out(plan: ClientPlan, campaign: Campaign, due: _Due, facts: ClientFacts, existing: dict) -> None:
    """Instead of the message: the occasion, if the client could have been reached, and the one log row."""
    if first_open(facts.reach, due.step.channels)[0] is not None:
        plan.held_out.append(Occasion(facts.id, campaign.name, due.step.key, due.cycle, due.due_at))
    if (HOLDOUT_STEP, HOLDOUT_CYCLE) not in existing and not any(
        m.campaign == campaign.name and m.step == HOLDOUT_STEP for m in plan.messages
    ):
        plan.messages.append(
            Planned(
                key=message_key(facts.id, campaign.name, HOLDOUT_STEP, HOLDOUT_CYCLE),
                client_id=facts.id,
                campaign=campaign.name,
                step=HOLDOUT_STEP,
                cycle=HOLDOUT_CYCLE,
                stream=campaign.stream,
                priority=campaign.rank,
                channel=due.step.channels[0],
                to_address="",
                due_at=due.due_at,
                status="skipped",
                reason=holdout_reason(campaign.holdout_percent),
            )
        )


def _in_audience(campaign: Campaign, facts: ClientFacts, state: CadenceState) -> bool:
    return facts.reach.status in campaign.audience.statuses and state.phase in campaign.audience.phases


def _unreachable(campaign: Campaign, facts: ClientFacts) -> bool:
    channels = {channel for step in campaign.steps for channel in step.channels}
    return all(blocker(facts.reach, channel, campaign.stream) is not None for channel in channels)


def _unreachable_again(campaign: Campaign, facts: ClientFacts, existing: dict) -> bool:
    """A client this campaign cannot reach on any channel gets one skipped message saying why, not one per
    occurrence; granting consent wakes the client and the campaign picks up again. Visit reminders are the
    exception: each visit's is logged (_reminders), so the log answers "why no reminder for that visit?"."""
    if campaign.stream == "reminder" or not _unreachable(campaign, facts):
        return False
    return any(record.status == "skipped" for record in existing.values())


def _applies(step: Step, phase: str) -> bool:
    return step.phases is None or phase in step.phases


def _due_steps(
    campaign: Campaign,
    facts: ClientFacts,
    state: CadenceState,
    enrolled_at: datetime,
    existing: dict,
    settings: Settings,
    now: datetime,
) -> Iterator[_Due]:
    rules = {"education": _education, "rebook": _rebook, "checkin": _checkin, "reminder": _reminders}
    return rules[campaign.stream](campaign, facts, state, enrolled_at, existing, settings, now)


def _education(campaign, facts, state, enrolled_at, existing, settings, now) -> Iterator[_Due]:
    """Lessons in order, each one cadence interval (or after_days) after the previous one went out."""
    previous: Existing | None = None
    for step in campaign.steps:
        if not _applies(step, state.phase):
            continue
        record = existing.get((step.key, "1"))
        if record is not None:
            if record.status in IN_FLIGHT:
                return
            previous = record
            continue
        if previous is None:
            yield _Due(step, "1", enrolled_at)
        else:
            gap = step.after_days if step.after_days is not None else state.interval_days or 0
            yield _Due(step, "1", previous.done_at + timedelta(days=gap))
        return


def _repeating(
    step: Step, existing: dict, prefix: str, start: datetime, every: timedelta, limit: int | None
) -> Iterator[_Due]:
    """Occurrence k of a repeating step: due `every` after the previous one, never before start + k*every."""
    records = sorted(
        (r for (key, cycle), r in existing.items() if key == step.key and cycle.startswith(prefix)),
        key=lambda r: r.due_at,
    )
    count = len(records)
    if limit is not None and count >= limit:
        return
    if records and records[-1].status in IN_FLIGHT:
        return
    due = start + count * every
    if records:
        due = max(due, records[-1].done_at + every)
    yield _Due(step, f"{prefix}{count + 1}", due)


def _checkin(campaign, facts, state, enrolled_at, existing, settings, now) -> Iterator[_Due]:
    for step in campaign.steps:
        if _applies(step, state.phase) and state.interval_days:
            days = step.repeat_every_days or state.interval_days
            yield from _repeating(step, existing, "", enrolled_at, timedelta(days=days), step.max_repeats)


def _rebook(campaign, facts, state, enrolled_at, existing, settings, now) -> Iterator[_Due]:
    """Nudges once the last visit is one interval old and nothing is booked; lapsed check-ins after that."""
    if state.next_booked is not None:
        return
    anchor = state.last_attended or enrolled_at
    cycle = f"{anchor:%Y%m%dT%H%M}"
    if state.phase == LAPSED:
        start = anchor + timedelta(days=settings.cadence.lapsed_after_days)
        for step in campaign.steps:
            if step.phases is not None and LAPSED in step.phases:
                every = timedelta(days=step.repeat_every_days or settings.streams.lapsed_every_days)
                limit = step.max_repeats or settings.streams.lapsed_max_checkins
                yield from _repeating(step, existing, f"{cycle}-", start, every, limit)
        return
    trigger = anchor + timedelta(days=state.interval_days or 0)
    for step in campaign.steps:
        if not _applies(step, state.phase):
            continue
        record = existing.get((step.key, cycle))
        if record is None:
            yield _Due(step, cycle, trigger + timedelta(days=step.after_days or 0))
            return
        if record.status in IN_FLIGHT:
            return


def _reminders(campaign, facts, state, enrolled_at, existing, settings, now) -> Iterator[_Due]:
    """Each booked visit's reminders, keyed by the visit, written (due later) by the first pass that sees the
    visit: recording one wakes the client for the next pass. So a reminder with no row once its moment has
    passed was booked too late for it: a skipped row says so, rather than a "day before" reminder on the day
    itself. A pass comes every plan_every_seconds, so a visit booked just before the moment may be seen that
    long after it, and still gets its reminder. A client no channel reaches gets one skipped row per visit,
    not one per step."""
    unreachable = _unreachable(campaign, facts)
    too_late = now - timedelta(seconds=settings.worker.plan_every_seconds)
    for visit in facts.visits:
        if visit.status != "booked" or visit.starts_at <= now:
            continue
        cycle = f"visit-{visit.starts_at:%Y%m%dT%H%M}"
        steps = [step for step in campaign.steps if (step.key, cycle) not in existing]
        dues = sorted(
            (
                _Due(step, cycle, reminder_due(visit.starts_at, step, facts.timezone, settings), ahead=True)
                for step in steps
            ),
            key=attrgetter("due_at"),
        )
        if unreachable:
            yield from dues[:1] if len(steps) == len(campaign.steps) else ()
            continue
        for due in dues:
            if due.due_at < too_late:
                yield replace(due, skip=f"Booked too late for the {due.step.key} reminder")
            elif visit.starts_at - REMINDER_CUTOFF > now:
                yield due


def reminder_due(starts_at: datetime, step: Step, zone: str, settings: Settings) -> datetime:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    day = starts_at.astimezone(tz).date() - timedelta(days=step.days_before or 0)
    at = step.at or settings.streams.reminder_time
    return datetime.combine(day, at, tzinfo=tz)


def send_window(campaign: Campaign, channel: str, settings: Settings) -> SendWindow | None:
    """Quiet hours (texts always; email only if configured), narrowed by the campaign's own window."""
    quiet = settings.quiet_hours
    return _send_window(campaign.window, quiet if channel == "sms" or quiet.apply_to_email else None)


@lru_cache(maxsize=256)  # asked per message; the answer depends on two small frozen settings
def _send_window(own: Window | None, quiet: QuietHours | None) -> SendWindow | None:
    window = SendWindow(own.start, own.end, own.weekdays) if own else None
    return SendWindow(quiet.start, quiet.end).narrowed(window) if quiet else window


def window_deferral(
    campaign: Campaign, channel: str, zone: str, at: datetime, settings: Settings
) -> tuple[datetime, str] | None:
    """When `at` is outside the window: (when it opens, why); else None."""
    window = send_window(campaign, channel, settings)
    if window is None:
        return None
    allowed = next_allowed(at, zone, window)
    if allowed <= at:
        return None
    kind = "quiet hours" if channel == "sms" and not campaign.window else "send window"
    return allowed, deferral_reason(kind, allowed, zone)


def _channel_order(step: Step, stream: str, facts: ClientFacts) -> tuple[str, ...]:
    """The step's channels, the client's preferred one for check-ins first."""
    preferred = facts.checkin_channel
    if stream != "checkin" or preferred not in step.channels:
        return step.channels
    return (preferred, *(channel for channel in step.channels if channel != preferred))


def _plan_message(campaign: Campaign, due: _Due, facts: ClientFacts, settings: Settings, now: datetime) -> Planned:
    channel, reason = first_open(facts.reach, _channel_order(due.step, campaign.stream, facts), campaign.stream)
    common: dict[str, Any] = dict(
        key=message_key(facts.id, campaign.name, due.step.key, due.cycle),
        client_id=facts.id,
        campaign=campaign.name,
        step=due.step.key,
        cycle=due.cycle,
        stream=campaign.stream,
        priority=campaign.rank,
    )
    if channel is None or due.skip:
        return Planned(
            **common,
            channel=channel or due.step.channels[0],
            to_address="",
            due_at=due.due_at,
            status="skipped",
            reason=due.skip or reason,
        )
    due_at, why = due.due_at, ""
    holding = held(facts.reach, channel, campaign.stream, max(due_at, now))
    if holding is not None:
        until, why = holding
        due_at = max(due_at, until or due_at)
    deferred = window_deferral(campaign, channel, facts.timezone, due_at, settings)
    if deferred:
        due_at, why = deferred[0], why or deferred[1]
    return Planned(**common, channel=channel, to_address=facts.address(channel), due_at=due_at, reason=why)


def stale_reason(
    campaign: Campaign,
    step: Step,
    cycle: str,
    facts: ClientFacts,
    now: datetime,
    settings: Settings,
    state: CadenceState | None = None,
) -> str | None:
    """Why a planned message is no longer wanted at send time (None: still wanted)."""
    state = state or assess(facts.visits, facts.scores, now, settings.cadence)
    if facts.reach.status not in campaign.audience.statuses:
        return f"Client {facts.reach.status}"
    if state.phase not in campaign.audience.phases or not _applies(step, state.phase):
        return f"No longer relevant: the client is now {state.phase}"
    if campaign.stream == "rebook":
        if state.next_booked is not None:
            return "No longer needed: a visit is booked"
        anchor = state.last_attended
        if anchor is not None and not cycle.startswith(f"{anchor:%Y%m%dT%H%M}"):
            return "No longer needed: the client has visited since"
    if campaign.stream == "reminder":
        booked = {f"visit-{v.starts_at:%Y%m%dT%H%M}" for v in facts.visits if v.status == "booked"}
        if cycle not in booked:
            return "No longer needed: the visit was cancelled or moved"
    return None
