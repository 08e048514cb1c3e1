"""Simulated clients living through weeks of outreach: the real planner and dispatcher on a simulated clock.

Used by `outreach demo` (eight sample clients, one of them Spanish-speaking; the embedded outbox channel) and
`outreach simulate` (one persona, in any served language; nothing sent). A persona books a visit a couple of days
after a rebook nudge reaches it, attends it, and the front desk records its pain score at each visit, so the taper
shows up as it would at the clinic. A persona that answers by email instead taps its answer in each check-in email
it receives (the link in the rendered email), and no score is logged at its visits: its taper moves on those
answers alone.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from outreach.channels.base import OutgoingMessage, Receipt, Transport
from outreach.context import Context
from outreach.models import Client, Message, Visit
from outreach.policy.cadence import assess
from outreach.services import facts as fact_services
from outreach.services.checkins import CheckinLinkExpired, answer_checkin_link
from outreach.services.clients import load_facts

SCORES = {
    "improving": (8, 7, 6, 5, 5, 4, 4, 3, 3, 3, 3, 2, 3, 2, 2, 2),
    "steady": (6, 6, 5, 6, 6, 6, 5, 6, 6, 6, 6, 5, 6, 6, 6, 6),
    "worsening": (7, 5, 4, 4, 4, 6, 7, 7, 6, 7, 7, 7, 6, 7, 7, 7),
    "lapsing": (7, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5),
}
# Simulated clients decide about booking once a day, at noon in Chicago.
BOOKING_HOUR_UTC = 18
ANSWER_LINK = re.compile(r"/checkin/([^/\s<>\"]+)/(\d+)")


@dataclass(frozen=True)
class Habit:
    """How likely a client is, on any one day with nothing booked, to book: after a nudge, and without one."""

    after_nudge: float = 0.25
    on_own: float = 0.05


# Simulated days start at 06:00 UTC: before the clinic opens anywhere in the Americas.
DAY_STARTS_UTC = 6


@dataclass(frozen=True)
class Persona:
    external_id: str
    first_name: str
    last_name: str
    kind: str  # one of SCORES' keys: how scores move
    timezone: str = "America/Chicago"
    email_consent: bool = True
    sms_consent: bool = True
    stops_booking_after_week: int | None = None
    scores: tuple[int, ...] = ()
    # Answers each check-in email by tapping a number, instead of having a score logged at each visit.
    answers_by_email: bool = False
    habit: Habit | None = None  # None: books two days after a nudge, or ten days after the last visit
    language: str = ""  # "": the clinic's default language

    @property
    def name(self) -> str:
        """What `outreach simulate --persona` and the demo's table call it: "NightOwl" is night-owl."""
        return re.sub(r"(?<!^)(?=[A-Z])", "-", self.last_name).lower()

    def score_for(self, visit_number: int) -> int:
        series = self.scores or SCORES[self.kind]
        return series[min(visit_number, len(series) - 1)]


DEMO_CLIENTS = (
    Persona("demo-ann", "Ann", "Improving", "improving"),
    Persona("demo-ben", "Ben", "Steady", "steady"),
    Persona("demo-cara", "Cara", "Worsening", "worsening"),
    Persona("demo-dev", "Dev", "Lapsing", "lapsing", stops_booking_after_week=5),
    Persona("demo-eve", "Eve", "NoConsent", "steady", email_consent=False, sms_consent=False),
    Persona("demo-finn", "Finn", "NightOwl", "improving", timezone="Pacific/Honolulu", email_consent=False),
    Persona("demo-gia", "Gia", "EmailOnly", "improving", sms_consent=False, answers_by_email=True),
    # Ann's story in Spanish, with a name outside GSM-7: every text of hers is measured in UCS-2 segments.
    Persona("demo-lucia", "Lucía", "Spanish", "improving", language="es"),
)
# The demo's clients by the name `outreach simulate --persona` knows them by: improving, ..., no-consent, night-owl.
PERSONAS = {p.name: p for p in DEMO_CLIENTS}


@dataclass
class Timeline:
    """What happened to one simulated client, week by week."""

    persona: Persona
    client_id: int
    messages: list[Message] = field(default_factory=list)
    visits: list[datetime] = field(default_factory=list)
    scores: list[tuple[datetime, int]] = field(default_factory=list)
    phases: dict[int, str] = field(default_factory=dict)  # week -> phase at the week's end
    worsening: dict[int, bool] = field(default_factory=dict)
    answered: set[int] = field(default_factory=set)  # check-in emails answered (message ids)
    words: dict[int, str] = field(default_factory=dict)  # message id -> the email's subject or the text, as sent

    def sent(self) -> list[Message]:
        return [m for m in self.messages if m.status in ("sent", "delivered")]

    def per_week(self, start: datetime, weeks: int) -> list[int]:
        counts = [0] * weeks
        for message in self.sent():
            week = (message.sent_at - start).days // 7
            if 0 <= week < weeks:
                counts[week] += 1
        return counts


class Recorder(Transport):
    """A transport as the simulated clients see it: it sends as before, and keeps what each message said: the
    subject of an email or a text's words (the timeline shows them), and an email's text, so a client can tap a
    link in it."""

    def __init__(self, inner: Transport, words: dict[int, str], emails: dict[int, str]) -> None:
        self.inner, self.words, self.emails = inner, words, emails
        self.channel, self.paced, self.remote = inner.channel, inner.paced, inner.remote

    def send(self, message: OutgoingMessage) -> Receipt:
        receipt = self.inner.send(message)
        self.words[message.message_id] = message.subject if message.channel == "email" else message.text
        if message.channel == "email":
            self.emails[message.message_id] = message.text
        return receipt

    def close(self) -> None:
        self.inner.close()


@dataclass
class Simulation:
    start: datetime
    weeks: int
    timelines: list[Timeline]


def first_monday(on_or_after: date) -> date:
    return on_or_after + timedelta(days=(7 - on_or_after.weekday()) % 7)


def ending_now(now: datetime, weeks: int) -> datetime:
    """The start of `weeks` that end at the last 06:00 UTC before `now`: a past the dashboard can show as past."""
    last = now.astimezone(timezone.utc).replace(hour=DAY_STARTS_UTC, minute=0, second=0, microsecond=0)
    if last > now:
        last -= timedelta(days=1)
    return last - timedelta(weeks=weeks)


def run(
    ctx: Context,
    personas: tuple[Persona, ...],
    start: datetime,
    weeks: int,
    transports,  # noqa: ANN001
    progress=None,
) -> Simulation:  # noqa: ANN001
    """Create the personas as clients and live through `weeks` from `start` (aware UTC).

    The clock jumps from one event to the next (a message or plan coming due, a visit, the daily booking
    decision) instead of ticking every minute: the same passes run, only fewer idle ones."""
    from outreach.sending.worker import tick

    ids = _create_clients(ctx, personas, start)
    timelines = [Timeline(p, ids[p.external_id]) for p in personas]
    words: dict[int, str] = {}
    emails: dict[int, str] = {}
    transports = {channel: Recorder(transport, words, emails) for channel, transport in transports.items()}
    end, now, week = start + timedelta(weeks=weeks), start, 0
    while now < end:
        _live(ctx, timelines, now, start)
        _answer_checkins(ctx, timelines, emails, now)
        tick(ctx, now, transports, record=False)
        following = min(_next_event(ctx, list(ids.values()), now), end)
        while week < weeks and start + timedelta(weeks=week + 1) <= following:
            _note_phases(ctx, timelines, start + timedelta(weeks=week + 1) - timedelta(seconds=1), week)
            week += 1
        if progress is not None:
            progress(following)
        now = following
    _collect(ctx, timelines, words)
    return Simulation(start, weeks, timelines)


def _next_event(ctx: Context, client_ids: list[int], now: datetime) -> datetime:
    booking = now.replace(hour=BOOKING_HOUR_UTC, minute=0, second=0, microsecond=0)
    candidates = [booking if booking > now else booking + timedelta(days=1)]
    with Session(ctx.engine) as session:
        for column, where in (
            (Message.due_at, (Message.status == "planned",)),
            (Client.next_plan_at, (Client.id.in_(client_ids),)),
            (Visit.starts_at, (Visit.status == "booked", Visit.client_id.in_(client_ids))),
        ):
            found = session.scalar(select(func.min(column)).where(column > now, *where))
            if found is not None:
                candidates.append(found)
    return min(candidates)


def _create_clients(ctx: Context, personas: tuple[Persona, ...], start: datetime) -> dict[str, int]:
    ids = {}
    with Session(ctx.engine, expire_on_commit=False) as session:
        for i, p in enumerate(personas):
            client = Client(
                external_id=p.external_id,
                first_name=p.first_name,
                last_name=p.last_name,
                email=f"{_ascii(p.first_name.lower())}@example.com",
                phone=f"+1612555{100 + i:04d}",
                timezone=p.timezone,
                language=p.language or ctx.settings.clinic.default_language,
                next_plan_at=start,
                created_at=start,
                updated_at=start,
            )
            session.add(client)
            session.flush()
            for channel, granted in (("email", p.email_consent), ("sms", p.sms_consent)):
                if granted:
                    fact_services.record_consent(session, client, channel, True, "demo", "demo", at=start)
            first_visit = _local(start.date(), time(10), p.timezone)
            session.add(Visit(client_id=client.id, starts_at=first_visit, status="booked", source="demo"))
            client.next_plan_at = start
            ids[p.external_id] = client.id
        session.commit()
    return ids


def _ascii(name: str) -> str:
    """A name's letters without their accents ("lucía" -> "lucia"): an address any mail server takes."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if c.isascii())


def _local(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def _live(ctx: Context, timelines: list[Timeline], now: datetime, start: datetime) -> None:
    """The clients' side: attend booked visits (the front desk logs a score); once a day, book after a nudge."""
    by_id = {t.client_id: t for t in timelines}
    with Session(ctx.engine, expire_on_commit=False) as session:
        due = session.scalars(
            select(Visit).where(Visit.client_id.in_(list(by_id)), Visit.status == "booked", Visit.starts_at <= now)
        ).all()
        for visit in due:
            client = session.get(Client, visit.client_id)
            fact_services.record_visit(session, client, visit.starts_at, "attended", "demo", "demo")
            persona = by_id[client.id].persona
            if persona.answers_by_email:
                continue
            attended = session.scalars(
                select(Visit.id).where(Visit.client_id == client.id, Visit.status == "attended")
            ).all()
            fact_services.record_progress(
                session, client, visit.starts_at, persona.score_for(len(attended) - 1), "demo", source="demo"
            )
        if now.hour == BOOKING_HOUR_UTC:
            for timeline in timelines:
                _maybe_book(session, timeline.persona, session.get(Client, timeline.client_id), now, start)
        session.commit()


def _answer_checkins(ctx: Context, timelines: list[Timeline], emails: dict[int, str], now: datetime) -> None:
    """Clients who answer by email tap the number for their next score in each check-in email that reached them."""
    for timeline in timelines:
        if not timeline.persona.answers_by_email:
            continue
        with Session(ctx.engine) as session:
            sent = session.scalars(
                select(Message.id)
                .where(
                    Message.client_id == timeline.client_id,
                    Message.stream == "checkin",
                    Message.channel == "email",
                    Message.sent_at <= now,
                )
                .order_by(Message.sent_at)
            ).all()
        for message_id in sent:
            if message_id in timeline.answered or message_id not in emails:
                continue
            timeline.answered.add(message_id)
            _tap(ctx, emails[message_id], timeline.persona.score_for(len(timeline.answered) - 1), now)


def _tap(ctx: Context, email_text: str, answer: int, now: datetime) -> None:
    """Follow the email's link for `answer` and confirm it, as the page's button does."""
    token = next(token for token, number in ANSWER_LINK.findall(email_text) if number == str(answer))
    try:
        with Session(ctx.engine, expire_on_commit=False) as session:
            answer_checkin_link(session, ctx, token, str(answer), now)
            session.commit()
    except CheckinLinkExpired:
        pass  # read too late: the answer is lost, as it would be at the clinic


def _maybe_book(session: Session, persona: Persona, client: Client, now: datetime, start: datetime) -> None:
    visits = list(session.scalars(select(Visit).where(Visit.client_id == client.id)))
    if _wants_to_book(session, persona, client, visits, now, start):
        day = (now.astimezone(ZoneInfo(persona.timezone)) + timedelta(days=2)).date()
        fact_services.record_visit(
            session, client, _local(day, time(10), persona.timezone), "booked", "demo", source="demo"
        )


def _wants_to_book(
    session: Session, persona: Persona, client: Client, visits: list[Visit], now: datetime, start: datetime
) -> bool:
    if any(v.status == "booked" for v in visits):
        return False
    if persona.stops_booking_after_week is not None and now - start >= timedelta(
        weeks=persona.stops_booking_after_week
    ):
        return False
    last = max((v.starts_at for v in visits if v.status == "attended"), default=start)
    nudged = session.scalars(
        select(Message.id).where(Message.client_id == client.id, Message.stream == "rebook", Message.sent_at > last)
    ).first()
    if persona.habit is not None:
        # The same client on the same day always decides the same way: reruns give the same population.
        chance = persona.habit.after_nudge if nudged is not None else persona.habit.on_own
        return random.Random(f"{persona.external_id}:{now.date()}").random() < chance
    # Clients who get no texts or emails still come back on their own, a little later.
    return nudged is not None or now - last >= timedelta(days=10)


def population(size: int, habit: Habit, language: str = "") -> tuple[Persona, ...]:
    """`size` simulated clients of every kind in turn, all with the same booking habit and language."""
    kinds = tuple(SCORES)
    return tuple(
        Persona(f"pop-{i}", f"Pat{i}", "Sample", kinds[i % len(kinds)], habit=habit, language=language)
        for i in range(size)
    )


def _note_phases(ctx: Context, timelines: list[Timeline], now: datetime, week: int) -> None:
    with Session(ctx.engine) as session:
        facts = load_facts(session, [t.client_id for t in timelines], ctx.settings)
    for timeline in timelines:
        f = facts[timeline.client_id]
        state = assess(f.visits, f.scores, now, ctx.settings.cadence)
        timeline.phases[week], timeline.worsening[week] = state.phase, state.worsening


def _collect(ctx: Context, timelines: list[Timeline], words: dict[int, str]) -> None:
    with Session(ctx.engine, expire_on_commit=False) as session:
        for timeline in timelines:
            cid = timeline.client_id
            timeline.messages = list(
                session.scalars(select(Message).where(Message.client_id == cid).order_by(Message.due_at))
            )
            timeline.words = {m.id: words[m.id] for m in timeline.messages if m.id in words}
            timeline.visits = sorted(
                session.scalars(select(Visit.starts_at).where(Visit.client_id == cid, Visit.status == "attended"))
            )
            facts = load_facts(session, [cid], ctx.settings)[cid]
            timeline.scores = [(s.recorded_at, s.pain) for s in facts.scores]


PHASE_LETTER = {"establishing": "E", "tapering": "T", "maintaining": "M", "lapsed": "L"}


def summary_table(simulation: Simulation) -> list[str]:
    """Per client: messages sent each week and the phase at each week's end (E/T/M/L, ! = worsening)."""
    weeks = simulation.weeks
    header = f"{'client':<22}{'':>7}" + "".join(f"{w + 1:>4}" for w in range(weeks)) + "   total"
    lines = [header, "-" * len(header)]
    for t in simulation.timelines:
        label = f"{t.persona.first_name} ({t.persona.name})"
        counts = t.per_week(simulation.start, weeks)
        lines.append(f"{label:<22}{'sent':>7}" + "".join(f"{c:>4}" for c in counts) + f"{sum(counts):>8}")
        phases = "".join(
            f"{PHASE_LETTER.get(t.phases.get(w, ''), '?') + ('!' if t.worsening.get(w) else ''):>4}"
            for w in range(weeks)
        )
        lines.append(f"{'':<22}{'phase':>7}" + phases)
    return lines


def phase_changes(timeline: Timeline) -> list[str]:
    changes, previous = [], None
    for week in sorted(timeline.phases):
        phase = timeline.phases[week]
        if phase != previous:
            changes.append(f"week {week + 1}: {phase}" + (" (worsening)" if timeline.worsening.get(week) else ""))
            previous = phase
    return changes


def skip_reasons(timeline: Timeline) -> dict[str, int]:
    reasons: dict[str, int] = defaultdict(int)
    for message in timeline.messages:
        if message.status == "skipped" or message.reason.startswith("Deferred"):
            reasons[message.reason.split(" until ")[0]] += 1
    return dict(reasons)


def with_holdout(catalog, campaign: str, percent: float):  # noqa: ANN001, ANN201  (Catalog)
    """The same campaigns with `campaign` holding out `percent` of its clients."""
    from outreach.campaigns import Catalog

    changed = tuple(
        c.model_copy(update={"holdout_percent": percent}) if c.name == campaign else c for c in catalog.campaigns
    )
    return Catalog(changed, catalog.sources)


def compare_groups(ctx: Context, simulation: Simulation) -> list:
    """The report's messaged-against-held-out comparison over the simulated weeks."""
    from outreach.services.outcomes import Period, outcomes_report, today_in

    end = simulation.start + timedelta(weeks=simulation.weeks)
    period = Period(today_in(ctx.settings, simulation.start), today_in(ctx.settings, end))
    with Session(ctx.engine) as session:
        return outcomes_report(session, ctx.settings, ctx.catalog, period).holdouts


def detectable(results: list, min_group_size: int) -> list[str]:
    """In words: what groups of these sizes can tell apart."""
    from outreach.policy.comparison import detectable_difference

    lines = []
    for result in results:
        messaged, held_out = result.comparison.messaged, result.comparison.held_out
        base = held_out.rebooked / held_out.occasions if held_out.occasions else 0.0
        smallest = detectable_difference(messaged.occasions, held_out.occasions, base)
        sizes = f"{messaged.occasions} messaged and {held_out.occasions} held-out nudges"
        if smallest is None:
            lines.append(f"With {sizes}, no difference in rebook rate could be told apart from chance.")
        else:
            lines.append(
                f"With {sizes}, a rise of {smallest * 100:.1f} points in rebook rate over the held-out "
                f"{base * 100:.1f}% would be detected 80% of the time (two-sided 5%)."
            )
        if min(messaged.occasions, held_out.occasions) < min_group_size:
            lines.append(
                f"The dashboard shows figures from {min_group_size} nudges in each group ([reports] min_group_size)."
            )
    return lines
