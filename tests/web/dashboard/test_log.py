"""The delivery log: filters, keyset pages, plain-words reasons, local times, and the CSV export."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from outreach.models import Message
from outreach.services.delivery_log import Cursor, FilterError, LogFilter, iter_log, log_page
from tests.conftest import utc
from tests.helpers import add_client
from tests.desk import START, audit_entries

CHICAGO = ZoneInfo("America/Chicago")


def add_message(
    ctx,
    client_id: int | None,
    created_at: datetime,
    *,
    status: str = "sent",
    channel: str = "email",
    campaign: str = "education",
    step: str = "pain-cycle",
    reason: str = "",
    to: str = "",
    is_test: bool = False,
    language: str = "",
) -> int:
    with Session(ctx.engine) as session:
        message = Message(
            key=f"{client_id}:{campaign}:{step}:{created_at.isoformat()}:{status}",
            client_id=client_id,
            campaign=campaign,
            step=step,
            cycle="0",
            stream="education",
            channel=channel,
            to_address=to,
            status=status,
            due_at=created_at,
            reason=reason,
            created_at=created_at,
            updated_at=created_at,
            sent_at=created_at if status in ("sent", "delivered") else None,
            is_test=is_test,
            language=language,
        )
        session.add(message)
        session.commit()
        return message.id


@pytest.fixture
def clinic(desk):
    """Two clients and a morning of messages (by name), and the front desk signed in."""
    ann = add_client(desk.ctx, "c1", at=START, first_name="Ann", email="ann@example.com", phone="+16125550100")
    bo = add_client(desk.ctx, "c2", at=START, first_name="Bo", email="bo@example.com", phone="+16515550199")
    desk.sign_in_as("front_desk")
    return {
        "ann": ann,
        "bo": bo,
        "delivered": add_message(desk.ctx, ann, utc(2026, 3, 2, 14, 0), status="delivered"),
        "opted-out": add_message(
            desk.ctx,
            ann,
            utc(2026, 3, 2, 14, 5),
            status="failed",
            channel="sms",
            reason="Number opted out of texts (21610)",
        ),
        "deferred": add_message(
            desk.ctx,
            bo,
            utc(2026, 3, 2, 14, 10),
            status="planned",
            channel="sms",
            campaign="rebook",
            step="nudge",
            reason="Deferred: quiet hours in America/Denver until 08:00",
        ),
        "late-skip": add_message(
            desk.ctx,
            bo,
            utc(2026, 3, 2, 5, 30),
            status="skipped",  # 23:30 on 1 March
            reason="No email consent",
        ),
    }


def shown(html: str) -> list[int]:
    """The messages a log page lists, top to bottom."""
    return [int(found) for found in re.findall(r'<tr data-message="(\d+)">', html)]


def test_it_shows_every_message_newest_first_with_reasons_in_plain_words(desk, clinic):
    page = desk.get("/").text

    assert shown(page) == [clinic[name] for name in ("deferred", "opted-out", "delivered", "late-skip")]
    assert "Deferred: quiet hours in America/Denver until 08:00" in page
    assert "Number opted out of texts (21610)" in page
    assert '<span class="badge badge-failed">failed</span>' in page
    assert f'<a href="/clients/{clinic["ann"]}">Ann</a>' in page


def test_it_shows_times_in_the_clinics_zone_and_names_it(desk, clinic):
    page = desk.get("/").text

    assert "Mon 2 Mar 2026, 08:05 CST" in page  # 14:05 UTC
    assert "Times are shown in the clinic's time zone, America/Chicago." in page


@pytest.mark.parametrize(
    "query, names",
    [
        ("status=failed", ["opted-out"]),
        ("channel=sms", ["deferred", "opted-out"]),
        ("campaign=rebook", ["deferred"]),
        ("client=ann", ["opted-out", "delivered"]),
        ("client=(651)%20555", ["deferred", "late-skip"]),
        ("client=BO%40example", ["deferred", "late-skip"]),
        ("client=nobody", []),
        ("from=2026-03-01&to=2026-03-01", ["late-skip"]),
        ("from=2026-03-02", ["deferred", "opted-out", "delivered"]),
        ("channel=sms&client=ann", ["opted-out"]),
    ],
)
def test_it_filters_the_log(desk, clinic, query, names):
    page = desk.get(f"/?{query}").text

    assert shown(page) == [clinic[name] for name in names]


def test_it_explains_a_filter_it_cannot_use(desk, clinic):
    response = desk.get("/?status=lost&from=yesterday")

    assert response.status_code == 400
    assert "'lost' is not one of planned, sending, sent" in html.unescape(response.text)
    assert "'yesterday' is not a date like 2026-03-02" in html.unescape(response.text)


def test_it_pages_through_the_log_without_skipping_or_repeating(desk):
    client_id = add_client(desk.ctx, at=START)
    ids = [
        add_message(desk.ctx, client_id, utc(2026, 3, 1, 12, 0) + timedelta(minutes=i // 3), step=f"s{i}")
        for i in range(120)
    ]  # every three share an instant
    desk.sign_in_as("front_desk")

    pages, url = [], "/"
    while url:
        page = desk.get(url).text
        pages.append(shown(page))
        older = re.search(r'<a href="([^"]+)" rel="next">Older', page)
        url = html.unescape(older.group(1)) if older else ""

    assert [len(p) for p in pages] == [50, 50, 20]
    assert sum(pages, []) == sorted(ids, reverse=True)


def test_it_pages_back_to_newer_rows_exactly(ctx):
    client_id = add_client(ctx, at=START)
    for i in range(7):
        add_message(ctx, client_id, utc(2026, 3, 1, 12, i // 2), step=f"s{i}")  # pairs share an instant
    with Session(ctx.engine) as session:
        first = log_page(session, LogFilter(), CHICAGO, limit=3)
        second = log_page(session, LogFilter(), CHICAGO, before=first.older, limit=3)
        third = log_page(session, LogFilter(), CHICAGO, before=second.older, limit=3)
        back = log_page(session, LogFilter(), CHICAGO, after=third.newer, limit=3)

    assert [r.step for r in first.rows + second.rows + third.rows] == [f"s{i}" for i in (6, 5, 4, 3, 2, 1, 0)]
    assert (first.newer, third.older) == (None, None)
    assert back.rows == second.rows
    assert back.newer == second.newer


def test_it_reads_cursors_from_links_and_ignores_nonsense():
    cursor = Cursor(utc(2026, 3, 2, 14, 5, 7), 42)

    assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor.decode("drop table") is None
    assert Cursor.decode("9" * 40 + ".1") is None


def test_it_names_each_bad_filter_field():
    with pytest.raises(FilterError) as raised:
        LogFilter.parse({"channel": "fax", "from": "2026-03-05", "to": "2026-03-01"})

    assert set(raised.value.problems) == {"channel", "to"}


def test_it_labels_test_sends_that_went_to_no_client(desk):
    add_message(desk.ctx, None, utc(2026, 3, 2, 14, 0), to="owner@example.com", is_test=True)
    desk.sign_in_as("marketing")

    page = desk.get("/").text

    assert "Test to owner@example.com" in page
    assert '<span class="badge badge-test">test</span>' in page


def test_it_shows_marketing_the_log_without_client_names(desk, clinic):
    desk.post("/logout")
    desk.sign_in_as("marketing")

    page = desk.get("/").text

    assert f"Client #{clinic['ann']}" in page
    assert "Ann" not in page
    assert "Download CSV" not in page


def test_it_exports_the_filtered_log_as_csv_and_audits_the_export(desk, clinic):
    response = desk.get("/export.csv?channel=sms")

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="delivery-log-2026-03-02')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["client"], r["status"], r["reason"]) for r in rows] == [
        ("Bo", "planned", "Deferred: quiet hours in America/Denver until 08:00"),
        ("Ann", "failed", "Number opted out of texts (21610)"),
    ]
    assert rows[1]["created"] == "2026-03-02T08:05:00-06:00"
    exports = audit_entries(desk.ctx, "export.csv")
    assert [(e.actor, e.detail) for e in exports] == [("frontdesk", "delivery log: channel=sms")]


def test_it_reads_an_export_in_batches_without_skipping_or_repeating(ctx):
    client_id = add_client(ctx, at=START)
    ids = [
        add_message(ctx, client_id, utc(2026, 3, 1, 12, 0) + timedelta(seconds=i // 4), step=f"s{i}") for i in range(30)
    ]

    exported = [row.id for row in iter_log(ctx.engine, LogFilter(), CHICAGO, batch=7)]

    assert exported == sorted(ids, reverse=True)


def test_it_defuses_spreadsheet_formulas_but_keeps_phone_numbers(desk):
    client_id = add_client(desk.ctx, at=START, first_name='=HYPERLINK("http://evil.example","click")')
    add_message(desk.ctx, client_id, utc(2026, 3, 2, 14, 0), channel="sms", to="+16125550100")
    desk.sign_in_as("front_desk")

    row = next(csv.DictReader(io.StringIO(desk.get("/export.csv").text)))

    assert row["client"].startswith("'=HYPERLINK")
    assert row["to"] == "+16125550100"


def test_it_refuses_marketing_a_client_export_and_records_nothing(desk, clinic):
    desk.post("/logout")
    desk.sign_in_as("marketing")

    response = desk.get("/export.csv")

    assert response.status_code == 403
    assert "not open to marketing accounts" in response.text
    assert audit_entries(desk.ctx, "export.csv") == []


def test_it_shows_a_script_in_a_client_name_as_text(desk):
    client_id = add_client(desk.ctx, at=START, first_name="<script>alert(1)</script>")
    add_message(desk.ctx, client_id, utc(2026, 3, 2, 14, 0))
    desk.sign_in_as("front_desk")

    for page in (desk.get("/").text, desk.get("/?client=script").text, desk.get("/clients?q=script").text):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
