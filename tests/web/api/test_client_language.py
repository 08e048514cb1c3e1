"""A client's language through the API: set on create and update, checked as the importer checks it, and the
language each message went out in readable from the delivery log."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from outreach.services import records
from tests.conftest import make_settings, utc
from tests.desk import audit_entries
from tests.helpers import add_client
from tests.web.dashboard.test_log import add_message
from tests.web.api.test_api import ANA, BEN, NOW, api, bearer, clients, make_key, writer  # noqa: F401  (fixtures)


def languages(ctx) -> dict[str, str]:
    return {external_id: client.language for external_id, client in clients(ctx).items()}


def post(http, headers: dict, *records: dict):  # noqa: ANN001, ANN201
    return http.post("/api/v1/clients", json={"records": list(records)}, headers=headers)


def test_a_client_is_created_in_the_language_given_else_the_clinics_default(ctx, api, writer):  # noqa: F811
    response = post(api, writer, {**ANA, "language": "Español"}, BEN)

    assert response.status_code == 200, response.text
    assert languages(ctx) == {"B100": "es", "B101": "en"}


@pytest.mark.parametrize("written", ["es", "ES", "es-MX", "Spanish", "spanish", "Español", "espanol"])
def test_an_update_changes_the_language_through_one_audited_door(ctx, api, writer, written):  # noqa: F811
    post(api, writer, ANA)

    response = post(api, writer, {**ANA, "language": written})

    assert (response.json()["updated"], response.json()["unchanged"]) == (1, 0)
    assert languages(ctx) == {"B100": "es"}
    entries = audit_entries(ctx, "client.language")
    assert [(entry.actor, entry.detail) for entry in entries] == [("api:booking-sync", "en -> es")]


@pytest.mark.parametrize("unstated", [{}, {"language": None}, {"language": ""}])
def test_a_language_left_out_null_or_empty_is_kept(ctx, api, writer, unstated):  # noqa: F811
    post(api, writer, {**ANA, "language": "es"})

    response = post(api, writer, {**ANA, **unstated})

    assert response.json()["unchanged"] == 1
    assert languages(ctx) == {"B100": "es"}


def test_a_language_not_served_is_a_422_naming_the_record_and_field_and_nothing_is_recorded(ctx, api, writer):  # noqa: F811
    post(api, writer, ANA)

    response = post(api, writer, {**BEN, "language": "es"}, {**ANA, "language": "Klingon"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Some records are not valid"
    assert problem["errors"] == [
        {"index": 1, "field": "language", "detail": "unknown language 'Klingon'; use one of en (English), es (Spanish)"}
    ]
    assert languages(ctx) == {"B100": "en"}


def test_a_language_that_is_not_text_is_refused_in_the_same_form(ctx, api, writer):  # noqa: F811
    response = post(api, writer, {**ANA, "language": 7})

    assert response.status_code == 422
    assert [(error["index"], error["field"]) for error in response.json()["errors"]] == [(0, "language")]
    assert clients(ctx) == {}


def test_the_openapi_description_documents_the_language(api):  # noqa: F811
    spec = api.get("/api/openapi.json").json()

    field = spec["components"]["schemas"]["ClientIn"]["properties"]["language"]
    assert "Español" in field["description"] and "default language" in field["description"]
    parameters = {parameter["name"] for parameter in spec["paths"]["/v1/delivery-log"]["get"]["parameters"]}
    assert "language" in parameters


def test_the_delivery_log_says_and_filters_by_the_language_each_message_went_out_in(ctx, api):  # noqa: F811
    client_id = add_client(ctx, at=NOW)
    for n, language in enumerate(("en", "es", "es", "")):
        status = "sent" if language else "planned"
        add_message(ctx, client_id, utc(2026, 3, 1, 12, n), status=status, step=f"s{n}", language=language)
    reader = bearer(make_key(ctx, "reports", ("log:read",)))

    everything = api.get("/api/v1/delivery-log", headers=reader).json()["items"]
    spanish = api.get("/api/v1/delivery-log", params={"language": "Spanish"}, headers=reader).json()["items"]
    bad = api.get("/api/v1/delivery-log", params={"language": "fr"}, headers=reader)

    assert {item["step"]: item["language"] for item in everything} == {"s0": "en", "s1": "es", "s2": "es", "s3": ""}
    assert sorted(item["step"] for item in spanish) == ["s1", "s2"]
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "language")


def test_a_clinic_that_writes_in_spanish_first_creates_clients_in_spanish(ctx, tmp_path):
    spanish_first = make_settings(ctx.settings.database.url, tmp_path, clinic={"default_language": "es"})
    with Session(ctx.engine) as session:
        records.save_clients(session, [BEN, {**ANA, "language": "en"}], spanish_first, "test", NOW)
        session.commit()

    assert languages(ctx) == {"B100": "en", "B101": "es"}
