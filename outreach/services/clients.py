"""Load what the policy needs to know about clients, in bulk: a handful of queries per batch, never per row."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import or_, select
from sqlmodel import Session

from outreach.models import Client, Enrolment, Message, ProgressEntry, Suppression, Visit
from outreach.policy.cadence import CadenceState, Score, VisitFact, assess
from outreach.policy.consent import Reachability
from outreach.policy.schedule import ClientFacts, Existing
from outreach.settings import Settings
from outreach.validation import zone_for_phone


def client_zone(client: Client, settings: Settings) -> str:
    """The client's own zone; failing that, the phone's area code; failing that, the clinic's."""
    return client.timezone or (client.phone and zone_for_phone(client.phone)) or settings.clinic.timezone


def load_facts(session: Session, client_ids: Iterable[int], settings: Settings) -> dict[int, ClientFacts]:
    ids = list(client_ids)
    if not ids:
        return {}
    clients = session.execute(select(Client.__table__).where(Client.__table__.c.id.in_(ids))).all()
    visits, scores, messages, enrolments = (defaultdict(list) for _ in range(4))
    for row in session.execute(select(Visit.client_id, Visit.starts_at, Visit.status, Visit.id)
                               .where(Visit.client_id.in_(ids))):
        visits[row.client_id].append(VisitFact(row.starts_at, row.status, row.id))
    for row in session.execute(select(ProgressEntry.client_id, ProgressEntry.recorded_at, ProgressEntry.pain)
                               .where(ProgressEntry.client_id.in_(ids))):
        scores[row.client_id].append(Score(row.recorded_at, row.pain))
    for row in session.execute(select(Message.client_id, Message.campaign, Message.step, Message.cycle,
                                      Message.status, Message.due_at, Message.sent_at, Message.channel)
                               # Replies the front desk writes are conversation, not outreach: no caps.
                               .where(Message.client_id.in_(ids), Message.is_test.is_(False),
                                      Message.stream != "reply")):
        messages[row.client_id].append(Existing(row.campaign, row.step, row.cycle, row.status, row.due_at,
                                                row.sent_at, row.channel))
    for row in session.execute(select(Enrolment.client_id, Enrolment.campaign, Enrolment.enrolled_at)
                               .where(Enrolment.client_id.in_(ids))):
        enrolments[row.client_id].append((row.campaign, row.enrolled_at))
    suppressed = _suppressed(session, clients)
    return {
        c.id: ClientFacts(
            id=c.id,
            first_name=c.first_name,
            timezone=client_zone(c, settings),
            reach=Reachability(c.status, c.email, c.phone, c.email_consent, c.sms_consent, c.phone_invalid,
                               suppressed.get(c.id, frozenset())),
            visits=tuple(visits[c.id]),
            scores=tuple(sorted(scores[c.id], key=lambda s: s.recorded_at)),
            messages=tuple(messages[c.id]),
            enrolments=dict(enrolments[c.id]),
            reminders_opt_out=c.reminders_opt_out,
        )
        for c in clients
    }


def _suppressed(session: Session, clients: Sequence) -> dict[int, frozenset[str]]:
    emails = {c.email.lower(): c.id for c in clients if c.email}
    phones = {c.phone: c.id for c in clients if c.phone}
    if not emails and not phones:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    query = select(Suppression.channel, Suppression.address).where(or_(
        (Suppression.channel == "email") & Suppression.address.in_(list(emails)),
        (Suppression.channel == "sms") & Suppression.address.in_(list(phones)),
    ))
    for channel, address in session.execute(query):
        owner = emails.get(address) if channel == "email" else phones.get(address)
        if owner is not None:
            found[owner].add(channel)
    return {k: frozenset(v) for k, v in found.items()}


def cadence_for(session: Session, client: Client, settings: Settings, now: datetime) -> CadenceState:
    facts = load_facts(session, [client.id], settings)[client.id]
    return assess(facts.visits, facts.scores, now, settings.cadence)
