"""`campaigns check` against campaigns with one fault each (tests/fixtures/broken_campaigns)."""

import pytest
from typer.testing import CliRunner

from outreach.services.campaign_check import check_campaigns, errors
from outreach.cli import app
from outreach.settings import Settings
from tests.conftest import FIXTURES, ROOT

FIXTURES = FIXTURES
BROKEN = FIXTURES / "broken_campaigns"
CAMPAIGNS, TEMPLATES = BROKEN / "campaigns", BROKEN / "templates"
NO_FOOTER = FIXTURES / "campaigns_no_footer"
# English only: the fixtures have no translations (tests/services/test_campaign_check_languages.py checks those).
SETTINGS = Settings(
    sms={"target_segments": 2, "max_segments": 2},
    compliance={"deny_variables": ["pain", "score", "progress"], "deny_words": ["pain score", "medication"]},
    languages={"served": ["en"]},
)

EXPECTED = {
    "unknown-key": f"{CAMPAIGNS}/unknown-key.toml:4: unknown key 'colour'",
    "toml-syntax": f"{CAMPAIGNS}/toml-syntax.toml:2: invalid TOML: Illegal character '\\n' (at line 2, column 29)",
    "missing-template": f"{CAMPAIGNS}/missing-template.toml:7: step 'only': no sms template "
    f"({TEMPLATES}/nowhere/missing.sms.j2 does not exist)",
    "ignored-timing": f"{CAMPAIGNS}/ignored-timing.toml:9: step 'only': days_before has no effect in the "
    "education stream (it reads after_days)",
    "unreachable-phase": f"{CAMPAIGNS}/unreachable-phase.toml:9: step 'only': phase 'lapsed' is not in the "
    "campaign's audience, so the step would never be sent to it",
    "syntax-error": f"{TEMPLATES}/syntax-error.sms.j2:2: syntax error: Encountered unknown tag 'endfor'. Jinja was "
    "looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs "
    "to be closed is 'if'.",
    "undefined-variable": f"{TEMPLATES}/undefined-variable.sms.j2:2: 'dict object' has no attribute 'last_name'",
    "sms-over-budget": f"{TEMPLATES}/sms-over-budget.sms.j2:1: SMS needs 6 segments (UCS-2, 379 characters) for "
    "\"Joaquín María\" in phase 'establishing'; the budget is 2 (sms.max_segments)",
    "ucs2-character": f"{TEMPLATES}/ucs2-character.sms.j2:2: '\u2019' (U+2019) switches the SMS to UCS-2, "
    "70 characters a segment: column 4; use plain quotes and dashes",
    "deny-variable": f"{TEMPLATES}/deny-variable.sms.j2:2: uses deny-listed variable 'progress' "
    "(compliance.deny_variables): health information must never reach a message",
    "deny-word": f"{TEMPLATES}/deny-word.email.j2:5: deny-listed word 'medication' (compliance.deny_words) "
    "in the plain-text part",
}


@pytest.fixture(scope="module")
def reported() -> list[str]:
    return [str(finding) for finding in check_campaigns(CAMPAIGNS, TEMPLATES, SETTINGS)]


def _about(fault: str, reported: list[str]) -> list[str]:
    return [line for line in reported if f"/{fault}." in line]


@pytest.mark.parametrize("fault", sorted(set(EXPECTED) - {"bad-timing"}))
def test_it_reports_each_fault_once_with_file_and_line(fault, reported):
    assert _about(fault, reported) == [EXPECTED[fault]]


def test_a_text_past_the_target_but_within_the_maximum_is_a_warning_and_past_it_for_a_longer_name_an_error():
    settings = SETTINGS.model_copy(update={"sms": Settings(sms={"target_segments": 1, "max_segments": 3}).sms})

    found = [f for f in check_campaigns(CAMPAIGNS, TEMPLATES, settings) if "/sms-over-budget." in str(f.path)]

    assert sorted(str(f) for f in found) == [
        f'{TEMPLATES}/sms-over-budget.sms.j2:1: SMS needs 6 segments (UCS-2, 379 characters) for "Joaquín María" '
        "in phase 'establishing'; the budget is 3 (sms.max_segments)",
        f"{TEMPLATES}/sms-over-budget.sms.j2:1: warning: SMS needs 3 segments (GSM-7, 377 characters) for "
        "\"Christopher\" in phase 'establishing'; each segment is billed, aim for 1 (sms.target_segments)",
    ]


def test_a_target_above_the_maximum_is_refused():
    with pytest.raises(ValueError, match="target_segments must not exceed max_segments"):
        Settings(sms={"target_segments": 3, "max_segments": 2})


def test_it_reports_a_bad_timing_at_its_line(reported):
    # The loader also reports the empty steps tuple left after the bad step; only this line is ours to assert.
    expected = f"{CAMPAIGNS}/bad-timing.toml:9: steps.0.after_days: Input should be greater than or equal to 0"

    assert expected in _about("bad-timing", reported)


def test_it_reports_nothing_about_the_fine_template(reported):
    assert _about("fine", reported) == []


def test_it_finds_an_email_layout_without_unsubscribe_link_or_postal_address():
    layouts = NO_FOOTER / "templates" / "layouts"

    findings = check_campaigns(NO_FOOTER / "campaigns", NO_FOOTER / "templates", SETTINGS)

    assert [str(f) for f in errors(findings)] == [
        f"{layouts}/email.html.j2:1: the HTML part has no unsubscribe link (an href of {{{{ unsubscribe_url }}}})",
        f"{layouts}/email.txt.j2:1: the plain-text part does not show the postal address "
        "({{ clinic.postal_address }})",
    ]


def test_it_warns_without_failing_about_a_missing_preferences_link():
    findings = check_campaigns(NO_FOOTER / "campaigns", NO_FOOTER / "templates", SETTINGS)

    warnings = [str(f) for f in findings if not f.is_error]

    assert warnings == [
        f"{NO_FOOTER}/templates/layouts/email.html.j2:1: warning: an email part has no "
        "preferences link ({{ preferences_url }})"
    ]


def test_it_finds_a_deny_listed_variable_in_attribute_and_item_access(tmp_path):
    (tmp_path / "peek.sms.j2").write_text("Hi {{ client.first_name }}\n{{ client['pain_score'] }}{{ client.score }}\n")

    findings = check_campaigns(tmp_path / "none", tmp_path, SETTINGS)

    messages = [(f.line, f.message) for f in findings if f.path.name == "peek.sms.j2"]
    assert messages == [
        (
            2,
            "uses deny-listed variable 'pain_score' (compliance.deny_variables): "
            "health information must never reach a message",
        ),
        (
            2,
            "uses deny-listed variable 'score' (compliance.deny_variables): "
            "health information must never reach a message",
        ),
    ]


def test_it_reports_missing_reply_templates(tmp_path):
    findings = check_campaigns(tmp_path, tmp_path, SETTINGS)

    assert f"{tmp_path}/replies/help.sms.j2:1: missing reply template: the worker answers texts with it (help)" in [
        str(f) for f in findings
    ]


def test_the_command_prints_each_problem_and_exits_non_zero():
    result = CliRunner().invoke(app, ["campaigns", "check", str(CAMPAIGNS)])

    assert result.exit_code == 1
    assert EXPECTED["unknown-key"] in result.output.splitlines()
    # The warnings: a preferences link, and each of the 16 templates has no Spanish copy ([languages] served).
    assert result.output.splitlines()[-1] == "Checked 12 campaigns and 16 templates: 12 errors, 17 warnings."


def test_the_command_passes_the_shipped_campaigns():
    root = ROOT

    result = CliRunner().invoke(app, ["campaigns", "check", str(root / "campaigns")])

    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if ": warning: " in line]
    assert result.output.endswith(f": 0 errors, {len(warnings)} warnings.\n")
    assert warnings and all("; the short text (1) is sent" in line for line in warnings)  # to names such as Joaquín


def test_the_command_refuses_a_folder_that_does_not_exist(tmp_path):
    result = CliRunner().invoke(app, ["campaigns", "check", str(tmp_path / "nope")])

    assert result.exit_code == 2
