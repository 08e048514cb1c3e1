"""Copy edited in the browser: checked like files, drafts never sent, each publish a version, any version restored."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlmodel import Session

from outreach.rendering import sample_context
from outreach.services import edits
from outreach.sending.worker import tick
from tests.helpers import add_client

SMS = "education/pain-cycle.sms.j2"
EMAIL = "education/pain-cycle.email.j2"
MONDAY = datetime(2026, 3, 2, 16, tzinfo=timezone.utc)  # 10:00 in Minneapolis: a new client's check-in goes
CHECKIN = "checkin/pain-checkin.sms.j2"
NEW_COPY = "Hi {{ client.first_name }}, how is your pain today? Reply with a number 0-10."


def sent_texts(ctx) -> list[str]:
    path = ctx.settings.outbox.directory / "sms.jsonl"
    return [json.loads(line)["body"] for line in path.read_text().splitlines()] if path.exists() else []


def in_session(ctx, work):  # noqa: ANN001, ANN201
    with Session(ctx.engine, expire_on_commit=False) as session:
        result = work(session)
        session.commit()
        return result


def test_an_email_splits_into_subject_and_body_and_back_without_changing_a_render(ctx):
    source = ctx.renderer.source_of(EMAIL)
    education = ctx.catalog.get("education")
    step = education.step("pain-cycle")
    context = sample_context(ctx.settings, "tapering", "email")
    before = ctx.renderer.render(education, step, "email", context)

    copy = edits.EmailCopy.parse(source)
    ctx.renderer.use_overrides({EMAIL: copy.source()})

    assert copy.subject == "Why lasting pain keeps feeding itself"
    assert copy.body.startswith("Hi {{ client.first_name }},")
    assert ctx.renderer.render(education, step, "email", context) == before
    assert copy.source().splitlines()[copy.body_first_line() - 1] == copy.body.splitlines()[0]


def test_a_draft_is_checked_like_a_file_with_its_own_line_numbers(ctx):
    too_long = "Hi {{ client.first_name }}, " + "a long lesson teaser that goes on " * 5 + "{{ lesson_url }}"

    found = in_session(ctx, lambda s: edits.check(ctx, edits.published(s), {SMS: "Hi\n{{ client.last_name }}"}))
    warned = in_session(ctx, lambda s: edits.check(ctx, edits.published(s), {SMS: too_long}))

    assert [(f.line, f.severity, f.message) for f in found] == [
        (2, "error", "'dict object' has no attribute 'last_name'")
    ]
    [warning] = [f for f in warned if f.severity == "warning"]
    assert "each segment is billed, aim for 1 (sms.target_segments)" in warning.message


def test_publish_refuses_copy_with_errors_and_keeps_the_draft(ctx):
    in_session(ctx, lambda s: edits.save_draft(ctx, s, {SMS: "{{ client.last_name }}"}, "mia", MONDAY))

    with pytest.raises(edits.CopyHasErrors):
        in_session(ctx, lambda s: edits.publish(ctx, s, [SMS], "mia", MONDAY))

    assert in_session(ctx, lambda s: edits.drafts(s)[SMS].source) == "{{ client.last_name }}"
    assert in_session(ctx, edits.published) == {}


def test_the_worker_sends_published_copy_only_and_a_restored_version_again(ctx):
    in_session(ctx, lambda s: edits.save_draft(ctx, s, {CHECKIN: NEW_COPY}, "mia", MONDAY))
    add_client(ctx, "c1", at=MONDAY, phone="+16125550100")
    tick(ctx, MONDAY, record=False)
    assert "how is your pain today" not in sent_texts(ctx)[-1]  # a draft is never sent

    in_session(ctx, lambda s: edits.publish(ctx, s, [CHECKIN], "mia", MONDAY))
    add_client(ctx, "c2", at=MONDAY, phone="+16125550101")
    tick(ctx, MONDAY, record=False)
    assert sent_texts(ctx)[-1].startswith("Northside Massage: Hi Ann, how is your pain today? Reply with")

    (shipped,) = [v for v in in_session(ctx, lambda s: edits.history(s, CHECKIN)) if v.author == edits.SHIPPED]
    in_session(ctx, lambda s: edits.restore(s, shipped.id, "mia", MONDAY))
    add_client(ctx, "c3", at=MONDAY, phone="+16125550102")
    tick(ctx, MONDAY, record=False)
    assert sent_texts(ctx)[-1] == sent_texts(ctx)[0]

    assert len(sent_texts(ctx)) == 3
    notes = [(v.author, v.note) for v in in_session(ctx, lambda s: edits.history(s, CHECKIN))]
    assert notes == [("mia", f"restored version {shipped.id}"), ("mia", "published"), ("files", "the shipped file")]


def test_saving_the_live_copy_unchanged_leaves_no_draft(ctx):
    in_session(ctx, lambda s: edits.save_draft(ctx, s, {CHECKIN: NEW_COPY}, "mia", MONDAY))

    in_session(
        ctx, lambda s: edits.save_draft(ctx, s, {CHECKIN: ctx.renderer.path_of(CHECKIN).read_text()}, "mia", MONDAY)
    )

    assert in_session(ctx, edits.drafts) == {}


def test_a_diff_shows_what_changed():
    assert [kind for kind, _ in edits.diff("a\nb\n", "a\nc\n")] == ["hunk", "context", "remove", "add"]


def test_export_writes_the_published_state_as_files(ctx, tmp_path):
    in_session(ctx, lambda s: edits.save_draft(ctx, s, {SMS: "Why pain loops: {{ lesson_url }}"}, "mia", MONDAY))
    in_session(ctx, lambda s: edits.publish(ctx, s, [SMS], "mia", MONDAY))

    written = in_session(ctx, lambda s: edits.export(ctx, s, tmp_path / "out"))

    assert written == [SMS]
    assert (tmp_path / "out" / "templates" / SMS).read_text() == "Why pain loops: {{ lesson_url }}"
    assert (tmp_path / "out" / "campaigns" / "education.toml").is_file()
    assert (tmp_path / "out" / "templates" / EMAIL).read_text() == ctx.renderer.path_of(EMAIL).read_text()


def test_the_export_command_writes_the_published_state(cli_env, tmp_path):
    from typer.testing import CliRunner

    from outreach.cli import app

    in_session(cli_env, lambda s: edits.save_draft(cli_env, s, {CHECKIN: NEW_COPY}, "mia", MONDAY))
    in_session(cli_env, lambda s: edits.publish(cli_env, s, [CHECKIN], "mia", MONDAY))

    result = CliRunner().invoke(app, ["campaigns", "export", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    assert f"1 template from the database: {CHECKIN}" in result.output
    assert (tmp_path / "out" / "templates" / CHECKIN).read_text() == NEW_COPY


def test_a_template_cannot_reach_python_internals(ctx):
    sneaky = {CHECKIN: "{{ client.__class__.__mro__ }} 0-10"}

    found = in_session(ctx, lambda s: edits.check(ctx, edits.published(s), sneaky))

    assert [(f.severity, f.message) for f in found if "unsafe" in f.message] == [
        ("error", "SecurityError: access to attribute '__class__' of 'dict' object is unsafe.")
    ]
