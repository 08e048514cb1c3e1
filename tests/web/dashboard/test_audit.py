"""The audit log: its details show the instants they mention in the clinic's zone, as the footer says."""

from __future__ import annotations

from sqlmodel import Session

from outreach.services import facts
from tests.desk import START, page_text


def test_instants_in_audit_details_are_shown_in_the_clinics_zone(desk):
    with Session(desk.ctx.engine) as session:
        facts.audit(session, "frontdesk", "visit.record", None, "2026-03-02T14:00:00+00:00 attended", at=START)
        facts.audit(session, "api", "progress.record", None, "entry at 2026-01-05T18:30:00Z via api", at=START)
        facts.audit(session, "api", "import.upload", None, "clients: not-a-time 2026-13-45T99:99:00+00:00", at=START)
        session.commit()
    desk.sign_in_as("admin")

    page = page_text(desk.get("/audit"))

    assert "Mon 2 Mar 2026, 08:00 CST attended" in page
    assert "entry at Mon 5 Jan 2026, 12:30 CST via api" in page
    assert "not-a-time 2026-13-45T99:99:00+00:00" in page  # not an instant: left as written
    assert "2026-03-02T14:00:00+00:00" not in page
