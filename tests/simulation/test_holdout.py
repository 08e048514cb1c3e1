"""`outreach simulate --population`: many simulated clients, some held out of rebook nudges, compared the way the
report compares them; and what groups of a given size can detect."""

import pytest
from typer.testing import CliRunner

from outreach.cli import app
from outreach.policy.comparison import detectable_difference
from tests.conftest import ROOT

ROOT = ROOT


def test_the_domain_figures_detect_a_five_point_lift():
    # DOMAIN.md: a 10% holdout needs about 850 held-out and 7,600 messaged clients for 5 points on 40%.
    assert detectable_difference(7600, 850, 0.40) == pytest.approx(0.05, abs=0.004)
    assert detectable_difference(200, 20, 0.40) > 0.2
    assert detectable_difference(1, 1, 0.40) is None


def test_a_small_population_prints_both_groups_and_what_they_can_detect(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        app,
        ["simulate", "--population", "16", "--weeks", "3", "--holdout", "40", "--after-nudge", "1", "--on-own", "0"],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    messaged = next(line for line in lines if line.startswith("group=messaged"))
    held_out = next(line for line in lines if line.startswith("group=held out"))
    assert "rebook_rate=1.0 " in messaged  # everyone books the day after a nudge
    assert "rebooked=0 " in held_out  # and nobody without one
    assert any(line.startswith("With ") and "nudges" in line for line in lines)
