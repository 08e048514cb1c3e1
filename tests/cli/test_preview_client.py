"""`outreach campaigns preview --client`: exactly what one real client would receive, built as the worker builds it."""

from datetime import datetime, timedelta, timezone

from typer.testing import CliRunner

from outreach.cli import app
from outreach.services import facts
from tests.helpers import add_client, change


def test_it_previews_a_reminder_for_a_real_client_and_their_booked_visit(cli_env):
    client_id = add_client(cli_env, "ext-42", at=datetime.now(timezone.utc), first_name="Rosa")
    visit = datetime.now(timezone.utc).replace(hour=20, minute=0, second=0, microsecond=0) + timedelta(days=3)
    change(cli_env, client_id, facts.record_visit, visit, "booked", "desk")
    result = CliRunner().invoke(
        app,
        [
            "campaigns",
            "preview",
            "reminder",
            "day-before",
            "--client",
            "ext-42",
            "--out",
            str(cli_env.settings.outbox.directory),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Hi Rosa, your massage is on " in result.output


def test_an_unknown_client_is_a_clear_error(cli_env):
    result = CliRunner().invoke(app, ["campaigns", "preview", "reminder", "day-before", "--client", "nobody"])
    assert result.exit_code == 2
    assert "No client with external id 'nobody'" in result.output
