"""Staff sessions: signing in and out, roles on every route, CSRF, the login rate limit, idle timeout, headers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from outreach.models import Client, StaffUser
from outreach.web.dashboard.auth import current_staff
from outreach.web.dashboard.csrf import verify_csrf
from outreach.web.dashboard import secure_cookies
from outreach.web.dashboard.routes import PAGES
from outreach.web.dashboard.routes import router as dashboard_routes
from tests.helpers import add_client
from tests.desk import START, Desk, add_staff, audit_entries

FORMS = {
    "progress": {"pain": "5"},
    "visits": {"starts_at": "2026-03-02T08:00", "status": "attended"},
    "consent": {"channel": "email", "granted": "no", "note": "asked at the desk"},
    "status": {"status": "paused"},
}


def routes(client_id: int, campaign: str, step: str) -> list[tuple[str, str, dict]]:
    return [
        ("GET", "/", {}),
        ("GET", "/?status=failed&client=ann", {}),
        ("GET", "/export.csv", {}),
        ("GET", "/clients", {}),
        ("GET", f"/clients/{client_id}", {}),
        *(("POST", f"/clients/{client_id}/{form}", data) for form, data in FORMS.items()),
        ("GET", "/campaigns", {}),
        ("GET", f"/campaigns/{campaign}/{step}", {}),
        ("POST", f"/campaigns/{campaign}/{step}/test", {"to": "owner@example.com"}),
        ("GET", "/status", {}),
        ("GET", "/audit", {}),
        ("GET", "/users", {}),
        *(
            ("POST", f"/users/nobody/{change}", data)
            for change, data in (
                ("role", {"role": "admin"}),
                ("password", {"password": "x", "confirm": "x"}),
                ("deactivate", {}),
            )
        ),
    ]


def expected(role: str | None, method: str, path: str) -> int:
    if role is None:
        return 303  # to the sign-in page
    if path.startswith("/campaigns"):
        allowed = role in ("marketing", "admin")
    elif path.startswith(("/clients", "/export.csv", "/?status")):  # filtering by client is client data
        allowed = role in ("front_desk", "admin")
    elif path == "/audit" or path.startswith("/users/"):  # /users shows anyone their own contact details
        allowed = role == "admin"
    else:
        allowed = True
    if not allowed:
        return 403
    return 303 if method == "POST" else 200


@pytest.mark.parametrize("role", [None, "front_desk", "marketing", "admin"])
def test_it_lets_each_role_use_exactly_its_routes(desk, role):
    client_id = add_client(desk.ctx, at=START)
    campaign = desk.ctx.catalog.campaigns[0]
    if role:
        desk.sign_in_as(role)
    observed, wanted = {}, {}
    for method, path, data in routes(client_id, campaign.name, campaign.steps[0].key):
        response = desk.get(path) if method == "GET" else desk.post(path, data)
        observed[method, path] = response.status_code
        wanted[method, path] = expected(role, method, path)
    assert observed == wanted


def test_it_sends_a_visitor_to_sign_in_and_then_to_the_page_they_asked_for(desk):
    client_id = add_client(desk.ctx, at=START)
    add_staff(desk.ctx, "maria", "front_desk")

    asked = desk.get(f"/clients/{client_id}")
    assert asked.headers["location"] == f"/login?next=%2Fclients%2F{client_id}"
    signed_in = desk.post(
        "/login", {"username": "Maria", "password": "correct horse battery staple", "next": f"/clients/{client_id}"}
    )

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == f"/clients/{client_id}"
    assert desk.get(signed_in.headers["location"]).status_code == 200
    assert [(e.actor, e.action) for e in audit_entries(desk.ctx, "login")] == [("maria", "login")]


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_it_never_sends_anyone_off_site_after_signing_in(desk, target):
    add_staff(desk.ctx, "maria", "front_desk")

    response = desk.post("/login", {"username": "maria", "password": "correct horse battery staple", "next": target})

    assert response.headers["location"] == "/attention"  # the front desk's start page, on this site


def test_it_refuses_a_wrong_password_and_audits_the_attempt(desk):
    add_staff(desk.ctx, "maria", "front_desk")

    response = desk.sign_in("maria", "not the password at all")

    assert response.status_code == 400
    assert "do not match an active account" in response.text
    assert desk.get("/").status_code == 303
    assert [(e.actor, e.detail) for e in audit_entries(desk.ctx, "login.failed")] == [("maria", "from testclient")]


def test_it_refuses_an_inactive_account_even_with_its_password(desk):
    add_staff(desk.ctx, "gone", "admin", active=False)

    assert desk.sign_in("gone").status_code == 400


def test_it_stops_trying_passwords_after_too_many_failures_for_fifteen_minutes(desk):
    add_staff(desk.ctx, "maria", "front_desk")
    add_staff(desk.ctx, "joe", "front_desk")
    for _ in range(desk.ctx.settings.web.login_attempts):
        assert desk.sign_in("maria", "guessing wrongly").status_code == 400
    desk.advance(minutes=5)

    refused = desk.sign_in("maria")
    other_user = Desk(desk.ctx, now=desk.now).sign_in("joe")
    desk.advance(minutes=10, seconds=1)
    later = desk.sign_in("maria")

    assert refused.status_code == 429
    assert "Try again in 10 minutes" in refused.text
    assert other_user.status_code == 303
    assert later.status_code == 303


def test_it_counts_failures_seen_by_every_web_process(desk):
    add_staff(desk.ctx, "maria", "front_desk")
    other_process = Desk(desk.ctx, now=desk.now)
    for _ in range(desk.ctx.settings.web.login_attempts):
        other_process.sign_in("maria", "guessing wrongly")

    assert desk.sign_in("maria").status_code == 429


def test_it_ends_a_session_left_idle_longer_than_the_timeout(desk):
    desk.sign_in_as("front_desk")
    idle = desk.ctx.settings.web.idle_timeout_minutes

    desk.advance(minutes=idle - 1)
    still_there = desk.get("/")
    desk.advance(minutes=idle + 1)
    expired = desk.get("/status")
    desk.advance(minutes=-idle - 1)  # even with the clock back, the session is gone
    after = desk.get("/")

    assert still_there.status_code == 200
    assert expired.headers["location"] == "/login?expired=1&next=%2Fstatus"
    assert after.status_code == 303
    assert "signed out after a period of inactivity" in desk.get("/login?expired=1").text


def test_it_keeps_a_busy_session_going(desk):
    desk.sign_in_as("front_desk")

    for _ in range(6):
        desk.advance(minutes=20)
        assert desk.get("/").status_code == 200


def test_it_ends_every_earlier_session_of_a_user_who_signs_out(desk):
    desk.sign_in_as("front_desk")
    copied = TestClient(desk.app, base_url="http://127.0.0.1", cookies=dict(desk.http.cookies))
    assert copied.get("/", follow_redirects=False).status_code == 200

    desk.advance(minutes=1)
    signed_out = desk.post("/logout")
    desk.advance(minutes=1)

    assert signed_out.headers["location"] == "/login"
    assert desk.get("/").status_code == 303
    assert copied.get("/", follow_redirects=False).status_code == 303
    assert [e.actor for e in audit_entries(desk.ctx, "logout")] == ["frontdesk"]


def test_it_ends_the_session_of_an_account_made_inactive(desk):
    desk.sign_in_as("admin")
    with Session(desk.ctx.engine) as session:
        user = session.get(StaffUser, 1)
        user.active = False
        session.add(user)
        session.commit()

    assert desk.get("/").status_code == 303


def test_it_refuses_forms_without_this_sessions_csrf_token_and_changes_nothing(desk):
    client_id = add_client(desk.ctx, at=START)
    desk.sign_in_as("admin")
    before = len(audit_entries(desk.ctx))

    for form, data in FORMS.items():
        for token in (None, "forged-token"):
            response = desk.post(
                f"/clients/{client_id}/{form}", {**data, "csrf_token": token} if token else data, csrf=False
            )
            assert response.status_code == 403, (form, token)
            assert "That form could not be accepted" in response.text
    refused_logout = desk.post("/logout", csrf=False)

    assert refused_logout.status_code == 403
    assert len(audit_entries(desk.ctx)) == before
    with Session(desk.ctx.engine) as session:
        client = session.get(Client, client_id)
        assert (client.status, client.email_consent) == ("active", True)


def test_it_refuses_a_sign_in_form_posted_from_elsewhere(desk):
    add_staff(desk.ctx, "maria", "front_desk")

    response = desk.post("/login", {"username": "maria", "password": "correct horse battery staple"}, csrf=False)

    assert response.status_code == 403
    assert audit_entries(desk.ctx, "login") == []


def test_it_sends_a_form_from_an_ended_session_to_sign_in_rather_than_refusing_it(desk):
    client_id = add_client(desk.ctx, at=START)
    desk.sign_in_as("front_desk")
    token = desk.csrf_token()
    desk.advance(hours=2)

    response = desk.post(f"/clients/{client_id}/progress", {"pain": "4", "csrf_token": token})

    assert response.headers["location"].startswith("/login")


def test_it_sends_security_headers_with_every_dashboard_page(desk):
    desk.sign_in_as("admin")

    for path in ("/login", "/", "/status", "/no-such-page"):
        headers = desk.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"


def test_it_sets_a_session_cookie_scripts_cannot_read(desk):
    add_staff(desk.ctx, "maria", "front_desk")

    cookie = desk.sign_in("maria").headers["set-cookie"].lower()

    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # served from localhost over plain HTTP here


@pytest.mark.parametrize(
    "url, secure",
    [
        ("http://localhost:8000", False),
        ("http://127.0.0.1:8000", False),
        ("https://clinic.example", True),
        ("http://clinic.example", True),
    ],
)
def test_it_marks_cookies_secure_unless_served_from_this_machine(url, secure):
    assert secure_cookies(url) is secure


def test_it_leaves_webhooks_and_unsubscribe_links_to_their_own_checks(desk):
    for path in ("/webhooks/sendgrid/events", "/webhooks/twilio/inbound", "/unsubscribe/not-a-token"):
        response = desk.post(path, {}, csrf=False)
        assert response.status_code != 303, path
        assert "That form could not be accepted" not in response.text, path


def test_it_puts_every_dashboard_route_behind_sign_in_and_csrf():
    def calls(dependant) -> set:  # noqa: ANN001
        found = {dependant.call}
        for dependency in dependant.dependencies:
            found |= calls(dependency)
        return found

    paths = [(route.path, calls(route.dependant)) for page in PAGES for route in page.router.routes]

    assert [dependency.dependency for dependency in dashboard_routes.dependencies] == [verify_csrf]
    assert len(paths) >= 15
    assert [path for path, used in paths if current_staff not in used] == ["/login", "/login", "/logout"]


@pytest.mark.parametrize(
    "path, status",
    [
        ("/clients/abc", 404),
        ("/clients/99999999999999999999999", 404),
        ("/clients/0", 404),
        ("/audit?client=-4", 400),
        ("/audit?before=99999999999999999999999", 400),
        ("/clients?page=many", 400),
        ("/?before=1.99999999999999999999999", 200),
        ("/?from=0001-01-01&to=9999-12-31", 400),
    ],
)
def test_it_answers_a_mangled_address_with_a_page_not_a_crash(desk, path, status):
    desk.sign_in_as("admin")

    response = desk.get(path)

    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
