"""Client pages: the record, its phase and chart, the timeline, and the forms that change it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from outreach.models import AuditEntry, Client, ConsentEvent, InboundMessage, Message, ProgressEntry, Visit
from outreach.services import facts
from outreach.services.unsubscribe import unsubscribe_client
from tests.conftest import utc
from tests.helpers import add_client, change
from tests.desk import START, audit_entries, page_text


@pytest.fixture
def ann(desk) -> int:
    """A client the front desk (signed in) is looking after."""
    client_id = add_client(desk.ctx, at=START - timedelta(days=30), first_name="Ann")
    desk.sign_in_as("front_desk")
    return client_id


def scores(ctx, client_id: int, *pains: int, weeks_ago: int) -> None:
    """Weekly pain scores ending `weeks_ago` weeks before START."""
    for index, pain in enumerate(pains):
        at = START - timedelta(weeks=weeks_ago + len(pains) - 1 - index)
        change(ctx, client_id, facts.record_progress, at, pain, "test")


def count(ctx, model) -> int:
    with Session(ctx.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_it_shows_contact_details_and_consent_history_and_audits_the_view(desk, ann):
    page = page_text(desk.get(f"/clients/{ann}"))

    assert "ann@example.com" in page
    assert "(612) 555-0100" in page
    assert "Email: yes" in page and "Text messages: yes" in page
    assert "Granted Sat 31 Jan 2026, 09:00 CST via test" in page
    assert [(e.actor, e.client_id) for e in audit_entries(desk.ctx, "client.view")] == [("frontdesk", ann)]


def test_it_records_a_progress_score_and_the_phase_and_chart_follow(desk, ann):
    scores(desk.ctx, ann, 8, 5, weeks_ago=1)
    before = desk.get(f"/clients/{ann}").text

    saved = desk.post(f"/clients/{ann}/progress", {"pain": "5"})
    after = desk.get(saved.headers["location"])

    assert saved.status_code == 303
    assert '<span class="phase-pill phase-establishing">Establishing</span>' in before
    assert '<span class="phase-pill phase-tapering">Tapering</span>' in after.text
    assert "visits every 14 days" in after.text
    assert before.count('class="pain-point"') == 2 * 2  # drawn twice: for a laptop and for a phone
    assert after.text.count('class="pain-point"') == 3 * 2
    assert "Progress recorded." in after.text
    with Session(desk.ctx.engine) as session:
        newest = session.exec(select(ProgressEntry).order_by(ProgressEntry.recorded_at.desc())).first()
        assert (newest.recorded_at, newest.pain, newest.source) == (START, 5, "dashboard")


def test_it_flags_a_client_whose_gain_was_lost(desk, ann):
    scores(desk.ctx, ann, 8, 4, 4, 8, weeks_ago=1)

    desk.post(f"/clients/{ann}/progress", {"pain": "8"})
    page = page_text(desk.get(f"/clients/{ann}"))

    assert "Worsening. The earlier improvement has been lost" in page
    assert "Establishing" in page


def test_it_records_optional_peg_items_and_a_chosen_time(desk, ann):
    desk.post(
        f"/clients/{ann}/progress", {"pain": "6", "enjoyment": "4", "activity": "7", "recorded_at": "2026-03-01T17:30"}
    )

    with Session(desk.ctx.engine) as session:
        entry = session.exec(select(ProgressEntry)).one()
    assert (entry.recorded_at, entry.peg_enjoyment, entry.peg_activity) == (utc(2026, 3, 1, 23, 30), 4, 7)


def test_it_records_a_visit_at_the_clinics_local_time(desk, ann):
    saved = desk.post(f"/clients/{ann}/visits", {"starts_at": "2026-03-02T08:00", "status": "attended"})
    page = page_text(desk.get(f"/clients/{ann}"))

    assert saved.status_code == 303
    with Session(desk.ctx.engine) as session:
        visit = session.exec(select(Visit)).one()
    assert (visit.starts_at, visit.status) == (utc(2026, 3, 2, 14, 0), "attended")
    assert "Visit recorded." in page
    assert "Last attended Mon 2 Mar 2026" in page


def test_it_revokes_consent_with_who_and_why(desk, ann):
    desk.post(f"/clients/{ann}/consent", {"channel": "sms", "granted": "no", "note": "asked at the desk"})
    page = page_text(desk.get(f"/clients/{ann}"))

    with Session(desk.ctx.engine) as session:
        client = session.get(Client, ann)
        event = session.exec(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
    assert (client.sms_consent, client.email_consent) == (False, True)
    assert (event.channel, event.granted, event.source, event.note) == (
        "sms",
        False,
        "dashboard:frontdesk",
        "asked at the desk",
    )
    assert "Text messages: no" in page
    assert "Revoked Mon 2 Mar 2026, 09:00 CST via dashboard:frontdesk — asked at the desk" in page


def test_it_will_not_grant_texts_to_a_number_that_replied_stop(desk, ann):
    change(desk.ctx, ann, facts.record_consent, "sms", False, "sms-keyword", "client")
    with Session(desk.ctx.engine) as session:
        facts.suppress(session, "sms", "+16125550100", "Replied STOP", "sms-keyword", at=START - timedelta(days=3))
        session.commit()

    response = desk.post(f"/clients/{ann}/consent", {"channel": "sms", "granted": "yes"})

    assert response.status_code == 400
    assert "consent: this number replied STOP on 2026-02-27; only the client's START re-opts in" in page_text(response)
    assert "Blocked: Replied STOP" in page_text(response)
    with Session(desk.ctx.engine) as session:
        assert session.get(Client, ann).sms_consent is False


def test_it_will_not_grant_email_over_the_client_s_own_unsubscribe(desk, ann):
    change(desk.ctx, ann, unsubscribe_client, ["email"], source="unsubscribe-link", actor="client", now=START)

    response = desk.post(f"/clients/{ann}/consent", {"channel": "email", "granted": "yes"})

    assert response.status_code == 400
    assert "consent: this address unsubscribed on 2026-03-02; only the client's own opt-in re-opts in" in page_text(
        response
    )
    with Session(desk.ctx.engine) as session:
        assert session.get(Client, ann).email_consent is False


def test_it_pauses_and_resumes_outreach(desk, ann):
    desk.post(f"/clients/{ann}/status", {"status": "paused"})
    paused = desk.get(f"/clients/{ann}").text
    desk.post(f"/clients/{ann}/status", {"status": "active"})
    resumed = desk.get(f"/clients/{ann}").text

    assert "Outreach paused." in paused and "Resume outreach" in paused
    assert "Outreach resumed." in resumed and "Pause outreach" in resumed
    assert [e.detail for e in audit_entries(desk.ctx, "client.status")] == ["paused", "active"]


@pytest.mark.parametrize(
    "form, data, problem",
    [
        ("progress", {"pain": "11"}, "pain: enter a whole number from 0 to 10"),
        ("progress", {"pain": "seven"}, "pain: enter a whole number from 0 to 10"),
        ("progress", {"pain": "²"}, "pain: enter a whole number from 0 to 10"),
        ("progress", {"pain": ""}, "pain: enter a whole number from 0 to 10"),
        ("progress", {"pain": "4", "activity": "-1"}, "general activity: enter a whole number from 0 to 10"),
        ("progress", {"pain": "4", "recorded_at": "2026-03-09T10:00"}, "a score cannot be recorded for the future"),
        ("progress", {"pain": "4", "recorded_at": "last week"}, "time: 'last week' is not a date and time"),
        ("visits", {"starts_at": "tomorrow", "status": "attended"}, "visit time: 'tomorrow' is not a date and time"),
        (
            "visits",
            {"starts_at": "9999-12-31T23:59", "status": "booked"},
            "visit time: the year 9999 is outside 1900-2100",
        ),
        (
            "visits",
            {"starts_at": "0001-01-01T00:00", "status": "booked"},
            "visit time: the year 1 is outside 1900-2100",
        ),
        ("progress", {"pain": "5", "recorded_at": "0001-01-01T00:00"}, "time: the year 1 is outside 1900-2100"),
        ("visits", {"starts_at": "2026-03-02T10:00", "status": "maybe"}, "visit status: choose one of booked"),
        ("consent", {"channel": "fax", "granted": "yes"}, "channel: choose one of email, sms"),
        ("consent", {"channel": "email", "granted": "perhaps"}, "consent: choose one of yes, no"),
        ("status", {"status": "deleted"}, "status: choose one of paused, active, archived"),
    ],
)
def test_it_explains_bad_input_and_changes_nothing(desk, ann, form, data, problem):
    desk.get(f"/clients/{ann}")
    counts = [count(desk.ctx, model) for model in (ProgressEntry, Visit, ConsentEvent, AuditEntry)]

    response = desk.post(f"/clients/{ann}/{form}", data)

    assert response.status_code == 400
    assert problem in page_text(response)
    assert [count(desk.ctx, model) for model in (ProgressEntry, Visit, ConsentEvent, AuditEntry)] == counts
    with Session(desk.ctx.engine) as session:
        client = session.get(Client, ann)
        assert (client.status, client.email_consent, client.sms_consent) == ("active", True, True)


def test_it_keeps_what_was_typed_when_a_form_is_refused(desk, ann):
    response = desk.post(f"/clients/{ann}/consent", {"channel": "fax", "granted": "yes", "note": "signed form"})

    assert 'value="signed form"' in response.text


def test_it_merges_messages_visits_scores_and_replies_newest_first(desk, ann):
    change(desk.ctx, ann, facts.record_visit, START - timedelta(days=3), "attended", "test")
    change(desk.ctx, ann, facts.record_progress, START - timedelta(days=2), 6, "test")
    with Session(desk.ctx.engine) as session:
        session.add(
            Message(
                key="k1",
                client_id=ann,
                campaign="rebook",
                step="nudge",
                cycle="1",
                stream="rebook",
                channel="sms",
                status="delivered",
                due_at=START - timedelta(days=1),
                sent_at=START - timedelta(days=1),
            )
        )
        session.add(
            InboundMessage(
                provider_id="SM1",
                client_id=ann,
                from_address="+16125550100",
                body="<b>Thanks!</b> see you",
                received_at=START - timedelta(hours=2),
            )
        )
        session.commit()

    page = desk.get(f"/clients/{ann}").text
    kinds = re.findall(r'<tr class="kind-(\w+)">', page)

    assert kinds == ["inbound", "message", "progress", "visit"]
    assert "“&lt;b&gt;Thanks!&lt;/b&gt; see you”" in page
    assert "Text · rebook · nudge" in page


def test_it_draws_an_accessible_chart_without_script(desk, ann):
    scores(desk.ctx, ann, 7, 6, weeks_ago=0)

    page = desk.get(f"/clients/{ann}").text
    svg = page[page.index("<svg") : page.index("</svg>")]

    assert 'role="img"' in svg and 'aria-labelledby="pain-chart-title pain-chart-desc"' in svg
    assert "2 pain scores (0 to 10) from 23 Feb 2026 to 2 Mar 2026: first 7, latest 6, baseline 7." in svg
    assert "<script" not in svg and "style=" not in svg


def test_it_still_shows_a_client_whose_imported_dates_are_absurd(desk, ann):
    change(desk.ctx, ann, facts.record_visit, utc(1, 1, 1, 0, 0), "attended", "import")
    change(desk.ctx, ann, facts.record_progress, utc(9999, 12, 31, 23, 0), 4, "import")

    response = desk.get(f"/clients/{ann}")

    assert response.status_code == 200
    assert "Mon 1 Jan 1, 00:00 UTC" in page_text(response)


def test_it_says_when_there_is_no_such_client(desk, ann):
    response = desk.get("/clients/999")

    assert response.status_code == 404
    assert "There is no client number 999." in response.text


def test_it_shows_a_script_in_a_client_name_as_text(desk):
    client_id = add_client(desk.ctx, at=START, first_name="<script>alert(1)</script>")
    desk.sign_in_as("admin")

    page = desk.get(f"/clients/{client_id}").text

    assert "<script>alert(1)</script>" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3  # the title, the heading, the edit form


def test_it_finds_clients_by_name_email_or_phone(desk):
    add_client(desk.ctx, "c1", at=START, first_name="Ann", email="ann@example.com", phone="+16125550100")
    add_client(desk.ctx, "c2", at=START, first_name="Bo", email="bo@example.org", phone="+16515550199")
    desk.sign_in_as("front_desk")

    def found(query: str) -> list[str]:
        return re.findall(r'<a href="/clients/\d+">([^<]+)</a>', desk.get(f"/clients?q={query}").text)

    assert found("") == ["Ann", "Bo"]
    assert found("an") == ["Ann"]
    assert found("example.org") == ["Bo"]
    assert found("651%20555") == ["Bo"]
    assert found("a%25") == found("_nn") == []  # % and _ are characters here, not wildcards


def listed(desk, query: str = "") -> list[str]:
    return re.findall(r'<a href="/clients/\d+">([^<]+)</a>', desk.get(f"/clients{query}").text)


def test_the_list_shows_a_booked_visit_at_once_not_a_planning_pass_later(desk, ann):
    desk.post(f"/clients/{ann}/visits", {"starts_at": "2026-03-09T10:00", "status": "booked"})
    desk.post(f"/clients/{ann}/visits", {"starts_at": "2026-02-23T10:00", "status": "attended"})
    row = re.search(r"<tr>\s*<td><a href=\"/clients/\d+\">Ann</a>.*?</tr>", desk.get("/clients").text, re.S)

    assert "Mon 9 Mar 2026" in page_text_of(row.group(0))
    assert "Mon 23 Feb 2026" in page_text_of(row.group(0))


def test_a_visits_import_refreshes_the_list_too(desk, ann):
    from tests.web.dashboard.test_imports import selected, upload

    location = upload(desk, "client_external_id,starts_at,status\nc1,2026-03-10T09:30,booked\n", kind="visits")
    desk.post(location, {**selected(desk.get(location).text), "action": "import"})

    with Session(desk.ctx.engine) as session:
        assert session.get(Client, ann).next_visit_at == utc(2026, 3, 10, 14, 30)


def page_text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_archived_and_erased_clients_stay_out_of_the_list_until_asked_for(desk):
    add_client(desk.ctx, "c1", at=START, first_name="Ann")
    bo = add_client(desk.ctx, "c2", at=START, first_name="Bo", email="bo@example.org", phone="+16515550199")
    cy = add_client(desk.ctx, "c3", at=START, first_name="Cy", email="cy@example.org", phone="+16515550198")
    desk.sign_in_as("admin")
    desk.post(f"/clients/{bo}/status", {"status": "archived"})
    desk.post(f"/clients/{cy}/erase", {"confirm": "yes"})

    assert listed(desk) == ["Ann"]
    assert listed(desk, "?show=archived") == ["Bo", "(no name)"]
    assert listed(desk, "?show=all") == ["Ann", "Bo", "(no name)"]
    assert listed(desk, "?show=nonsense") == ["Ann"]
    assert 'href="/clients?q=Bo&amp;show=all"' in desk.get("/clients?q=Bo").text
