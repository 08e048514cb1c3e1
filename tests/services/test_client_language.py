"""services.client_language: setting a client's language (every door goes through set_language) and the inbox's
suggestion to switch, which only ever suggests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from outreach.models import Client, InboundMessage
from outreach.policy.languages import UnknownLanguage
from outreach.services.client_language import set_language, suggested_language, suggestion
from outreach.services.facts import ASAP
from tests.conftest import utc
from tests.desk import audit_entries
from tests.helpers import add_client, load

NOW = utc(2026, 3, 2, 15)
ANN = "+16125550100"


@pytest.fixture
def ann(ctx) -> int:
    return add_client(ctx, at=NOW - timedelta(days=30), phone=ANN)


def set_to(ctx, client_id: int, value: str, at=NOW) -> str:  # noqa: ANN001
    with Session(ctx.engine) as session:
        tag = set_language(session, session.get(Client, client_id), value, ctx.settings, "frontdesk", at)
        session.commit()
        return tag


@pytest.mark.parametrize("value", ["es", "ES", "es-MX", "Spanish", "Español", "espanol"])
def test_it_sets_the_language_a_person_names_and_audits_who_and_when(ctx, ann, value):
    assert set_to(ctx, ann, value) == "es"
    client = load(ctx, Client, ann)
    assert client.language == "es" and client.next_plan_at.replace(tzinfo=None) == ASAP.replace(tzinfo=None)
    [entry] = audit_entries(ctx, "client.language")
    assert (entry.actor, entry.client_id, entry.detail) == ("frontdesk", ann, "en -> es")
    assert entry.at.replace(tzinfo=None) == NOW.replace(tzinfo=None)


def test_setting_the_language_it_already_has_changes_and_audits_nothing(ctx, ann):
    assert set_to(ctx, ann, "English") == "en"
    assert audit_entries(ctx, "client.language") == []


@pytest.mark.parametrize("value", ["fr", "Klingon", ""])
def test_a_language_not_served_is_refused_naming_the_choices(ctx, ann, value):
    with pytest.raises(UnknownLanguage, match="en \\(English\\), es \\(Spanish\\)"):
        set_to(ctx, ann, value)
    assert load(ctx, Client, ann).language == "en" and audit_entries(ctx, "client.language") == []


def text(ctx, language: str, at, sender: str = ANN, client_id: int | None = None) -> None:  # noqa: ANN001
    with Session(ctx.engine) as session:
        n = len(list(session.exec(InboundMessage.__table__.select())))
        session.add(
            InboundMessage(
                provider_id=f"SM{n}",
                client_id=client_id,
                from_address=sender,
                body="...",
                handled_as="other",
                received_at=at,
                language=language,
            )
        )
        session.commit()


def suggested(ctx, client_id: int) -> str:  # noqa: ANN001
    with Session(ctx.engine) as session:
        return suggested_language(session, session.get(Client, client_id), ctx.settings)


def test_one_clear_spanish_text_suggests_spanish_and_nothing_switches(ctx, ann):
    assert suggested(ctx, ann) == ""
    text(ctx, "", NOW - timedelta(hours=3), client_id=ann)
    assert suggested(ctx, ann) == ""
    text(ctx, "es", NOW - timedelta(hours=2), client_id=ann)
    assert suggested(ctx, ann) == "es"
    assert load(ctx, Client, ann).language == "en"
    with Session(ctx.engine) as session:
        offer = suggestion(session, session.get(Client, ann), ctx.settings)
    assert (offer.tag, offer.language, offer.current) == ("es", "Spanish", "English")


def test_the_latest_clear_text_decides_and_unclear_ones_do_not_count(ctx, ann):
    text(ctx, "es", NOW - timedelta(hours=3), client_id=ann)
    text(ctx, "en", NOW - timedelta(hours=2), client_id=ann)
    text(ctx, "", NOW - timedelta(hours=1), client_id=ann)
    assert suggested(ctx, ann) == ""
    text(ctx, "es", NOW, client_id=ann)
    assert suggested(ctx, ann) == "es"


def test_texts_from_the_clients_number_count_even_when_linked_to_someone_else(ctx, ann):
    other = add_client(ctx, "c2", at=NOW - timedelta(days=30), first_name="Bo", phone=ANN)
    text(ctx, "es", NOW, client_id=other)
    assert suggested(ctx, ann) == "es"
    stranger = add_client(ctx, "c3", at=NOW - timedelta(days=30), first_name="Cy", phone="+16125550111")
    assert suggested(ctx, stranger) == ""


def test_after_a_switch_the_texts_before_it_suggest_nothing_again(ctx, ann):
    text(ctx, "es", NOW - timedelta(hours=2), client_id=ann)
    set_to(ctx, ann, "es", at=NOW - timedelta(hours=1))
    assert suggested(ctx, ann) == ""
    # Switched back by hand after the Spanish text: that decision stands until a new text says otherwise.
    set_to(ctx, ann, "en", at=NOW - timedelta(minutes=30))
    assert suggested(ctx, ann) == ""
    text(ctx, "es", NOW, client_id=ann)
    assert suggested(ctx, ann) == "es"


def test_a_spanish_client_texting_in_english_is_offered_english(ctx):
    rosa = add_client(ctx, "c9", at=NOW - timedelta(days=30), first_name="Rosa", phone=ANN, language="es")
    text(ctx, "en", NOW, client_id=rosa)
    assert suggested(ctx, rosa) == "en"


def test_a_language_no_longer_served_is_not_suggested(ctx, ann):
    text(ctx, "fr", NOW, client_id=ann)
    assert suggested(ctx, ann) == ""
