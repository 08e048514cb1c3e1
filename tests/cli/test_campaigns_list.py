"""`campaigns list` in an 80-column terminal or a pipe keeps every name whole; `--json` gives each step's size per
channel and language, measured as `campaigns check` measures it."""

import json

from typer.testing import CliRunner

from outreach.cli import app
from outreach.policy.segments import count_segments
from outreach.rendering import PHASES, sample_context, template_name
from outreach.rendering.names import language_of

KEYS = {"campaign", "step", "channel", "template", "segments", "encoding", "characters", "over_target", "over_max"}


def _records() -> list[dict]:
    result = CliRunner().invoke(app, ["campaigns", "list", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_in_80_columns_every_step_and_campaign_name_is_printed_whole(ctx):
    result = CliRunner().invoke(app, ["campaigns", "list"], env={"COLUMNS": "80"})

    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    printed = set(result.output.replace("│", " ").split())
    for campaign in ctx.catalog.campaigns:
        assert campaign.name in printed
        assert {step.key for step in campaign.steps} <= printed
    assert max(len(line.rstrip()) for line in result.output.splitlines()) <= 80


def test_json_lists_each_step_per_channel_and_language(ctx):
    records = _records()

    assert isinstance(records, list) and all(KEYS | {"language"} <= set(record) for record in records)
    served = set(ctx.settings.served_languages)
    for campaign in ctx.catalog.campaigns:
        for step in campaign.steps:
            found = {
                (r["channel"], r["language"])
                for r in records
                if (r["campaign"], r["step"]) == (campaign.name, step.key)
            }
            assert found == {(channel, language) for channel in step.channels for language in served}


def test_json_sizes_are_the_longest_phase_of_each_text_against_target_and_maximum(ctx):
    records = {(r["campaign"], r["step"], r["channel"], r["language"]): r for r in _records()}
    maximum = ctx.settings.sms.max_segments
    for campaign in ctx.catalog.campaigns:
        for step in campaign.steps:
            if "sms" not in step.channels:
                continue
            phases = step.phases or campaign.audience.phases
            for language in ctx.settings.served_languages:
                record = records[(campaign.name, step.key, "sms", language)]
                sizes = [
                    count_segments(
                        ctx.renderer.render(
                            campaign, step, "sms", sample_context(ctx.settings, phase, "sms", language)
                        ).text
                    )
                    for phase in PHASES
                    if phase in phases
                ]
                longest = max(sizes, key=lambda size: (size.segments, size.characters))
                target = ctx.settings.target_segments(language)
                assert (record["segments"], record["characters"], record["encoding"]) == (
                    longest.segments,
                    longest.characters,
                    longest.encoding,
                )
                assert (record["over_target"], record["over_max"]) == (
                    longest.segments > target,
                    longest.segments > maximum,
                )
                assert record["template"] == ctx.renderer.resolve(template_name(step, "sms"), record["phase"], language)


def test_json_names_each_languages_own_template_and_the_replies(ctx):
    records = _records()

    checkin = {r["language"]: r for r in records if (r["step"], r["channel"]) == ("pain-checkin", "sms")}
    assert checkin["es"]["template"] == "checkin/pain-checkin.es.sms.j2" and checkin["es"]["encoding"] == "UCS-2"
    assert checkin["en"]["template"] == "checkin/pain-checkin.sms.j2"
    emails = [r for r in records if r["channel"] == "email"]
    assert emails and all(r["segments"] is None and not r["over_max"] for r in emails)
    stop = {r["language"]: r for r in records if (r["campaign"], r["step"]) == ("replies", "stop")}
    assert stop["es"]["template"] == "replies/stop.es.sms.j2" and stop["es"]["segments"] >= 1
    for record in records:
        assert (ctx.templates_dir / record["template"]).is_file(), record
        assert language_of(record["template"], ctx.settings.clinic.default_language) == record["language"], record
