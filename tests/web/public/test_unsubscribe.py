"""Unsubscribe links: a page that changes nothing on GET, one-click and form POSTs that act at once."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from outreach.models import Client, ConsentEvent
from outreach.signed_links import make_unsubscribe_token
from tests.conftest import utc
from tests.helpers import web_client

NOW = utc(2026, 3, 2, 15, 0)
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def http(ctx):
    with web_client(ctx, NOW) as client:
        yield client


@pytest.fixture
def ana(ctx) -> int:
    with Session(ctx.engine) as session:
        client = Client(
            external_id="c1",
            first_name="Ana",
            email="ana.lopez@example.org",
            phone="+16125550101",
            email_consent=True,
            sms_consent=True,
        )
        session.add(client)
        session.commit()
        return client.id


def link(ctx, client_id: int, channel: str = "email") -> str:
    return f"/unsubscribe/{make_unsubscribe_token(ctx.secret_key, client_id, channel, 'education')}"


def consent(ctx, client_id: int) -> tuple[bool, bool]:
    with Session(ctx.engine) as session:
        client = session.get(Client, client_id)
        return client.email_consent, client.sms_consent


def consent_events(ctx) -> list[tuple[str, bool, str]]:
    with Session(ctx.engine) as session:
        return [(e.channel, e.granted, e.source) for e in session.exec(select(ConsentEvent).order_by(ConsentEvent.id))]


@pytest.mark.parametrize("query", ["", "?preferences=1"])
def test_it_shows_a_confirmation_page_and_changes_nothing(ctx, http, ana, query):
    page = http.get(link(ctx, ana) + query)

    assert page.status_code == 200
    assert ctx.settings.clinic.name in page.text
    assert "an•••••••@example.org" in page.text and "ana.lopez@" not in page.text
    assert 'value="email" checked' in page.text and 'value="sms"' in page.text and 'value="all"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert consent(ctx, ana) == (True, True)
    assert consent_events(ctx) == []


def test_it_names_the_number_on_a_link_sent_by_text(ctx, http, ana):
    page = http.get(link(ctx, ana, "sms"))

    assert "the number ending 0101" in page.text
    assert 'value="sms" checked' in page.text


def test_it_unsubscribes_at_once_on_a_one_click_post(ctx, http, ana):
    done = http.post(link(ctx, ana), data=ONE_CLICK)

    assert done.status_code == 200
    assert "unsubscribed" in done.text
    assert consent(ctx, ana) == (False, True)
    assert consent_events(ctx) == [("email", False, "unsubscribe-link")]


def test_it_accepts_the_one_click_post_as_multipart_form_data(ctx, http, ana):
    done = http.post(link(ctx, ana), files={"List-Unsubscribe": (None, "One-Click")})

    assert done.status_code == 200
    assert consent(ctx, ana) == (False, True)


@pytest.mark.parametrize("choice,expected", [("email", (False, True)), ("sms", (True, False)), ("all", (False, False))])
def test_it_unsubscribes_from_what_the_client_chose_on_the_page(ctx, http, ana, choice, expected):
    done = http.post(link(ctx, ana), data={"channels": choice})

    assert done.status_code == 200
    assert consent(ctx, ana) == expected


def test_it_records_one_change_however_often_the_link_is_used(ctx, http, ana):
    http.post(link(ctx, ana), data=ONE_CLICK)
    again = http.post(link(ctx, ana), data=ONE_CLICK)

    assert again.status_code == 200
    assert len(consent_events(ctx)) == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_answers_a_tampered_link_with_a_friendly_page(ctx, http, ana, method):
    token = make_unsubscribe_token(ctx.secret_key, ana)
    forged = make_unsubscribe_token("another clinic's key", ana)

    for path in (f"/unsubscribe/{token[:-3]}xyz", f"/unsubscribe/{forged}", "/unsubscribe/nonsense"):
        response = getattr(http, method)(path, **({"data": ONE_CLICK} if method == "post" else {}))
        assert response.status_code == 400
        assert "couldn't use this link" in response.text and "Traceback" not in response.text
    assert consent(ctx, ana) == (True, True)


def test_it_answers_a_link_for_a_client_no_longer_on_file_with_the_same_page(ctx, http):
    assert http.get(link(ctx, 999)).status_code == 400
    assert http.post(link(ctx, 999), data=ONE_CLICK).status_code == 400


def test_it_asks_again_when_the_form_names_no_choice(ctx, http, ana):
    response = http.post(link(ctx, ana), data={"channels": "carrier-pigeon"})

    assert response.status_code == 400
    assert consent(ctx, ana) == (True, True)


def test_it_refuses_an_oversized_form(ctx, http, ana):
    response = http.post(link(ctx, ana), data={"channels": "all", "padding": "x" * 1_100_000})

    assert response.status_code == 413
    with Session(ctx.engine) as session:
        assert session.exec(select(func.count()).select_from(ConsentEvent)).one() == 0


@pytest.mark.parametrize(
    ("client_id", "channel", "campaign"), [(1, "email", ""), (104729, "sms", "rebook"), (7, "email", "education-" * 12)]
)
def test_links_already_in_inboxes_keep_working_and_new_ones_are_the_same(client_id, channel, campaign):
    from itsdangerous import URLSafeSerializer

    from outreach.signed_links import read_unsubscribe_token

    key = "k" * 40
    earlier = URLSafeSerializer(key, salt="outreach.unsubscribe.v1").dumps([client_id, channel, campaign])
    ours = make_unsubscribe_token(key, client_id, channel, campaign)
    assert read_unsubscribe_token(key, earlier) == read_unsubscribe_token(key, ours)
    assert read_unsubscribe_token(key, ours).client_id == client_id
    if len(campaign) < 40:  # itsdangerous compresses a long payload; ours never do, and both read
        assert ours == earlier
    else:
        assert earlier.startswith(".") and not ours.startswith(".")
