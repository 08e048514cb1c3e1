"""`outreach report`: the split by language, as a table and as JSON, the same figures as the report page."""

import json

from typer.testing import CliRunner

from outreach.cli import app
from tests.services.test_outcomes_languages import settings, spoken  # noqa: F401  (fixtures)


def test_the_command_splits_sent_delivered_and_rebooked_by_language(spoken, cli_env):  # noqa: F811
    result = CliRunner().invoke(app, ["report", "--since", "2026-03-02", "--json"])
    assert result.exit_code == 0, result.output
    languages = {row["language"]: row for row in json.loads(result.output)["languages"]}
    assert (languages["Spanish"]["tag"], languages["Spanish"]["sent"], languages["Spanish"]["rebooked"]) == ("es", 3, 2)
    assert (languages["English"]["sent"], languages["English"]["delivered"]) == (3, 0)

    table = CliRunner().invoke(app, ["report", "--since", "2026-03-02"], terminal_width=160)
    assert table.exit_code == 0, table.output
    shown = table.output.split("by language", 1)[1].split("Skipped", 1)[0]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in shown.splitlines() if "│" in line]
    assert cells == [
        ["English", "en", "3", "0", "1"],
        ["Spanish", "es", "3", "2", "2"],
        ["Not recorded", "", "1", "0", "0"],
    ]


def test_in_80_columns_or_a_pipe_every_name_is_printed_whole(spoken, cli_env):  # noqa: F811
    figures = json.loads(CliRunner().invoke(app, ["report", "--since", "2026-03-02", "--json"]).output)
    names = {
        word
        for table in figures.values()
        if isinstance(table, list)
        for row in table
        for key in ("campaign", "step", "language")
        for word in str(row.get(key) or "").split()
    }

    result = CliRunner().invoke(app, ["report", "--since", "2026-03-02"], env={"COLUMNS": "80"})

    assert result.exit_code == 0, result.output
    assert "…" not in result.output and names
    assert names <= set(result.output.replace("│", " ").split())
    assert max(len(line.rstrip()) for line in result.output.splitlines()) <= 80
