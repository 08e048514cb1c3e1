"""One dashboard served by uvicorn in a background thread for the whole module, against a temporary SQLite file,
and headless Chromium from the system (never a downloaded browser) driving it through Playwright."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session

from outreach.context import Context
from outreach.models import Message, utcnow
from outreach.services import facts
from outreach.services.users import create_user
from outreach.web.app import create_app
from tests.conftest import REQUIRE_REAL_PARTS, ROOT, make_settings
from tests.helpers import add_client, change

CHROMIUM = os.environ.get("OUTREACH_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "correct horse battery staple"


@dataclass
class Site:
    url: str
    ctx: Context
    browser: object  # playwright.sync_api.Browser
    clients: dict[str, int] = field(default_factory=dict)

    def page(self, viewport: dict | None = None):  # noqa: ANN201  (playwright Page)
        """A fresh browser profile: no cookies, downloads allowed, console errors collected."""
        context = self.browser.new_context(
            base_url=self.url, accept_downloads=True, viewport=viewport or {"width": 1366, "height": 900}
        )
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        return page

    def signed_in(self, username: str, start: str = "/", viewport: dict | None = None):  # noqa: ANN201
        """A page signed in as `username`, at `start` (the front desk lands on the attention list)."""
        page = self.page(viewport)
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        if not page.url.endswith(start):
            page.goto(start)
        return page


def screenshot(page, name: str) -> Path:  # noqa: ANN001
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    reason = f"headless Chromium not found at {CHROMIUM} (set OUTREACH_TEST_CHROMIUM, or apt-get install chromium)"
    if REQUIRE_REAL_PARTS:
        pytest.fail(f"OUTREACH_REQUIRE_REAL_PARTS is set but {reason}")
    pytest.skip(reason)


def _seed(ctx: Context) -> dict[str, int]:
    now = utcnow()
    with Session(ctx.engine) as session:
        for username, role in (("frontdesk", "front_desk"), ("marketing", "marketing"), ("admin", "admin")):
            create_user(session, username, PASSWORD, role, actor="test")
        session.commit()
    ann = add_client(
        ctx, "c1", at=now - timedelta(days=40), first_name="Ann", email="ann@example.com", phone="+16125550100"
    )
    bo = add_client(
        ctx, "c2", at=now - timedelta(days=40), first_name="Bo", email="bo@example.com", phone="+16515550199"
    )
    mallory = add_client(
        ctx,
        "c3",
        at=now - timedelta(days=40),
        first_name="<script>alert(1)</script>",
        email="mallory@example.com",
        phone="+16125550177",
    )
    for weeks_ago in (4, 3, 2, 1):
        change(ctx, ann, facts.record_visit, now - timedelta(weeks=weeks_ago), "attended", "test")
    change(ctx, ann, facts.record_visit, now + timedelta(days=3), "booked", "test")
    change(ctx, ann, facts.record_progress, now - timedelta(weeks=4), 8, "test")
    change(ctx, ann, facts.record_progress, now - timedelta(weeks=2), 5, "test")
    with Session(ctx.engine) as session:
        for minutes, client, status, channel, campaign, step, reason in (
            (300, ann, "delivered", "email", "education", "pain-cycle", ""),
            (240, ann, "failed", "sms", "rebook", "nudge", "Number opted out of texts (21610)"),
            (200, bo, "planned", "sms", "rebook", "nudge", "Deferred: quiet hours in America/Denver until 08:00"),
            (150, bo, "failed", "email", "education", "circulation", "Mailbox does not exist (550)"),
            (100, mallory, "sent", "email", "education", "pain-cycle", ""),
            (60, bo, "skipped", "email", "reminder", "day-before", "No email consent"),
        ):
            at = now - timedelta(minutes=minutes)
            session.add(
                Message(
                    key=f"{client}:{campaign}:{step}:{minutes}",
                    client_id=client,
                    campaign=campaign,
                    step=step,
                    cycle="0",
                    stream=campaign,
                    channel=channel,
                    status=status,
                    due_at=at,
                    reason=reason,
                    created_at=at,
                    updated_at=at,
                    sent_at=at if status in ("sent", "delivered") else None,
                    to_address="+16125550100" if channel == "sms" else "ann@example.com",
                )
            )
        session.commit()
    return {"ann": ann, "bo": bo, "mallory": mallory}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    chromium = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("browser")
    ctx = Context(
        make_settings(f"sqlite:///{tmp / 'outreach.db'}", tmp),
        campaigns_dir=ROOT / "campaigns",
        templates_dir=ROOT / "templates",
    )
    ctx.upgrade_schema()
    clients = _seed(ctx)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            yield Site(f"http://127.0.0.1:{listener.getsockname()[1]}", ctx, browser, clients)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        ctx.engine.dispose()
