"""Staff accounts: argon2id hashes, the rules for names and passwords, and `outreach users add|list`."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from outreach.cli import app
from outreach.models import AuditEntry, StaffUser
from outreach.services import users
from outreach.settings import get_settings
from tests.conftest import utc

PASSWORD = "a long enough passphrase"
NOW = utc(2026, 3, 2, 15, 0)


def accounts(ctx) -> list[StaffUser]:
    with Session(ctx.engine) as session:
        return list(session.exec(select(StaffUser)))


def test_it_stores_only_an_argon2id_hash_and_audits_the_new_account(ctx):
    with Session(ctx.engine) as session:
        users.create_user(session, " Maria ", PASSWORD, "front_desk", actor="cli")
        session.commit()
        audit = session.exec(select(AuditEntry)).one()

    (user,) = accounts(ctx)
    assert (user.username, user.role, user.active) == ("maria", "front_desk", True)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert (audit.actor, audit.action, audit.detail) == ("cli", "user.create", "maria as front_desk")


@pytest.mark.parametrize(
    "username, password, role, problem",
    [
        ("maria", "short", "admin", "at least 12 characters"),
        ("maria smith", PASSWORD, "admin", "use 1-64 letters, digits"),
        ("", PASSWORD, "admin", "use 1-64 letters, digits"),
        ("maria", PASSWORD, "owner", "choose one of front_desk, marketing, admin"),
    ],
)
def test_it_refuses_an_unusable_account_and_adds_nothing(ctx, username, password, role, problem):
    with Session(ctx.engine) as session, pytest.raises(users.UserError, match=problem):
        users.create_user(session, username, password, role, actor="cli")

    assert accounts(ctx) == []


def test_it_refuses_a_taken_username_whatever_its_case(ctx):
    with Session(ctx.engine) as session:
        users.create_user(session, "maria", PASSWORD, "admin", actor="cli")
        session.commit()
        with pytest.raises(users.UserError, match="already taken"):
            users.create_user(session, "MARIA", PASSWORD, "marketing", actor="cli")


def test_it_authenticates_only_the_right_password_of_an_active_account(ctx):
    with Session(ctx.engine) as session:
        users.create_user(session, "maria", PASSWORD, "admin", actor="cli")
        users.create_user(session, "gone", PASSWORD, "admin", actor="cli").active = False
        session.commit()

        assert users.authenticate(session, "Maria", PASSWORD).username == "maria"
        assert users.authenticate(session, "maria", PASSWORD + "!") is None
        assert users.authenticate(session, "nobody", PASSWORD) is None
        assert users.authenticate(session, "gone", PASSWORD) is None


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    """`outreach` as the shell runs it, against this test's database."""
    monkeypatch.setenv("OUTREACH_DATABASE__URL", database_url)
    monkeypatch.setenv("OUTREACH_OUTBOX__DIRECTORY", str(tmp_path / "outbox"))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, input=None: runner.invoke(app, list(args), input=input)
    get_settings.cache_clear()


def test_it_adds_a_user_from_the_command_line_asking_twice_for_the_password(cli):
    result = cli(
        "users", "add", "Maria", "--role", "front_desk", input=f"too short\ntoo short\n{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert "use at least 12 characters" in result.output
    assert "Added maria (front_desk)." in result.output
    assert PASSWORD not in result.output
    listed = cli("users", "list")
    assert listed.output.split()[:2] == ["maria", "front_desk"]


def test_it_asks_again_when_the_two_passwords_differ(cli):
    result = cli("users", "add", "maria", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


def test_it_refuses_an_unknown_role_or_a_taken_name_on_the_command_line(cli):
    unknown_role = cli("users", "add", "maria", "--role", "owner", input=f"{PASSWORD}\n{PASSWORD}\n")
    cli("users", "add", "maria", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    taken = cli("users", "add", "maria", "--role", "marketing", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert unknown_role.exit_code == 2
    assert taken.exit_code == 1
    assert "username 'maria' is already taken" in taken.output


# --- weak passwords, deactivation, password resets and roles ------------------------------------------------


@pytest.mark.parametrize(
    "password, why",
    [
        ("password1234", "This is a very common password."),
        ("qwertyuiop12", "This is similar to a commonly used password."),
        ("aaaaaaaaaaaa", 'Repeats like "aaa" are easy to guess.'),
        ("abcdefghijkl", 'Sequences like "abc" or "6543" are easy to guess.'),
        ("mariamaria12", "too easy to guess"),
    ],
)
def test_it_refuses_a_common_or_trivially_weak_password(ctx, password, why):
    with Session(ctx.engine) as session, pytest.raises(users.UserError, match="too easy to guess") as refused:
        users.create_user(session, "maria", password, "admin", actor="cli")

    assert why in str(refused.value)
    assert accounts(ctx) == []


def some_staff(ctx, *accounts_and_roles: tuple[str, str]) -> None:
    with Session(ctx.engine) as session:
        for username, role in accounts_and_roles:
            users.create_user(session, username, PASSWORD, role, actor="cli")
        session.commit()


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(ctx):
    some_staff(ctx, ("alex", "admin"), ("sam", "admin"), ("maria", "front_desk"))
    with Session(ctx.engine) as session:
        users.deactivate(session, "sam", "alex", NOW)
        session.commit()
        with pytest.raises(users.UserError, match="alex: it is the last active admin account"):
            users.deactivate(session, "alex", "alex", NOW)
        with pytest.raises(users.UserError, match="cannot make marketing alex: it is the last active admin"):
            users.change_role(session, "alex", "marketing", "alex", NOW)
        users.change_role(session, "maria", "admin", "alex", NOW)
        users.change_role(session, "alex", "marketing", "maria", NOW)
        session.commit()

    assert {(u.username, u.role, u.active) for u in accounts(ctx)} == {
        ("alex", "marketing", True),
        ("sam", "admin", False),
        ("maria", "admin", True),
    }


def test_every_change_to_an_account_is_audited(ctx):
    some_staff(ctx, ("alex", "admin"), ("maria", "front_desk"))
    with Session(ctx.engine) as session:
        users.change_role(session, "maria", "marketing", "alex", NOW)
        users.reset_password(session, "maria", "another long passphrase", "alex", NOW)
        users.deactivate(session, "maria", "alex", NOW)
        session.commit()
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action != "user.create").order_by(AuditEntry.id)
        ).all()

    assert [(e.actor, e.action, e.detail) for e in entries] == [
        ("alex", "user.role", "maria: front_desk to marketing"),
        ("alex", "user.password_reset", "maria"),
        ("alex", "user.deactivate", "maria"),
    ]


def test_a_reset_password_is_judged_like_a_new_one_and_replaces_the_old(ctx):
    some_staff(ctx, ("maria", "front_desk"))
    with Session(ctx.engine) as session:
        with pytest.raises(users.UserError, match="too easy to guess"):
            users.reset_password(session, "maria", "password1234", "alex", NOW)
        users.reset_password(session, "maria", "another long passphrase", "alex", NOW)
        session.commit()

        assert users.authenticate(session, "maria", PASSWORD) is None
        assert users.authenticate(session, "maria", "another long passphrase").username == "maria"


def test_it_manages_accounts_from_the_command_line(cli):
    cli("users", "add", "alex", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n")
    cli("users", "add", "maria", "--role", "front_desk", input=f"{PASSWORD}\n{PASSWORD}\n")

    promoted = cli("users", "set-role", "maria", "--role", "admin")
    reset = cli(
        "users",
        "reset-password",
        "Maria",
        input="password1234\npassword1234\nanother long passphrase\nanother long passphrase\n",
    )
    deactivated = cli("users", "deactivate", "alex")
    last = cli("users", "deactivate", "maria")
    nobody = cli("users", "deactivate", "nobody")

    assert promoted.exit_code == 0 and "maria is now admin." in promoted.output
    assert reset.exit_code == 0 and "This is a very common password." in reset.output
    assert "New password set for maria" in reset.output
    assert deactivated.exit_code == 0 and "Deactivated alex." in deactivated.output
    assert last.exit_code == 1 and "last active admin" in last.output
    assert nobody.exit_code == 1 and "there is no staff account named 'nobody'" in nobody.output
    assert "(inactive)" in [line for line in cli("users", "list").output.splitlines() if "alex" in line][0]


def test_set_contact_gives_a_member_their_own_email_and_phone_normalised_and_audited(cli):
    cli("users", "add", "maria", "--role", "marketing", input=f"{PASSWORD}\n{PASSWORD}\n")

    result = cli("users", "set-contact", "Maria", "--email", "Maria@Example.COM", "--phone", "(612) 555-0111")
    cleared = cli("users", "set-contact", "maria", "--phone", "")
    wrong = cli("users", "set-contact", "maria", "--email", "maria@@example.com")
    nothing = cli("users", "set-contact", "maria")

    assert result.exit_code == 0 and "Contact details of maria set." in result.output
    assert cleared.exit_code == 0 and wrong.exit_code == 1 and nothing.exit_code == 2
    assert "not a valid email address" in wrong.output and "Give --email, --phone or both." in nothing.output
    with Session(users_engine()) as session:
        maria = users.find_user(session, "maria")
        details = [e.detail for e in session.exec(select(AuditEntry).where(AuditEntry.action == "user.contact"))]
    assert (maria.email, maria.phone) == ("Maria@example.com", "")
    assert details == [
        "maria: email Maria@example.com, phone +16125550111",
        "maria: email Maria@example.com, phone (none)",
    ]


def users_engine():  # noqa: ANN201
    from outreach.db import engine_for

    return engine_for(get_settings().database.url)
