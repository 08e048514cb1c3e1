"""A client's language at the desk: chosen when adding a client, changed on their page (through the one audited
door), shown there, filtered on in the client list; and each message's language in the delivery log."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from outreach.models import Client
from tests.conftest import utc
from tests.desk import START, audit_entries, page_text
from tests.helpers import add_client
from tests.web.dashboard.test_log import add_message, shown

DETAILS = {"first_name": "Ann", "last_name": "", "email": "ann@example.com", "phone": "+16125550100"}


@pytest.fixture
def ann(desk) -> int:
    client_id = add_client(desk.ctx, at=START - timedelta(days=30), first_name="Ann")
    desk.sign_in_as("front_desk")
    return client_id


def language_of(ctx, client_id: int) -> str:
    with Session(ctx.engine) as session:
        return session.get(Client, client_id).language


def options(page: str, select_id: str) -> list[tuple[str, str, bool]]:
    """The (value, label, selected) of each option of one select."""
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no select #{select_id}"
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', found[1])
    ]


def test_the_new_client_form_offers_the_served_languages_by_name_with_the_default_chosen(desk):
    desk.sign_in_as("front_desk")

    page = desk.get("/clients/new").text

    assert '<label for="new-language">Language of messages</label>' in page
    assert options(page, "new-language") == [("en", "English", True), ("es", "Spanish", False)]


def test_a_client_added_in_spanish_is_stored_and_shown_in_spanish(desk):
    desk.sign_in_as("front_desk")

    added = desk.post("/clients/new", {"first_name": "Lucía", "phone": "612 555 0142", "language": "es"})
    page = desk.get(added.headers["location"]).text

    assert added.status_code == 303
    client_id = int(added.headers["location"].rsplit("/", 1)[1])
    assert language_of(desk.ctx, client_id) == "es"
    assert re.search(r"<dt>Language</dt><dd[^>]*>Spanish</dd>", page)
    assert ("es", "Spanish", True) in options(page, "details-language")


def test_a_bad_language_on_the_new_client_form_is_an_error_on_that_field(desk):
    desk.sign_in_as("front_desk")

    refused = desk.post("/clients/new", {"first_name": "Lucía", "phone": "612 555 0142", "language": "Klingon"})

    assert refused.status_code == 400
    assert re.search(
        r'<select id="new-language" name="language" aria-invalid="true" aria-describedby="language-error"', refused.text
    )
    assert "language: unknown language 'Klingon'; use one of en (English), es (Spanish)" in page_text(refused)
    assert 'id="details-error"' not in refused.text
    with Session(desk.ctx.engine) as session:
        assert session.exec(select(Client)).all() == []


def test_changing_the_language_on_the_clients_page_goes_through_the_audited_door(desk, ann):
    page = desk.get(f"/clients/{ann}").text
    saved = desk.post(f"/clients/{ann}/details", {**DETAILS, "language": "es"})
    after = desk.get(f"/clients/{ann}")

    assert ("en", "English", True) in options(page, "details-language")
    assert saved.status_code == 303
    assert language_of(desk.ctx, ann) == "es"
    assert "Details saved." in page_text(after)
    assert [(entry.actor, entry.client_id, entry.detail) for entry in audit_entries(desk.ctx, "client.language")] == [
        ("frontdesk", ann, "en -> es")
    ]


def test_saving_the_details_unchanged_keeps_the_language_and_audits_nothing(desk, ann):
    desk.post(f"/clients/{ann}/details", {**DETAILS, "language": "es"})

    again = desk.post(f"/clients/{ann}/details", {**DETAILS, "language": "es"})

    assert again.status_code == 303
    assert "Nothing changed." in page_text(desk.get(f"/clients/{ann}"))
    assert len(audit_entries(desk.ctx, "client.language")) == 1


def test_a_bad_language_on_the_clients_page_is_an_error_on_that_field_and_changes_nothing(desk, ann):
    refused = desk.post(f"/clients/{ann}/details", {**DETAILS, "first_name": "Annie", "language": "fr"})

    assert refused.status_code == 400
    assert 'aria-invalid="true" aria-describedby="language-error"' in refused.text
    assert re.search(
        r'<p class="field-error" role="alert" id="language-error">language: unknown language', refused.text
    )
    assert "<details open>" in refused.text
    assert 'value="Annie"' in refused.text  # what was typed stays in the form
    with Session(desk.ctx.engine) as session:
        client = session.get(Client, ann)
        assert (client.first_name, client.language) == ("Ann", "en")
    assert audit_entries(desk.ctx, "client.language") == []


def test_the_client_list_can_be_narrowed_to_one_language(desk, ann):
    lucia = add_client(desk.ctx, "c2", at=START, first_name="Lucía", email="lucia@example.com", phone=None)
    desk.post(
        f"/clients/{lucia}/details",
        {**DETAILS, "first_name": "Lucía", "email": "lucia@example.com", "phone": "", "language": "es"},
    )

    everyone = desk.get("/clients").text
    spanish = desk.get("/clients", params={"language": "Spanish"})
    nobody = desk.get("/clients", params={"language": "es", "q": "Ann"})
    bad = desk.get("/clients", params={"language": "fr"})

    assert "Ann" in page_text(desk.get("/clients")) and "Lucía" in everyone
    assert ("es", "Spanish", True) in options(spanish.text, "f-language")
    assert "Lucía" in spanish.text and f'href="/clients/{ann}"' not in spanish.text
    assert "sort=phase" in spanish.text and "language=es&amp;sort=phase" in spanish.text  # sorting keeps the filter
    assert "No clients match “Ann” with messages in Spanish." in page_text(nobody)
    assert bad.status_code == 400 and "language: unknown language 'fr'" in page_text(bad)


@pytest.fixture
def log(desk, ann) -> dict[str, int]:
    return {
        "english": add_message(desk.ctx, ann, utc(2026, 3, 2, 14, 0), step="english", language="en"),
        "spanish": add_message(desk.ctx, ann, utc(2026, 3, 2, 14, 5), step="spanish", language="es", channel="sms"),
        "planned": add_message(desk.ctx, ann, utc(2026, 3, 2, 14, 10), step="planned", status="planned"),
    }


def test_the_log_shows_the_language_each_message_went_out_in(desk, log):
    page = desk.get("/").text

    cells = dict(re.findall(r'<tr data-message="(\d+)">.*?data-label="Language">([^<]*)</td>', page, re.S))
    assert cells == {str(log["english"]): "English", str(log["spanish"]): "Spanish", str(log["planned"]): ""}
    assert '<th scope="col">Language</th>' in page


def test_the_log_can_be_filtered_by_language_and_the_filter_follows_the_export(desk, log):
    spanish = desk.get("/", params={"language": "es"}).text
    by_name = desk.get("/", params={"language": "Español"}).text
    bad = desk.get("/", params={"language": "de"})
    exported = list(csv.DictReader(io.StringIO(desk.get("/export.csv", params={"language": "es"}).text)))

    assert shown(spanish) == shown(by_name) == [log["spanish"]]
    assert ("es", "Spanish", True) in options(spanish, "f-language")
    assert 'href="/export.csv?language=es"' in spanish
    assert bad.status_code == 400 and "language : unknown language 'de'" in page_text(bad)
    assert [(row["step"], row["language"]) for row in exported] == [("spanish", "es")]


def test_a_message_page_names_its_language(desk, log):
    spanish = page_text(desk.get(f"/messages/{log['spanish']}"))
    planned = page_text(desk.get(f"/messages/{log['planned']}"))

    assert "Language Spanish" in spanish
    assert "Language —" in planned
