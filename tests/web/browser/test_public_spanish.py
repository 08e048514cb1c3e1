"""The Spanish public pages in Chromium, at phone (390x844) and laptop (1366x768) width: each Spanish lesson, the
preference page and the check-in pages pass axe-core, say `lang="es"`, scroll nothing sideways, and the preference
page's language choice works without JavaScript. Screenshots go to var/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from outreach.models import Client, utcnow
from outreach.services.lessons import lesson_steps
from outreach.signed_links import make_checkin_token, make_preference_token
from tests.helpers import add_client
from tests.web.browser.conftest import screenshot
from tests.web.public.test_checkin_email import sent_checkin

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
EMAIL = "lucia@example.org"


@pytest.fixture(scope="module")
def lucia(site) -> int:
    """A client who reads Spanish, with a check-in sent a moment ago."""
    client_id = add_client(site.ctx, "es-1", at=utcnow(), first_name="Lucía", email=EMAIL, phone="+16125550142")
    with Session(site.ctx.engine) as session:
        client = session.get(Client, client_id)
        client.language = "es"
        session.add(client)
        session.commit()
    return client_id


def checked(page, name: str) -> None:  # noqa: ANN001
    """Spanish, axe-core clean, no sideways scrolling, no console error; and a screenshot to look at."""
    from axe_playwright_python.sync_playwright import Axe

    assert page.locator("html").get_attribute("lang") == "es", name
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "best-practice"]})
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    assert page.console_errors == [], name
    screenshot(page, name)


def width(viewport: dict) -> str:
    return "phone" if viewport is PHONE else "laptop"


@VIEWPORTS
def test_every_spanish_lesson_page_passes_axe_core(site, viewport):
    page = site.page(viewport)
    lessons = [s for s in lesson_steps(site.ctx.catalog) if site.ctx.renderer.has_template(s, "email", "es")]
    assert lessons
    for step in lessons:
        page.goto(f"/learn/es/{step.key}")

        checked(page, f"es-lesson-{step.key}-{width(viewport)}")
        assert page.get_by_role("link", name="Reserve su próxima visita").is_visible()


@VIEWPORTS
def test_the_spanish_preference_page_passes_axe_core_and_its_language_choice_works(site, lucia, viewport):
    page = site.page(viewport)
    page.goto(f"/preferences/{make_preference_token(site.ctx.secret_key, lucia, 'email', EMAIL, utcnow())}")
    assert page.get_by_role("heading", name="Hola, Lucía: elija qué le enviamos").is_visible()
    assert page.get_by_role("group", name="Idioma").get_by_role("radio", name="Español").is_checked()
    checked(page, f"es-preferences-{width(viewport)}")

    page.get_by_role("group", name="Idioma").get_by_role("radio", name="English").check()
    page.get_by_role("button", name="Guardar mis preferencias").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("status").inner_text().startswith("Saved.")
    page.get_by_role("group", name="Language").get_by_role("radio", name="Español").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_load_state()
    checked(page, f"es-preferences-saved-{width(viewport)}")
    assert page.get_by_role("status").inner_text().startswith("Listo")


@VIEWPORTS
def test_the_spanish_checkin_pages_pass_axe_core(site, lucia, viewport):
    asked_at = utcnow() - timedelta(hours=1 if viewport is PHONE else 3)  # a check-in each
    message_id = sent_checkin(site.ctx, lucia, asked_at)
    page = site.page(viewport)
    page.goto(f"/checkin/{make_checkin_token(site.ctx.secret_key, lucia, message_id)}/3")
    assert page.get_by_role("heading", name="Hola, Lucía: ¿es esta su respuesta?").is_visible()
    checked(page, f"es-checkin-{width(viewport)}")

    page.get_by_role("button", name="Enviar mi respuesta").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", name="Gracias, Lucía").is_visible()
    checked(page, f"es-checkin-done-{width(viewport)}")
