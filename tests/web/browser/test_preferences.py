"""The preference page in Chromium, at phone and laptop width: axe-core finds no violation, nothing scrolls
sideways, and the forms work without JavaScript (the page has none). Screenshots go to /tmp/work/shots/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from outreach.models import Client, utcnow
from outreach.signed_links import make_preference_token, make_unsubscribe_token

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
SHOTS = Path("/tmp/work/shots")


def preference_path(site, name: str = "ann", issued_days_ago: int = 0) -> str:  # noqa: ANN001
    ctx, client_id = site.ctx, site.clients[name]
    with Session(ctx.engine) as session:
        email = session.get(Client, client_id).email
    issued = utcnow() - timedelta(days=issued_days_ago)
    return f"/preferences/{make_preference_token(ctx.secret_key, client_id, 'email', email, issued)}"


def check(page, name: str) -> None:  # noqa: ANN001
    """axe-core clean, no sideways scrolling, no console error; and a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "best-practice"]})
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    assert page.console_errors == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390", "1280"])
def test_the_preference_page_passes_axe_core_and_its_forms_work(site, viewport):
    width = viewport["width"]
    page = site.page(viewport)
    page.goto(preference_path(site, "bo"))
    assert page.get_by_role("heading", name="Hi Bo, choose what we send you").is_visible()
    check(page, f"preferences-{width}")

    page.get_by_role("group", name="Lessons and tips").get_by_label("By email").uncheck()
    page.get_by_role("radio", name="By text").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_load_state()

    assert page.get_by_role("status").inner_text().startswith("Saved.")
    assert not page.get_by_role("group", name="Lessons and tips").get_by_label("By email").is_checked()
    assert page.get_by_role("radio", name="By text").is_checked()

    page.get_by_role("radio", name="4 weeks").check()
    page.get_by_role("button", name="Pause").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", name="Paused until").is_visible()
    check(page, f"preferences-paused-{width}")
    page.get_by_role("button", name="Resume now").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Pause").is_visible()
    with Session(site.ctx.engine) as session:
        client = session.get(Client, site.clients["bo"])
        assert client.paused_until is None and client.checkin_channel == "sms"


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390", "1280"])
def test_an_expired_link_and_the_unsubscribe_landing_page_pass_axe_core(site, viewport):
    width = viewport["width"]
    page = site.page(viewport)

    response = page.goto(preference_path(site, issued_days_ago=site.ctx.settings.web.preference_link_days + 1))
    assert response.status == 410 and page.get_by_role("button", name="Send me a new link").is_visible()
    page.console_errors.clear()  # Chromium reports the 410 itself
    check(page, f"preferences-expired-{width}")

    token = make_unsubscribe_token(site.ctx.secret_key, site.clients["mallory"], "email", "education", "education")
    page.goto(f"/unsubscribe/{token}")
    check(page, f"unsubscribe-lesson-{width}")
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="You won't get lesson emails").is_visible()
    check(page, f"unsubscribe-done-{width}")
