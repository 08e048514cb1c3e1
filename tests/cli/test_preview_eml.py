"""`campaigns preview --out` writes the .eml the embedded outbox writes when the message is sent."""

import email
from email import policy

from typer.testing import CliRunner

from outreach.cli import app
from outreach.sending.dispatch import dispatch_due
from outreach.sending.compose import preview_email
from outreach.sending.planner import plan_due
from outreach.rendering import sample_context
from tests.conftest import utc
from tests.helpers import add_client

NOON_CHICAGO = utc(2026, 3, 2, 18)


def _headers(raw: bytes) -> list[str]:
    return [name for name, _ in email.message_from_bytes(raw, policy=policy.compat32).items()]


def _raw_header(raw: bytes, name: str) -> str:
    [line] = [line for line in raw.decode().split("\r\n") if line.startswith(f"{name}: ")]
    return line.removeprefix(f"{name}: ")


def test_the_preview_eml_has_every_header_a_sent_email_has_written_the_same_way(cli_env, tmp_path):
    add_client(cli_env, at=NOON_CHICAGO)
    plan_due(cli_env, NOON_CHICAGO)
    dispatch_due(cli_env, NOON_CHICAGO)
    [sent] = (cli_env.settings.outbox.directory / "email").glob("*/*.eml")
    result = CliRunner().invoke(app, ["campaigns", "preview", "education", "pain-cycle", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    preview = (tmp_path / "education-pain-cycle-establishing.eml").read_bytes()

    assert _headers(preview) == _headers(sent.read_bytes())
    for name in ("List-Unsubscribe-Post", "Message-ID", "Date"):
        assert _raw_header(preview, name)
    assert _raw_header(preview, "List-Unsubscribe").startswith("<http://localhost:8000/unsubscribe/")


def test_the_preview_is_the_outbox_file_byte_for_byte(ctx):
    campaign = ctx.catalog.get("education")
    step = campaign.step("pain-cycle")
    context = sample_context(ctx.settings, "establishing", "email")
    rendered = ctx.renderer.render(campaign, step, "email", context)

    first = preview_email(ctx, campaign, step, rendered, context, NOON_CHICAGO)
    again = preview_email(ctx, campaign, step, rendered, context, NOON_CHICAGO)

    assert first == again
    assert b"Date: Mon, 02 Mar 2026 18:00:00 GMT\r\n" in first
