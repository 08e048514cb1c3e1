"""The admin's staff page: deactivate an account, reset its password, change its role; each ends or changes the
member's open sessions at once, is audited, and never removes the last active admin."""

from __future__ import annotations

import pytest

from tests.desk import PASSWORD, Desk, add_staff, audit_entries, page_text

NEW_PASSWORD = "a fresh and unusual passphrase"


@pytest.fixture
def admin(desk) -> Desk:
    return desk.sign_in_as("admin")


@pytest.fixture
def maria(admin) -> Desk:
    add_staff(admin.ctx, "maria", "front_desk")
    member = Desk(admin.ctx, now=admin.now)
    assert member.sign_in("maria").status_code == 303
    admin.advance(minutes=1)
    member.advance(minutes=1)
    return member


def told(desk: Desk, response) -> str:  # noqa: ANN001
    assert response.status_code == 303 and response.headers["location"] == "/users"
    return page_text(desk.get("/users"))


def test_the_page_offers_each_change_for_each_active_account(admin, maria):
    page = admin.get("/users").text

    for action in ("role", "password", "deactivate"):
        assert f'action="/users/maria/{action}"' in page
    assert page.count('name="csrf_token"') >= 6


def test_deactivating_ends_the_members_session_at_once(admin, maria):
    page = told(admin, admin.post("/users/maria/deactivate"))

    assert "Deactivated maria; their sessions have ended." in page
    assert maria.get("/").status_code == 303
    assert maria.sign_in("maria").status_code == 400
    assert [(e.actor, e.detail) for e in audit_entries(admin.ctx, "user.deactivate")] == [("admin", "maria")]


def test_a_password_reset_ends_the_members_sessions_and_replaces_the_password(admin, maria):
    page = told(admin, admin.post("/users/maria/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}))

    assert "New password set for maria; their sessions have ended." in page
    assert maria.get("/").status_code == 303
    assert maria.sign_in("maria", PASSWORD).status_code == 400
    assert maria.sign_in("maria", NEW_PASSWORD).status_code == 303
    assert [(e.actor, e.detail) for e in audit_entries(admin.ctx, "user.password_reset")] == [("admin", "maria")]


@pytest.mark.parametrize(
    "password, confirm, why",
    [
        ("password1234", "password1234", "too easy to guess. This is a very common password."),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "the two entries differ"),
    ],
)
def test_a_weak_or_mistyped_new_password_changes_nothing(admin, maria, password, confirm, why):
    page = told(admin, admin.post("/users/maria/password", {"password": password, "confirm": confirm}))

    assert f"Not changed: password: {why}" in page
    assert maria.get("/").status_code == 200
    assert audit_entries(admin.ctx, "user.password_reset") == []


def test_a_new_role_applies_from_the_members_next_request(admin, maria):
    assert maria.get("/campaigns").status_code == 403

    page = told(admin, admin.post("/users/maria/role", {"role": "marketing"}))

    assert "maria is now marketing." in page
    assert maria.get("/campaigns").status_code == 200
    assert maria.get("/clients").status_code == 403
    assert [e.detail for e in audit_entries(admin.ctx, "user.role")] == ["maria: front_desk to marketing"]


def test_the_last_active_admin_cannot_remove_themselves(admin):
    refused = told(admin, admin.post("/users/admin/deactivate"))
    demoted = told(admin, admin.post("/users/admin/role", {"role": "front_desk"}))

    assert "Not changed: cannot deactivate admin: it is the last active admin account" in refused
    assert "Not changed: cannot make front_desk admin: it is the last active admin account" in demoted
    assert admin.get("/users").status_code == 200


def test_any_member_sets_their_own_contact_details_and_then_may_send_a_test_there(admin):
    add_staff(admin.ctx, "mia", "marketing")
    mia = Desk(admin.ctx, now=admin.now)
    mia.sign_in("mia")
    test = "/campaigns/education/pain-cycle/test"

    refused_page = mia.get(mia.post(test, {"to": "+1 612 555 0111"}).headers["location"])
    refused = page_text(refused_page)
    own = page_text(mia.get("/users"))
    wrong = page_text(mia.get(mia.post("/users/me/contact", {"email": "mia@", "phone": ""}).headers["location"]))
    saved = mia.post("/users/me/contact", {"email": "Mia@Example.com", "phone": "(612) 555-0111"})
    queued = page_text(mia.get(mia.post(test, {"to": "+1 612 555 0111"}).headers["location"]))

    assert "Test not sent: +16125550111 is not your own phone, and no client has it with consent to texts" in refused
    assert 'href="/users#contact"' in refused_page.text  # the note links to the form
    assert "Your contact details" in own and "Manage an account" not in own and "API keys" not in own
    assert "Not changed: not a valid email address" in wrong
    assert saved.headers["location"] == "/users"
    assert "Test to +16125550111 queued" in queued
    assert 'value="mia@example.com"' in mia.get("/users").text.lower()
    assert [e.detail for e in audit_entries(admin.ctx, "user.contact")] == [
        "mia: email Mia@example.com, phone +16125550111"
    ]
    assert "Your contact details" in page_text(admin.get("/users")) and "Manage an account" in admin.get("/users").text
