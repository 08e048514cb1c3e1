"""A client's language, through the real tick: planned, rendered in the client's language, and never sent over
`[sms] max_segments`, whatever the client's name."""

import email
import itertools
import json
from datetime import timedelta
from email.policy import default as email_policy

from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from sqlmodel import Session

from outreach.policy.segments import count_segments
from outreach.sending.dispatch import dispatch_due
from outreach.sending.planner import plan_due
from tests.helpers import add_client, messages
from tests.sending.test_dispatch import NOON_CHICAGO, Scripted, outbox


def sent_texts(ctx):
    path = ctx.settings.outbox.directory / "sms.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def sent_emails(ctx):
    folder = ctx.settings.outbox.directory / "email"
    return [email.message_from_bytes(p.read_bytes(), policy=email_policy) for p in sorted(folder.glob("*/*.eml"))]


def test_a_spanish_client_gets_spanish_texts_and_emails_from_the_tick(ctx):
    add_client(ctx, "es1", at=NOON_CHICAGO, first_name="Lucía", language="es")

    plan_due(ctx, NOON_CHICAGO)
    dispatch_due(ctx, NOON_CHICAGO, outbox(ctx))

    [text] = sent_texts(ctx)  # the check-in
    assert text["body"].startswith("Northside Massage: Lucía, ¿cómo va")
    assert "ALTO" in text["body"]  # the opt-out line, in Spanish
    [mail] = sent_emails(ctx)
    assert mail["Content-Language"] == "es"
    html = mail.get_body(("html",)).get_content()
    plain = mail.get_body(("plain",)).get_content()
    assert '<html lang="es"' in html
    assert "Hola, Lucía" in plain
    assert "/learn/" not in plain  # the lesson itself, not a link to it
    assert ctx.settings.clinic.postal_address in plain
    assert {m.language for m in messages(ctx)} == {"es"}


def test_an_english_client_beside_them_still_gets_english(ctx):
    add_client(ctx, "en1", at=NOON_CHICAGO, first_name="Ann", language="en")
    add_client(
        ctx, "es1", at=NOON_CHICAGO, first_name="Lucía", language="es", phone="+16125550101", email="lucia@example.com"
    )

    plan_due(ctx, NOON_CHICAGO)
    dispatch_due(ctx, NOON_CHICAGO, outbox(ctx))

    by_to = {m.to_address: m.language for m in messages(ctx)}
    assert by_to == {"ann@example.com": "en", "+16125550100": "en", "lucia@example.com": "es", "+16125550101": "es"}
    bodies = {t["to"]: t["body"] for t in sent_texts(ctx)}
    assert "Reply STOP" in bodies["+16125550100"] and "ALTO" in bodies["+16125550101"]


def test_a_language_without_its_copy_goes_out_in_the_default_language(ctx):
    add_client(ctx, "fr1", at=NOON_CHICAGO, first_name="Zoë", language="fr")

    plan_due(ctx, NOON_CHICAGO)
    dispatch_due(ctx, NOON_CHICAGO, outbox(ctx))

    assert {m.language for m in messages(ctx)} == {"en"}
    [mail] = sent_emails(ctx)
    assert mail["Content-Language"] == "en"


def _rebook_due(ctx, name, language, phone):
    """A client whose rebook nudge (a personalised text with the name in it) is due at NOON_CHICAGO."""
    from outreach.models import Visit

    client_id = add_client(
        ctx,
        phone,
        at=NOON_CHICAGO - timedelta(days=40),
        first_name=name,
        language=language,
        phone=phone,
        email=None,
    )
    with Session(ctx.engine) as session:
        session.add(Visit(client_id=client_id, starts_at=NOON_CHICAGO - timedelta(days=10), status="attended"))
        session.commit()
    return client_id


NAMES = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=40
).filter(lambda name: name.strip())


_PHONES = itertools.count(1000)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, language=st.sampled_from(["en", "es"]))
def test_no_text_leaves_over_max_segments_whatever_the_name(ctx, name, language):
    client_id = _rebook_due(ctx, name, language, f"+1612555{next(_PHONES):04d}")  # one new client per example
    sms = Scripted("sms")

    for day in range(0, 21, 3):
        now = NOON_CHICAGO + timedelta(days=day)
        plan_due(ctx, now)
        dispatch_due(ctx, now, {"email": Scripted("email"), "sms": sms})

    ours = [m for m in messages(ctx) if m.client_id == client_id]
    assert any(m.status == "sent" for m in ours) or any(m.reason.startswith("Too long") for m in ours)
    limit = ctx.settings.sms.max_segments
    assert all(count_segments(message.text).segments <= limit for message in sms.sent)
    assert all(m.status == "skipped" for m in ours if m.reason.startswith("Too long"))
