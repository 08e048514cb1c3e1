"""The labelled corpus's dev texts, each from its own client's number, through the signed Twilio webhook: what each
one changes is what its label says it asks for, and nothing more. (tests.intent_corpus scores the reader alone;
this is the whole path a client's text takes.)"""

from __future__ import annotations

from sqlmodel import Session

from outreach.models import Client
from outreach.services.streams import streams_off
from tests.intent_corpus import Sample, load
from tests.web.webhooks.test_twilio import INBOUND, signed, text

DEV = [sample for sample in load() if sample.set == "dev"]


def add_clients(ctx, count: int) -> list[int]:
    with Session(ctx.engine) as session:
        clients = [
            Client(
                external_id=f"corpus-{n}",
                first_name="Ana",
                phone=number(n),
                email=f"client{n}@example.com",
                sms_consent=True,
                email_consent=True,
            )
            for n in range(count)
        ]
        session.add_all(clients)
        session.commit()
        return [client.id for client in clients]


def number(n: int) -> str:
    return f"+1612555{1000 + n:04d}"


def changed(session: Session, client_id: int) -> set[str]:
    """What the text turned off: "sms", "email", or "sms:<stream>"."""
    client = session.get(Client, client_id)
    off = {channel for channel in ("sms", "email") if not getattr(client, f"{channel}_consent")}
    return off | {f"{channel}:{stream}" for stream, channel in streams_off(session, [client_id]).get(client_id, ())}


def wanted(sample: Sample) -> set[str] | None:
    """What the label says the text revokes; None for an sms opt-out of one stream, where the stream or all texts
    both honour it."""
    if sample.label != "opt-out":
        return set()
    if sample.channel == "all":
        return {"sms", "email"}
    if sample.channel == "email":
        return {"email"}
    return None if sample.stream else {"sms"}


def test_every_dev_text_changes_exactly_what_it_asks_for(ctx, http):
    ids = add_clients(ctx, len(DEV))
    for n, sample in enumerate(DEV):
        assert signed(http, INBOUND, text(sample.text, sid=f"SMcorpus{n}", sender=number(n))).status_code == 200

    wrong = []
    with Session(ctx.engine) as session:
        for client_id, sample in zip(ids, DEV, strict=True):
            got, expected = changed(session, client_id), wanted(sample)
            ok = got in ({"sms"}, {f"sms:{sample.stream}"}) if expected is None else got == expected
            if not ok:
                wrong.append(f"line {sample.line}: {sample.text!r} [{sample.label}] changed {sorted(got)}")
    assert not wrong, "\n".join(wrong)
