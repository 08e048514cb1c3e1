"""A front desk driving the app through FastAPI's TestClient,
signed in as real staff accounts, with the app's clock frozen so idle timeouts and rate limits need no sleeps."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from outreach.context import Context
from outreach.models import AuditEntry, StaffUser
from outreach.web.app import create_app
from tests.conftest import utc

PASSWORD = "correct horse battery staple"
START = utc(2026, 3, 2, 15, 0)  # a Monday, 09:00 in Minneapolis
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2id hash for every test account, made cheap to check so wrong-password stories run fast
    (signing in upgrades it to the full-strength parameters, as it would an old hash)."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def add_staff(ctx: Context, username: str, role: str, active: bool = True) -> int:
    with Session(ctx.engine) as session:
        user = StaffUser(username=username, password_hash=password_hash(), role=role, active=active)
        session.add(user)
        session.commit()
        return user.id


def give_contact(ctx: Context, username: str, email: str = "", phone: str = "") -> None:
    """Give a staff account its own email and phone (E.164), the addresses its test sends may go to."""
    with Session(ctx.engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
        user.email, user.phone = email, phone
        session.add(user)
        session.commit()


def page_text(response) -> str:
    """What a person reads on a page: no tags, entities decoded, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def audit_entries(ctx: Context, action: str | None = None) -> list[AuditEntry]:
    with Session(ctx.engine) as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(session.exec(query))


class Desk:
    """A browser at the front desk, as far as HTTP goes: cookies, CSRF tokens and a clock we control."""

    def __init__(self, ctx: Context, now: datetime = START) -> None:
        self.ctx = ctx
        self.now = now
        self.app = create_app(ctx)
        self.app.state.clock = lambda: self.now
        self.http = TestClient(self.app, base_url="http://127.0.0.1")

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def get(self, path: str, **kwargs):  # noqa: ANN003, ANN201
        return self.http.get(path, follow_redirects=False, **kwargs)

    def post(self, path: str, data: dict | None = None, csrf: bool = True):  # noqa: ANN201
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf_token())
        return self.http.post(path, data=form, follow_redirects=False)

    def csrf_token(self) -> str:
        return CSRF_FIELD.search(self.http.get("/login").text).group(1)

    def sign_in(self, username: str, password: str = PASSWORD):  # noqa: ANN201
        return self.post("/login", {"username": username, "password": password})

    def sign_in_as(self, role: str) -> "Desk":
        """Add an account with this role (named after it) and sign in with it."""
        add_staff(self.ctx, role.replace("_", ""), role)
        response = self.sign_in(role.replace("_", ""))
        assert response.status_code == 303, response.text
        return self
