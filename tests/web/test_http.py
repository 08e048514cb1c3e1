"""HTTP beyond the routes. A browser that asks for an address no route takes, or with a method it does not take,
gets a page: the dashboard's (with the menu, for staff signed in) for the dashboard's addresses, the public one (no
staff menu, in the browser's language) for any other. The API, the webhooks and programs keep their JSON. HEAD is
answered on every GET route, as its GET with no body."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from outreach.services.lessons import lesson_steps
from tests.conftest import make_settings
from tests.desk import Desk, page_text

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SPANISH_BROWSER = {**BROWSER, "accept-language": "es-MX,es;q=0.9,en;q=0.8"}
MENU = '<nav aria-label="Main">'


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(database_url, tmp_path, languages={"served": ["en", "es"]})


@pytest.fixture
def visitor(ctx) -> Desk:
    return Desk(ctx)  # never signs in


def test_an_unknown_dashboard_address_shows_the_dashboard_page_with_the_menu_for_staff(desk, visitor):
    signed_out = visitor.get("/clients/1/nothing-here", headers=BROWSER)
    desk.sign_in_as("front_desk")
    signed_in = desk.get("/clients/1/nothing-here", headers=BROWSER)
    top_level = desk.get("/clientz", headers=BROWSER)

    assert signed_in.status_code == signed_out.status_code == 404
    assert signed_in.headers["content-type"].startswith("text/html")
    assert "There is no page at /clients/1/nothing-here" in page_text(signed_in)
    assert MENU in signed_in.text and 'href="/inbox"' in signed_in.text
    assert MENU not in signed_out.text and 'href="/login"' in signed_out.text
    assert "Page not found" in page_text(signed_out)
    assert signed_in.headers["x-frame-options"] == "DENY"  # still a dashboard page
    assert top_level.status_code == 404 and MENU not in top_level.text  # no dashboard section: the public page
    assert "We couldn't find this page" in page_text(top_level)


def test_any_other_unknown_address_shows_the_public_page_in_the_browsers_language(desk):
    desk.sign_in_as("admin")
    for path in ("/learn/es/pain-cycle/more", "/unsubscribe", "/preferences/a/b", "/checkin/x", "/wp-login.php"):
        english = desk.get(path, headers=BROWSER)
        spanish = desk.get(path, headers=SPANISH_BROWSER)

        assert english.status_code == spanish.status_code == 404, path
        assert "We couldn't find this page" in page_text(english), path
        assert "No encontramos esta página" in page_text(spanish), path
        assert '<html lang="es">' in spanish.text and spanish.headers["content-language"] == "es", path
        assert MENU not in english.text and "admin" not in page_text(english), path  # nor who is signed in
        assert english.headers["x-robots-tag"] == "noindex", path


def test_a_method_an_address_does_not_take_shows_a_page_that_keeps_the_allow_header(desk):
    desk.sign_in_as("front_desk")
    dashboard = desk.get("/logout", headers=BROWSER)
    form_to_a_page = desk.http.post("/attention", headers=BROWSER)
    public = desk.http.put("/learn/pain-cycle", headers=SPANISH_BROWSER)

    assert dashboard.status_code == form_to_a_page.status_code == public.status_code == 405
    assert dashboard.headers["allow"] == "POST" and public.headers["allow"] == "GET"
    assert "No page at this address" in page_text(dashboard) and MENU in dashboard.text
    assert "This page takes no form" in page_text(form_to_a_page)
    assert "No pudimos abrir esta página de esta manera" in page_text(public) and MENU not in public.text


def test_the_api_and_the_webhooks_keep_their_json_for_a_browser_too(visitor):
    for method, path in (
        ("GET", "/api/no-such-thing"),
        ("POST", "/api/v1/delivery-log"),
        ("GET", "/webhooks/no-such-provider"),
        ("GET", "/webhooks/twilio/inbound"),
    ):
        response = visitor.http.request(method, path, headers=BROWSER)

        assert response.status_code in (404, 405), path
        assert "json" in response.headers["content-type"] and "<html" not in response.text, path


def test_a_program_that_does_not_ask_for_html_keeps_the_json_answer(visitor):
    for accept in ("*/*", "application/json"):
        response = visitor.http.get("/no-such-page", headers={"accept": accept})

        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}


def get_paths(app) -> list[str]:  # noqa: ANN001
    """Every GET route of the app, the API's included, with each path parameter filled in."""
    paths = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.route, Mount) and hasattr(route.route.app, "routes"):
            paths += [route.path + path for path in get_paths(route.route.app)]
        elif "GET" in (route.methods or ()):
            paths.append(re.sub(r"\{[^}]+\}", "1", route.path))
    return paths


def test_every_get_route_answers_head_as_its_get_with_no_body(ctx, desk):
    desk.sign_in_as("admin")
    paths = get_paths(desk.app)
    lesson = f"/learn/{lesson_steps(ctx.catalog)[0].key}"

    assert {"/healthz", "/readyz", "/learn/1", "/", "/clients/1", "/api/v1/delivery-log"} <= set(paths)
    for path in [*paths, lesson, "/static/dashboard.css"]:
        head, get = desk.http.head(path), desk.get(path)

        assert head.status_code == get.status_code != 405, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
    assert desk.http.head(lesson).headers["content-length"] == str(len(desk.get(lesson).content))
    assert desk.http.head("/healthz").status_code == 200


def test_head_is_no_way_around_a_routes_methods(visitor):
    response = visitor.http.head("/webhooks/twilio/inbound")

    assert response.status_code == 405 and response.headers["allow"] == "POST"
