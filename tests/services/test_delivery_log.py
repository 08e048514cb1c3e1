"""The delivery log sorts by the time it shows; a sent row carries no stale deferral reason, kept as events."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from outreach.sending.dispatch import dispatch_due
from outreach.models import DeliveryEvent, Message
from outreach.sending.planner import plan_due
from outreach.services.delivery_log import LogFilter, log_page
from tests.conftest import utc
from tests.helpers import add_client, messages
from tests.desk import page_text

CHICAGO = ZoneInfo("America/Chicago")
FRIDAY = utc(2026, 3, 27, 15)


def _message(ctx, key: str, created_at, sent_at) -> int:
    with Session(ctx.engine) as session:
        row = Message(
            key=key,
            campaign="education",
            step="pain-cycle",
            cycle="0",
            stream="education",
            channel="email",
            status="sent",
            due_at=created_at,
            created_at=created_at,
            updated_at=sent_at,
            sent_at=sent_at,
        )
        session.add(row)
        session.commit()
        return row.id


def test_the_log_is_sorted_by_the_time_each_row_shows(ctx):
    # Planned first but held back two days (a cap), then sent after one planned later went out.
    held = _message(ctx, "held", created_at=FRIDAY - timedelta(days=1), sent_at=FRIDAY + timedelta(days=2))
    prompt = _message(ctx, "prompt", created_at=FRIDAY, sent_at=FRIDAY)

    with Session(ctx.engine) as session:
        page = log_page(session, LogFilter(), CHICAGO)
        older = log_page(session, LogFilter(), CHICAGO, limit=1)
        rest = log_page(session, LogFilter(), CHICAGO, before=older.older, limit=1)

    assert [row.id for row in page.rows] == [held, prompt]
    assert [row.when for row in page.rows] == sorted((row.when for row in page.rows), reverse=True)
    assert [row.id for row in older.rows + rest.rows] == [held, prompt]


def test_a_sent_message_shows_no_stale_cap_reason_and_keeps_its_deferrals_as_events(ctx):
    ctx.settings.caps.__dict__["messages_per_week"] = 1
    add_client(ctx, at=FRIDAY)
    plan_due(ctx, FRIDAY)
    dispatch_due(ctx, FRIDAY)
    [capped] = [m for m in messages(ctx) if m.status == "planned"]
    assert capped.reason.startswith("Capped")

    dispatch_due(ctx, capped.due_at)

    [sent] = [m for m in messages(ctx) if m.id == capped.id]
    assert sent.status == "sent" and sent.reason == ""
    with Session(ctx.engine) as session:
        events = session.exec(select(DeliveryEvent).where(DeliveryEvent.message_id == capped.id)).all()
    assert [(e.event, e.detail) for e in events] == [("deferred", capped.reason)]


def test_the_message_page_shows_its_deferral_history_and_the_log_links_to_it(desk):  # noqa: F811
    desk.ctx.settings.caps.__dict__["messages_per_week"] = 1
    add_client(desk.ctx, at=FRIDAY)
    plan_due(desk.ctx, FRIDAY)
    dispatch_due(desk.ctx, FRIDAY)
    [capped] = [m for m in messages(desk.ctx) if m.status == "planned"]
    dispatch_due(desk.ctx, capped.due_at)
    desk.sign_in_as("front_desk")

    log = desk.get("/")
    page = desk.get(f"/messages/{capped.id}")

    assert f'href="/messages/{capped.id}"' in log.text
    assert page.status_code == 200
    text = page_text(page)
    assert "deferred" in text and capped.reason in text
    assert desk.get("/messages/999999").status_code == 404
