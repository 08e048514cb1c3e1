"""A template renders once per shape (outreach/rendering/shapes.py): every message reads exactly as a full render."""

from datetime import date, datetime
from itertools import cycle
from pathlib import Path

import pytest

from outreach.campaigns import Campaign, Step, load_catalog
from outreach.rendering import RenderError, Renderer, message_context
from outreach.settings import Settings
from outreach.rendering.shapes import TRIAL_RENDERS, Unshareable, read_uses
from tests.conftest import ROOT

ROOT = ROOT
SETTINGS = Settings(clinic={"name": "Northside <Massage> & Co", "postal_address": "1200 Lake Street"})
CATALOG = load_catalog(ROOT / "campaigns")
NAMES = ["Ann", '<b>Bo</b> & "Cy"', "Zoë", "", "xtok0kotx", "O'Neil", "  Li  ", "*Dee* [x](y)"]
PHASES = ["establishing", "tapering", "maintaining", "lapsed"]


def contexts(count: int = 40) -> list[dict]:
    """Clients that differ in every way a template may read: names, phases, intervals, visits, links."""
    made = []
    for number, name, phase, interval, visit, preferences in zip(
        range(count),
        cycle(NAMES),
        cycle(PHASES),
        cycle([7, None, 21]),
        cycle([datetime(2026, 9, 30, 12, 30), None, datetime(2026, 10, 2, 8, 5)]),
        cycle([True, True, False]),
    ):
        made.append(
            message_context(
                SETTINGS,
                first_name=name,
                phase=phase,
                interval_days=interval,
                visit_at_local=visit,
                unsubscribe_url=f"https://x.test/u/TOKEN{number}",
                preferences_url=f"https://x.test/p/TOKEN{number}" if preferences else "",
                stop_notice=number % 4 == 0,
                today=date(2026, 9, 29),
                answer_urls=tuple(f"https://x.test/a/{number}/{answer}" for answer in range(11)) if number % 5 else (),
            )
        )
    return made


def outcome(renderer: Renderer, campaign: Campaign, step: Step, channel: str, context: dict):
    try:
        return renderer.render(campaign, step, channel, context)
    except (RenderError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


def full_renderer(templates: Path) -> Renderer:
    renderer = Renderer(SETTINGS, templates)
    renderer.shapes.enabled = False
    return renderer


SHIPPED = [
    pytest.param(campaign, step, channel, id=f"{campaign.name}-{step.key}-{channel}")
    for campaign in CATALOG.campaigns
    for step in campaign.steps
    for channel in step.channels
]


@pytest.mark.parametrize(("campaign", "step", "channel"), SHIPPED)
def test_every_shipped_message_reads_as_its_full_render(campaign, step, channel):
    shared, full = Renderer(SETTINGS, ROOT / "templates"), full_renderer(ROOT / "templates")
    for context in contexts():
        assert outcome(shared, campaign, step, channel, context) == outcome(full, campaign, step, channel, context)


def test_clients_who_take_the_same_branches_share_one_shape():
    campaign = CATALOG.get("education")
    step = campaign.steps[0]
    renderer = Renderer(SETTINGS, ROOT / "templates")
    for number in range(30):
        context = message_context(
            SETTINGS,
            first_name=f"Client {number}",
            phase="establishing",
            interval_days=7,
            unsubscribe_url=f"https://x.test/u/{number}",
            preferences_url=f"https://x.test/p/{number}",
        )
        rendered = renderer.render(campaign, step, "email", context)
        assert f"Client {number}" in rendered.text and f"https://x.test/u/{number}" in rendered.html
    assert len(renderer.shapes) == 1


def test_a_phase_that_changes_the_words_is_its_own_shape():
    campaign = CATALOG.get("rebook")
    step = campaign.steps[0]
    renderer = Renderer(SETTINGS, ROOT / "templates")
    texts = set()
    for phase in PHASES[:3]:
        context = message_context(
            SETTINGS,
            first_name="Ann",
            phase=phase,
            interval_days=7,
            unsubscribe_url="https://x.test/u/1",
            stop_notice=True,
        )
        texts.add(renderer.render(campaign, step, "sms", context).text)
    assert len(renderer.shapes) == len(texts) == 3


TRICKY = {
    "compared": "{% if client.first_name == 'Ann' %}A{% else %}B{% endif %} {{ client.first_name }}",
    "filtered": "{{ client.first_name|upper }} {{ client.first_name|length }} {{ interval_weeks|weeks }}",
    "joined": "{{ client.first_name ~ '!' }} {{ 'x' if client.first_name else 'y' }}",
    "assigned": "{% set n = client.first_name %}{{ n }} {{ client.first_name }}",
    "looped": "{% for c in 'ab' %}{{ client.first_name }}{{ loop.index }}{% endfor %}",
    "shadowed": "{% for client in [{'first_name': 'X'}] %}{{ client.first_name }}{% endfor %}{{ client.first_name }}",
    "guarded": "{% if visit %}{{ visit.day }} at {{ visit.time }}{% else %}no visit{% endif %}",
    "unguarded": "{{ visit.day }}",
    "truth of a printed link": "{% if preferences_url %}prefs: {{ preferences_url }}{% endif %}.",
    "not": "{% if not preferences_url and stop_notice %}n{% endif %}{{ preferences_url }}",
    "whole and part": "{{ visit }} {{ visit.day }}",
    "macro": "{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(client.first_name) }}",
    "include": "{% include 'partials/p.j2' %} and {{ client.first_name }}",
    "chosen": "{{ client.first_name if phase == 'tapering' else clinic.name }}",
    "tested": "{{ client.first_name is string }} {{ visit is none }} {{ visit.day is defined }}",
    "subscript": "{{ client['first_name'] }} {{ answers[0].url if answers else '-' }}",
    "answers": "{% for answer in answers %}{{ answer.label }}={{ answer.url }} {% endfor %}",
    "filtered loop": "{% for a in answers if a.label != '3' %}{{ loop.index }}/{{ loop.length }} {{ a.url }} "
    "{% else %}none{% endfor %}",
    "compared element": "{% for a in answers %}{% if a.label == '5' %}five {{ a.url }}{% endif %}{% endfor %}",
    "whole element": "{% for a in answers %}{{ a }}{{ a.url }}{% endfor %}",
    "nested": "{% for a in answers %}{% for c in a.label %}{{ c }}{% endfor %}{{ a.url }}{% endfor %}",
    "included in a loop": "{% for client in answers %}{% include 'partials/p.j2' %}{% endfor %}",
    "loop variable after": "{% for a in answers %}{{ a.url }}{% endfor %}{% set a = visit %}{{ a }}",
    "loop variable outside": "{% for a in answers %}{{ a.url }}{% endfor %}{% if a is defined %}{{ a }}{% endif %}",
    "call": "{{ range(2)|list }} {{ client.first_name }}",
    "self": "{{ self }} {{ client.first_name }}",
    "undefined": "{{ client.last_name }}",
    "method": "{{ client.items }}",
}


@pytest.fixture
def templates(tmp_path) -> Path:
    (tmp_path / "layouts").mkdir()
    for layout in ("email.html.j2", "email.txt.j2", "sms.j2"):
        (tmp_path / "layouts" / layout).write_text((ROOT / "templates" / "layouts" / layout).read_text())
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "p.j2").write_text("{% if phase == 'lapsed' %}L{% endif %}{{ client.first_name }}")
    return tmp_path


@pytest.mark.parametrize("name", TRICKY)
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_template_reads_the_same_whatever_it_does_with_its_values(templates, name, channel):
    body = TRICKY[name]
    email = f"{{% block subject %}}S {body}{{% endblock %}}{{% block body %}}{body}{{% endblock %}}"
    source = body if channel == "sms" else email
    (templates / f"t.{channel}.j2").write_text(source)
    campaign = Campaign(
        name="demo", title="Demo", stream="education", steps=[Step(key="t", template="t", channels=[channel])]
    )
    step = campaign.steps[0]
    shared, full = Renderer(SETTINGS, templates), full_renderer(templates)
    clients = contexts(24)
    results = [outcome(full, campaign, step, channel, context) for context in clients]
    assert [outcome(shared, campaign, step, channel, context) for context in clients] == results
    if name != "undefined":  # an error for everyone; otherwise the clients' messages differ, as they should
        assert len({str(result) for result in results}) > 1


@pytest.mark.parametrize(
    "source",
    [
        TRICKY["macro"],
        TRICKY["call"],
        TRICKY["self"],
        "{% include phase ~ '.j2' %}",
        "{{ [client.first_name, 'x']|random }}",
        "{% extends 'layouts/sms.j2' %}",
    ],
)
def test_what_it_cannot_vouch_for_is_never_shared(templates, source):
    (templates / "u.sms.j2").write_text(source)
    with pytest.raises(Unshareable):
        read_uses(Renderer(SETTINGS, templates).environment, ("u.sms.j2",))


def test_a_template_that_draws_at_random_still_draws_for_every_message(templates):
    campaign = Campaign(
        name="demo", title="Demo", stream="education", steps=[Step(key="u", template="u", channels=["sms"])]
    )
    (templates / "u.sms.j2").write_text("{{ [client.first_name, 'x', 'y', 'z']|random }}")
    renderer = Renderer(SETTINGS, templates)
    words = {renderer.render(campaign, campaign.steps[0], "sms", contexts(1)[0]).text for _ in range(60)}
    assert len(words) > 1 and len(renderer.shapes) == 0


def test_published_copy_replaces_the_shapes_of_the_old(templates):
    (templates / "v.sms.j2").write_text("Old words for {{ client.first_name }}")
    campaign = Campaign(
        name="demo", title="Demo", stream="education", steps=[Step(key="v", template="v", channels=["sms"])]
    )
    renderer = Renderer(SETTINGS, templates)
    context = contexts(1)[0]
    assert "Old words for Ann" in renderer.render(campaign, campaign.steps[0], "sms", context).text
    renderer.use_overrides({"v.sms.j2": "New words for {{ client.first_name }}"})
    assert "New words for Ann" in renderer.render(campaign, campaign.steps[0], "sms", context).text


def test_a_template_whose_shapes_never_repeat_stops_keeping_them(templates):
    (templates / "w.sms.j2").write_text("{% if client.first_name|length > 0 %}{{ client.first_name }}{% endif %}")
    campaign = Campaign(
        name="demo", title="Demo", stream="education", steps=[Step(key="w", template="w", channels=["sms"])]
    )
    renderer = Renderer(SETTINGS, templates)
    for number in range(TRIAL_RENDERS * 2):
        context = message_context(
            SETTINGS,
            first_name=f"Client {number}",
            phase="establishing",
            interval_days=7,
            unsubscribe_url="https://x.test/u/1",
        )
        assert f"Client {number}" in renderer.render(campaign, campaign.steps[0], "sms", context).text
    assert len(renderer.shapes) == TRIAL_RENDERS
