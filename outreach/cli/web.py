"""`outreach web` serves the dashboard and webhooks; `outreach users …` manages staff accounts."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Optional

import typer
from sqlmodel import Session

from outreach.cli.common import Typer, cli_actor, context, fail
from outreach.models import Role, StaffUser
from outreach.services import users
from outreach.settings import get_settings


def register(app: typer.Typer) -> None:
    app.command()(web)
    users_app = Typer(help="Staff accounts for the dashboard.", no_args_is_help=True)
    users_app.command("add")(add_user)
    users_app.command("list")(list_users)
    users_app.command("deactivate")(deactivate_user)
    users_app.command("reset-password")(reset_password)
    users_app.command("set-role")(set_role)
    users_app.command("set-contact")(set_contact)
    app.add_typer(users_app, name="users")


def web(
    host: Optional[str] = typer.Option(None, help="Address to listen on; default: [web] host."),
    port: Optional[int] = typer.Option(None, help="Port to listen on; default: [web] port."),
) -> None:
    """Serve the dashboard and the provider webhooks. Run exactly this in the web process."""
    import uvicorn

    context(upgrade=False, needs_campaigns=True).secret_key  # noqa: B018  (a missing or short signing key stops start-up here)
    settings = get_settings().web
    uvicorn.run(
        "outreach.web.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
    )


def add_user(
    name: str = typer.Argument(..., help="The username staff will sign in with."),
    role: Role = typer.Option(
        ..., help="front_desk: clients and the log; marketing: campaigns and the log; admin: everything."
    ),
) -> None:
    """Add a staff account. The password is asked for twice and never echoed."""
    try:
        username = users.check_username(name)
    except users.UserError as exc:
        fail(str(exc))
    password = _new_password(username)
    ctx = context()
    with Session(ctx.engine) as session:
        try:
            users.create_user(session, username, password, role, actor=cli_actor())
        except users.UserError as exc:
            fail(str(exc))
        session.commit()
    typer.echo(f"Added {username} ({role.value}).")


def list_users() -> None:
    """Every staff account with its role."""
    ctx = context()
    with Session(ctx.engine) as session:
        accounts = users.list_users(session)
    if not accounts:
        typer.echo("No staff accounts yet: add one with `outreach users add NAME --role admin`.")
        return
    width = max(len(user.username) for user in accounts)
    for user in accounts:
        state = "" if user.active else "  (inactive)"
        typer.echo(f"{user.username:<{width}}  {user.role:<10}  added {user.created_at:%Y-%m-%d}{state}")


def deactivate_user(name: str = typer.Argument(..., help="The username to close.")) -> None:
    """Close a staff account: it can no longer sign in, and its open sessions end. Audited."""
    _change(name, "Deactivated {user}.", lambda session, actor: users.deactivate(session, name, actor, _now()))


def reset_password(name: str = typer.Argument(..., help="The username whose password to replace.")) -> None:
    """Give a staff account a new password (asked for twice, never echoed); its open sessions end. Audited."""
    password = _new_password(users.normalise_username(name))
    _change(
        name,
        "New password set for {user}; their sessions have ended.",
        lambda session, actor: users.reset_password(session, name, password, actor, _now()),
    )


def set_role(
    name: str = typer.Argument(..., help="The username to change."),
    role: Role = typer.Option(..., help="The new role: front_desk, marketing or admin."),
) -> None:
    """Change a staff account's role; it applies from that member's next page. Audited."""
    _change(
        name,
        "{user} is now " + role.value + ".",
        lambda session, actor: users.change_role(session, name, role.value, actor, _now()),
    )


def set_contact(
    name: str = typer.Argument(..., help="The username whose own contact details to set."),
    email: Optional[str] = typer.Option(None, help="The member's own email address; an empty string clears it."),
    phone: Optional[str] = typer.Option(None, help="The member's own mobile number; an empty string clears it."),
) -> None:
    """Set a staff member's own email and phone: the only staff addresses a test send may go to. Audited."""
    if email is None and phone is None:
        fail("Give --email, --phone or both.", 2)
    region = get_settings().clinic.default_region
    _change(
        name,
        "Contact details of {user} set.",
        lambda session, actor: users.set_contact(session, name, actor, _now(), region=region, email=email, phone=phone),
    )


def _change(name: str, done: str, change: Callable[[Session, str], StaffUser]) -> None:
    ctx = context()
    with Session(ctx.engine) as session:
        try:
            user = change(session, cli_actor())
        except users.UserError as exc:
            fail(str(exc))
        session.commit()
        typer.echo(done.format(user=user.username))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _new_password(username: str) -> str:
    while True:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            return users.check_password(password, username)
        except users.UserError as exc:
            typer.secho(str(exc), err=True, fg=typer.colors.RED)
