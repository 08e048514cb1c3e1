"""CSV upload in the dashboard: a booking-system export, its columns mapped, a bad row shown, nothing imported
until the file is right; the mapping is remembered for the next file of that kind."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from outreach.models import Client
from tests.desk import audit_entries, page_text

EXPORT = (
    "Client ID;First Name;Last Name;Email Address;Mobile Phone\n"
    "B100;Ana;Lopez;ana@example.com;612-555-0101\n"
    "B101;Ben;Okafor;not-an-email;612-555-0102\n"
)


def upload(desk, body: str, kind: str = "clients") -> str:
    response = desk.http.post(
        "/imports",
        data={"kind": kind, "csrf_token": desk.csrf_token()},
        files={"file": ("export.csv", body.encode("cp1252"), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def selected(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(col\d+)">.*?<option value="([^"]*)" selected', page, re.S))


def names(ctx) -> list[str]:
    with Session(ctx.engine) as session:
        return sorted(session.exec(select(Client.first_name)))


def test_the_desk_maps_an_export_sees_the_bad_row_then_imports_the_fixed_file(desk):
    desk.sign_in_as("front_desk")
    location = upload(desk, EXPORT)

    mapping_page = desk.get(location)
    mapping = selected(mapping_page.text)
    checked = desk.post(location, {**mapping, "action": "check"})
    forced = desk.post(location, {**mapping, "action": "import"})

    assert mapping == {
        "col0": "external_id",
        "col1": "first_name",
        "col2": "last_name",
        "col3": "email",
        "col4": "phone",
    }
    assert checked.status_code == 400
    assert "export.csv:3: email: not a valid email address" in page_text(checked)
    assert "columns are separated by semicolons" in page_text(checked)
    assert forced.status_code == 400 and names(desk.ctx) == []

    fixed = upload(desk, EXPORT.replace("not-an-email", "ben@example.com"))
    remembered = selected(desk.get(fixed).text)
    ready = desk.post(fixed, {**remembered, "action": "check"})
    imported = desk.post(fixed, {**remembered, "action": "import"})

    assert remembered == mapping
    assert "Ready to import" in page_text(ready) and "consent left unchanged" in page_text(ready)
    assert imported.status_code == 303
    assert names(desk.ctx) == ["Ana", "Ben"]
    assert [e.actor for e in audit_entries(desk.ctx, "import.upload")] == ["frontdesk"]
    assert desk.get(fixed).status_code == 404  # the upload is gone once imported


def test_the_mapping_is_remembered_for_the_clinic_not_just_one_browser(desk):
    from tests.desk import Desk

    desk.sign_in_as("front_desk")
    export = "Patient Ref;Given;Surname\nP1;Ana;Lopez\n"
    first = upload(desk, export)
    assert selected(desk.get(first).text)["col0"] == ""  # nothing suggests "Patient Ref"
    desk.post(first, {"col0": "external_id", "col1": "first_name", "col2": "last_name", "action": "check"})

    colleague = Desk(desk.ctx).sign_in_as("admin")  # another person, another browser
    second = upload(colleague, export.replace("P1;Ana", "P2;Bo"))

    assert selected(colleague.get(second).text) == {"col0": "external_id", "col1": "first_name", "col2": "last_name"}


def test_the_mapping_step_shows_the_first_values_beside_each_header(desk):
    desk.sign_in_as("front_desk")
    location = upload(desk, EXPORT + "B102;Cy;;;612-555-0103\n" + "B103;Di;Ray;di@example.com;612-555-0104\n")

    rows = re.findall(
        r"<tr><td><label[^>]*>([^<]+)</label></td>\s*<td class=\"samples\">(.*?)</td>", desk.get(location).text
    )
    samples = {name: re.findall(r"<code>([^<]*)</code>", cell) for name, cell in rows}

    assert samples["Client ID"] == ["B100", "B101", "B102"]
    assert samples["Last Name"] == ["Lopez", "Okafor"]  # empty cells left out
    assert samples["Email Address"] == ["ana@example.com", "not-an-email"]
