"""Load what the policy needs to know about clients, in bulk: a handful of queries per batch, never per row."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import Boolean, ColumnElement, Table, bindparam, case, event, func, null, or_, select, update
from sqlmodel import Session, col

from outreach.models import Client, Enrolment, Message, ProgressEntry, Suppression, Visit
from outreach.policy.cadence import LAPSED, CadenceState, Score, VisitFact, assess
from outreach.policy.consent import Reachability
from outreach.policy.schedule import ClientFacts, Existing
from outreach.settings import Settings
from outreach.contacts import zone_for_phone
from outreach.services.facts import WOKEN
from outreach.services.holds import held_numbers
from outreach.services.streams import streams_off


CLIENT: Table = Client.__table__  # type: ignore[attr-defined]
VISIT: Table = Visit.__table__  # type: ignore[attr-defined]
PROGRESS: Table = ProgressEntry.__table__  # type: ignore[attr-defined]
MESSAGE: Table = Message.__table__  # type: ignore[attr-defined]
ENROLMENT: Table = Enrolment.__table__  # type: ignore[attr-defined]


def client_zone(client: Client, settings: Settings) -> str:
    """The client's own zone; failing that, the phone's area code; failing that, the clinic's."""
    return client.timezone or (client.phone and zone_for_phone(client.phone)) or settings.clinic.timezone


def load_facts(
    session: Session, client_ids: Iterable[int], settings: Settings, messages_where: ColumnElement[bool] | None = None
) -> dict[int, ClientFacts]:
    """What the rules need to know of each client. `messages_where` narrows the messages read (dispatch needs
    only those that count against the caps; planning needs every one)."""
    ids = list(client_ids)
    if not ids:
        return {}
    # Core statements on one connection: the ORM's per-row machinery cost more than the queries themselves.
    connection = session.connection()
    clients = connection.execute(select(*(CLIENT.c[name] for name in _FACT_COLUMNS)).where(CLIENT.c.id.in_(ids))).all()
    visits, scores, messages, enrolments = (defaultdict(list) for _ in range(4))
    for client_id, starts_at, status, visit_id in connection.execute(
        select(VISIT.c.client_id, VISIT.c.starts_at, VISIT.c.status, VISIT.c.id).where(VISIT.c.client_id.in_(ids))
    ):
        visits[client_id].append(VisitFact(starts_at, status, visit_id))
    for client_id, recorded_at, pain in connection.execute(
        select(PROGRESS.c.client_id, PROGRESS.c.recorded_at, PROGRESS.c.pain).where(PROGRESS.c.client_id.in_(ids))
    ):
        scores[client_id].append(Score(recorded_at, pain))
    # Replies the front desk writes are conversation, not outreach: no caps.
    wanted = (
        MESSAGE.c.client_id.in_(ids),
        MESSAGE.c.is_test.is_(False),
        MESSAGE.c.stream != "reply",
        *(() if messages_where is None else (messages_where,)),
    )
    for client_id, *existing in connection.execute(
        select(
            MESSAGE.c.client_id,
            MESSAGE.c.campaign,
            MESSAGE.c.step,
            MESSAGE.c.cycle,
            MESSAGE.c.status,
            MESSAGE.c.due_at,
            MESSAGE.c.sent_at,
            MESSAGE.c.channel,
        ).where(*wanted)
    ):
        messages[client_id].append(Existing(*existing))
    for client_id, campaign, enrolled_at in connection.execute(
        select(ENROLMENT.c.client_id, ENROLMENT.c.campaign, ENROLMENT.c.enrolled_at).where(
            ENROLMENT.c.client_id.in_(ids)
        )
    ):
        enrolments[client_id].append((campaign, enrolled_at))
    suppressed = _suppressed(session, clients)
    off = streams_off(session, ids)
    held = held_numbers(session, [c.phone for c in clients if c.phone])
    return {
        c.id: ClientFacts(
            id=c.id,
            first_name=c.first_name,
            timezone=client_zone(c, settings),
            reach=Reachability(
                c.status,
                c.email,
                c.phone,
                c.email_consent,
                c.sms_consent,
                c.phone_invalid,
                suppressed.get(c.id, frozenset()),
                off.get(c.id, frozenset()),
                c.paused_until,
                held.get(c.phone) if c.phone else None,
            ),
            visits=tuple(visits[c.id]),
            scores=tuple(sorted(scores[c.id], key=lambda s: s.recorded_at)),
            messages=tuple(messages[c.id]),
            enrolments=dict(enrolments[c.id]),
            checkin_channel=c.checkin_channel,
            language=c.language,
        )
        for c in clients
    }


# The client's columns the rules read (the rest, timestamps above all, cost a conversion each for nothing).
_FACT_COLUMNS = (
    "id",
    "first_name",
    "language",
    "timezone",
    "status",
    "email",
    "phone",
    "email_consent",
    "sms_consent",
    "phone_invalid",
    "paused_until",
    "checkin_channel",
)


def _suppressed(session: Session, clients: Sequence) -> dict[int, frozenset[str]]:
    emails = {c.email.lower(): c.id for c in clients if c.email}
    phones = {c.phone: c.id for c in clients if c.phone}
    if not emails and not phones:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    query = select(col(Suppression.channel), col(Suppression.address)).where(
        or_(
            (col(Suppression.channel) == "email") & col(Suppression.address).in_(list(emails)),
            (col(Suppression.channel) == "sms") & col(Suppression.address).in_(list(phones)),
        )
    )
    for channel, address in session.connection().execute(query):
        owner = emails.get(address) if channel == "email" else phones.get(address)
        if owner is not None:
            found[owner].add(channel)
    return {k: frozenset(v) for k, v in found.items()}


def cadence_for(session: Session, client: Client, settings: Settings, now: datetime) -> CadenceState:
    facts = load_facts(session, [client.id], settings)[client.id]
    return assess(facts.visits, facts.scores, now, settings.cadence)


# The taper summary the client list and the attention page show, from a cadence assessment: written by each
# planning pass (with next_plan_at) and by each transaction that wakes a client (refresh_summaries).
# A flag's "since" is kept while it holds, so "newly worsening" means newer than the front desk last looked.
SUMMARY_VALUES = {
    "phase": bindparam("phase_now"),
    "last_visit_at": bindparam("last_visit"),
    "next_visit_at": bindparam("next_visit"),
    "worsening_since": case(
        (bindparam("worsening", type_=Boolean), func.coalesce(CLIENT.c.worsening_since, bindparam("now"))),
        else_=null(),
    ),
    "lapsed_since": case(
        (bindparam("lapsed", type_=Boolean), func.coalesce(CLIENT.c.lapsed_since, bindparam("now"))), else_=null()
    ),
}
_REFRESH = update(CLIENT).where(CLIENT.c.id == bindparam("cid")).values(SUMMARY_VALUES)


def summary_row(cid: int, state: CadenceState, now: datetime) -> dict:
    """The parameters of SUMMARY_VALUES for one client (`cid` names its row)."""
    return {
        "cid": cid,
        "phase_now": state.phase,
        "last_visit": state.last_attended,
        "next_visit": state.next_booked,
        "worsening": state.worsening,
        "lapsed": state.phase == LAPSED,
        "now": now,
    }


def refresh_summaries(session: Session, client_ids: Iterable[int], settings: Settings, now: datetime) -> None:
    """Write the clients' summary columns from their facts as they stand in this transaction."""
    facts = load_facts(session, client_ids, settings)
    rows = [summary_row(cid, assess(f.visits, f.scores, now, settings.cadence), now) for cid, f in facts.items()]
    if rows:
        session.execute(_REFRESH, rows)


def refresh_imported(session: Session, settings: Settings, at: datetime) -> None:
    """Refresh the clients a CSV import woke at `at`: its bulk writes wake them without facts.wake
    (importing.store.wake_clients stamps updated_at with the import's moment)."""
    ids = list(session.scalars(select(CLIENT.c.id).where(CLIENT.c.updated_at == at, CLIENT.c.next_plan_at <= at)))
    for start in range(0, len(ids), _REFRESH_CHUNK):
        refresh_summaries(session, ids[start : start + _REFRESH_CHUNK], settings, at)


_REFRESH_CHUNK = 500
# session.info key: the settings a session's commit refreshes woken clients' summaries with.
SETTINGS = "outreach.settings"


def refresh_on_commit(session: Session, settings: Settings) -> Session:
    """Have this session refresh the summary of every client facts.wake marks, just before it commits."""
    session.info[SETTINGS] = settings
    return session


@event.listens_for(Session, "before_commit")
def _refresh_woken(session: Session) -> None:
    settings = session.info.get(SETTINGS)
    woken = session.info.pop(WOKEN, None)
    if settings is None or not woken:
        return
    session.flush()
    moments: dict[int, datetime] = {}
    for client, at in woken.values():
        if client.id is not None:
            moments[client.id] = max(at, moments.get(client.id, at))
    # One pass per moment: a batch shares one, a form has one.
    for at in set(moments.values()):
        refresh_summaries(session, [cid for cid, moment in moments.items() if moment == at], settings, at)


@event.listens_for(Session, "after_rollback")
def _forget_woken(session: Session) -> None:
    session.info.pop(WOKEN, None)
