"""`campaigns list` costs each language's texts per 1,000; `campaigns preview --language` renders in that language."""

from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from outreach.cli import app
from outreach.policy.segments import count_segments
from outreach.rendering import sample_context
from tests.helpers import add_client

WIDE = {"COLUMNS": "300"}


def invoke(*args: str):
    return CliRunner().invoke(app, ["campaigns", *args], env=WIDE)


def test_the_list_has_a_cost_per_thousand_texts_for_each_language_served(ctx):
    campaign = ctx.catalog.get("checkin")
    step = campaign.steps[0]
    price = ctx.settings.sms.price_per_segment
    costs = []
    for language in ctx.settings.served_languages:
        text = ctx.renderer.render(campaign, step, "sms", sample_context(ctx.settings, "tapering", "sms", language))
        costs.append(f"${count_segments(text.text).segments * price * 1000:,.2f}")

    result = invoke("list")

    assert result.exit_code == 0, result.output
    assert "English per 1k" in result.output and "Spanish per 1k" in result.output
    [row] = [line for line in result.output.splitlines() if f" {step.key} " in line]
    assert [cell.strip() for cell in row.split("│")[-3:-1]] == costs
    assert costs == ["$8.30", "$16.60"]  # one GSM-7 segment in English; Spanish keeps its accents: two UCS-2


def test_the_list_shows_each_languages_segments_per_phase(ctx):
    result = invoke("list")

    [row] = [line for line in result.output.splitlines() if " pain-cycle " in line]
    english, spanish = row.split("│")[5].strip().split(" / ")
    assert english.startswith("1 (") and spanish.startswith("1 (")


@pytest.mark.parametrize("spelled", ["es", "ES", "es-MX", "Spanish", "español"])
def test_preview_renders_the_text_in_the_language_asked(ctx, spelled, tmp_path):
    campaign = ctx.catalog.get("rebook")
    expected = ctx.renderer.render(
        campaign, campaign.step("nudge"), "sms", sample_context(ctx.settings, "tapering", "sms", "es")
    )

    result = invoke("preview", "rebook", "nudge", "--sample", "tapering", "--language", spelled, "--out", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert "sms in Spanish (2 segments, UCS-2, " in result.output
    assert expected.language == "es" and f"\n  {expected.text}\n" in result.output


def test_preview_writes_the_email_in_the_language_asked(ctx, tmp_path):
    result = invoke("preview", "education", "pain-cycle", "--language", "es", "--out", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert result.output.startswith("email in Spanish: ")
    eml = (tmp_path / "education-pain-cycle-establishing-es.eml").read_text()
    assert "Content-Language: es" in eml
    assert '<html lang="es"' in (tmp_path / "education-pain-cycle-establishing-es.html").read_text()


def test_an_unknown_language_is_a_clear_error_listing_those_served(ctx):
    result = invoke("preview", "education", "pain-cycle", "--language", "fr")

    assert result.exit_code == 2
    assert "--language: unknown language 'fr'; use one of en (English), es (Spanish)" in result.output


def test_preview_for_a_client_in_another_language(cli_env, tmp_path):
    add_client(cli_env, "ext-7", at=datetime.now(timezone.utc), first_name="Rosa", language="en")

    result = invoke(
        "preview", "education", "pain-cycle", "--client", "ext-7", "--language", "es", "--out", str(tmp_path)
    )

    assert result.exit_code == 0, result.output
    assert "email in Spanish: " in result.output and "\nsms in Spanish (" in result.output
    assert "/learn/es/pain-cycle" in result.output  # the lesson's Spanish page
