from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from outreach.campaigns import Campaign, Step
from outreach.rendering import RenderError, Renderer, message_context, sample_context
from outreach.settings import Settings
from tests.conftest import ROOT

ROOT = ROOT
SETTINGS = Settings(clinic={"name": "Northside Massage Therapy", "postal_address": "1200 Lake Street"})
CAMPAIGN = Campaign(
    name="demo",
    title="Demo",
    stream="education",
    steps=[Step(key="hello", template="hello", channels=["email", "sms"])],
)
STEP = CAMPAIGN.steps[0]


def context(first_name: str = "Ann", **overrides) -> dict:
    values = {
        "phase": "establishing",
        "interval_days": 7,
        "unsubscribe_url": "https://x.test/u/TOKEN",
        "preferences_url": "https://x.test/u/TOKEN?preferences=1",
        **overrides,
    }
    return message_context(SETTINGS, first_name=first_name, **values)


@pytest.fixture
def templates(tmp_path) -> Path:
    """The shipped layouts, and a step template the test writes."""
    (tmp_path / "layouts").mkdir()
    for layout in ("email.html.j2", "email.txt.j2", "sms.j2"):
        (tmp_path / "layouts" / layout).write_text((ROOT / "templates" / "layouts" / layout).read_text())
    return tmp_path


def write(templates: Path, name: str, text: str) -> None:
    path = templates / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


EMAIL = """{% block subject %}Hello {{ client.first_name }}{% endblock %}
{% block body %}
Hi {{ client.first_name }}, [book here]({{ clinic.booking_url }}).
{% endblock %}
"""


def test_it_names_the_file_and_line_of_an_undefined_variable(templates):
    write(templates, "hello.sms.j2", "Hi {{ client.first_name }},\nsee you {{ visit_day }}.\n")

    with pytest.raises(RenderError) as raised:
        Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "sms", context())

    assert (raised.value.path, raised.value.line) == (templates / "hello.sms.j2", 2)
    assert raised.value.message == "'visit_day' is undefined"
    assert str(raised.value) == f"{templates}/hello.sms.j2:2: 'visit_day' is undefined"


def test_it_names_the_line_of_an_undefined_variable_inside_an_email_block(templates):
    write(templates, "hello.email.j2", EMAIL.replace("[book here]", "\n\n{{ client.score }}"))

    with pytest.raises(RenderError) as raised:
        Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context())

    assert (raised.value.path.name, raised.value.line) == ("hello.email.j2", 5)


def test_it_names_the_file_and_line_of_a_syntax_error(templates):
    write(templates, "hello.sms.j2", "Hi\n\n{% if phase %}unclosed\n")

    with pytest.raises(RenderError) as raised:
        Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "sms", context())

    assert raised.value.path == templates / "hello.sms.j2"
    assert raised.value.line == 3
    assert raised.value.message.startswith("syntax error: Unexpected end of template")


def test_it_reports_a_missing_template(templates):
    with pytest.raises(RenderError) as raised:
        Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "sms", context())

    assert str(raised.value) == f"{templates}/hello.sms.j2:1: template not found"


def test_it_escapes_a_first_name_in_html_and_keeps_it_as_written_in_text(templates):
    write(templates, "hello.email.j2", EMAIL)

    rendered = Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context("<script>x</script>"))

    assert "<script>" not in rendered.html
    assert "Hi &lt;script&gt;x&lt;/script&gt;," in rendered.html
    assert rendered.text.startswith("Hi <script>x</script>, book here <https://example.com/book>.")
    assert rendered.subject == "Hello <script>x</script>"


def test_it_treats_markdown_in_a_first_name_as_plain_text(templates):
    write(templates, "hello.email.j2", EMAIL)

    rendered = Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context("*Bo* [x](y)"))

    assert "<em>" not in rendered.html
    assert "Hi *Bo* [x](y)," in rendered.html


def test_it_never_mixes_up_clients_that_share_a_cached_shape(templates):
    write(templates, "hello.email.j2", EMAIL)
    renderer = Renderer(SETTINGS, templates)

    first = renderer.render(CAMPAIGN, STEP, "email", context("Ann"))
    second = renderer.render(CAMPAIGN, STEP, "email", context("Bob", unsubscribe_url="https://x.test/u/BOB"))

    assert "Hi Ann," in first.html and "Ann" not in second.html
    assert "Hi Bob," in second.html
    assert 'href="https://x.test/u/BOB"' in second.html
    assert "https://x.test/u/BOB" in second.text


def test_it_keeps_macro_output_as_markdown(templates):
    write(
        templates, "partials/links.j2", "{% macro book(label) %}[{{ label }}]({{ clinic.booking_url }}){% endmacro %}"
    )
    write(
        templates,
        "hello.email.j2",
        "{% block subject %}Hi{% endblock %}{% block body %}"
        '{% from "partials/links.j2" import book with context %}'
        "Please {{ book('book & go') }}.{% endblock %}",
    )

    rendered = Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context())

    assert 'Please <a href="https://example.com/book"' in rendered.html
    assert ">book &amp; go</a>." in rendered.html
    assert "Please book & go <https://example.com/book>." in rendered.text


def test_it_inlines_the_layout_css_into_the_body(templates):
    write(templates, "hello.email.j2", EMAIL)

    html = Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context()).html

    assert '<p style="margin: 0 0 16px;">Hi Ann,' in html
    assert '<td class="content" style="padding: 12px 32px 20px;' in html
    assert "@media screen and (max-width: 620px)" in html  # kept for clients that honour it


def test_a_link_given_a_class_is_a_styled_button_in_html_and_a_plain_link_in_text(templates):
    write(
        templates,
        "hello.email.j2",
        "{% block subject %}Hi{% endblock %}{% block body %}\n"
        "{% for answer in answers %}\n[{{ answer.label }}]({{ answer.url }}){: .answer }\n"
        "{% endfor %}\n{% endblock %}",
    )
    urls = ("https://x.test/a/0", "https://x.test/a/1")

    rendered = Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context(answer_urls=urls))

    assert '<a class="answer" href="https://x.test/a/1" style="' in rendered.html
    assert "min-width: 44px" in rendered.html and ">1</a>" in rendered.html
    assert rendered.text.startswith("0 <https://x.test/a/0>\n1 <https://x.test/a/1>\n")
    assert "{:" not in rendered.text + rendered.html


def test_it_puts_the_footer_in_both_parts(templates):
    write(templates, "hello.email.j2", EMAIL)

    rendered = Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context())

    for part in (rendered.text, rendered.html):
        assert "1200 Lake Street" in part
        assert "https://x.test/u/TOKEN" in part
    assert 'href="https://x.test/u/TOKEN?preferences=1"' in rendered.html


def test_it_refuses_an_email_without_an_unsubscribe_link(templates):
    write(templates, "hello.email.j2", EMAIL)

    with pytest.raises(ValueError, match="unsubscribe_url"):
        Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context(unsubscribe_url=""))


def test_it_needs_a_subject_block(templates):
    write(templates, "hello.email.j2", "{% block body %}Hi{% endblock %}")

    with pytest.raises(RenderError, match="needs {% block subject %}"):
        Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "email", context())


def test_it_prefixes_a_text_with_the_clinic_name_on_one_line(templates):
    write(templates, "hello.sms.j2", "Hi {{ client.first_name }},\n  see you   soon.\n")

    rendered = Renderer(SETTINGS, templates).render(CAMPAIGN, STEP, "sms", context())

    assert (rendered.channel, rendered.subject, rendered.html) == ("sms", "", "")
    assert rendered.text == "Northside Massage: Hi Ann, see you soon."


def test_it_adds_the_stop_line_when_the_context_asks(templates):
    write(templates, "hello.sms.j2", "Hi {{ client.first_name }}.")
    renderer = Renderer(SETTINGS, templates)

    with_notice = renderer.render(CAMPAIGN, STEP, "sms", context(stop_notice=True)).text

    assert with_notice == "Northside Massage: Hi Ann.\nReply STOP to opt out."
    assert "STOP" not in renderer.render(CAMPAIGN, STEP, "sms", context()).text


def test_it_renders_a_reply_in_the_sms_layout(templates):
    write(templates, "replies/received.sms.j2", "Thanks, the front desk will reply.")

    reply = Renderer(SETTINGS, templates).render_reply("received", context())

    assert reply == "Northside Massage: Thanks, the front desk will reply."


def test_it_knows_which_templates_exist(templates):
    write(templates, "hello.sms.j2", "Hi.")
    renderer = Renderer(SETTINGS, templates)

    assert renderer.has_template(STEP, "sms")
    assert not renderer.has_template(STEP, "email")


def test_it_spells_weeks_for_people(templates):
    write(templates, "hello.sms.j2", "{{ interval_weeks|weeks }}")
    renderer = Renderer(SETTINGS, templates)

    def rendered(days):
        return renderer.render(CAMPAIGN, STEP, "sms", context(interval_days=days)).text

    assert [rendered(7), rendered(14), rendered(None)] == [
        "Northside Massage: a week",
        "Northside Massage: 2 weeks",
        "Northside Massage: a few weeks",
    ]


def test_the_context_holds_exactly_what_a_template_may_print():
    visit = datetime(2026, 3, 3, 14, 30, tzinfo=ZoneInfo("America/Chicago"))

    values = message_context(
        SETTINGS, first_name=" Ann ", phase="tapering", interval_days=14, visit_at_local=visit, today=date(2026, 3, 2)
    )

    assert values == {
        "language": "en",
        "client": {"first_name": "Ann"},
        "clinic": {
            "name": "Northside Massage Therapy",
            "sms_name": "Northside Massage",
            "phone": "+16125222225",
            "phone_display": "(612) 522-2225",
            "toll_free": "+18773252225",
            "toll_free_display": "(877) 325-2225",
            "booking_url": "https://example.com/book",
            "postal_address": "1200 Lake Street",
        },
        "phase": "tapering",
        "interval_weeks": 2,
        "visit": {"day": "tomorrow", "date": "Tuesday, March 3", "time": "2:30 PM"},
        "visit_at": visit,
        "today": date(2026, 3, 2),
        "unsubscribe_url": "",
        "preferences_url": "",
        "stop_notice": False,
        "answers": (),
    }


def test_it_greets_a_client_without_a_first_name():
    assert message_context(SETTINGS, first_name="", phase="lapsed", interval_days=None)["client"] == {
        "first_name": "there"
    }


def test_it_refuses_an_unknown_phase():
    with pytest.raises(ValueError, match="unknown phase 'weekly'"):
        message_context(SETTINGS, first_name="Ann", phase="weekly", interval_days=7)


def test_the_sample_client_has_a_visit_and_signed_links():
    sample = sample_context(SETTINGS, "maintaining", "sms")

    assert sample["visit"] == {"day": "tomorrow", "date": "Wednesday, September 30", "time": "12:30 PM"}
    assert sample["interval_weeks"] == 4
    assert sample["unsubscribe_url"].startswith("http://localhost:8000/unsubscribe/")
    assert sample["stop_notice"] is True
    assert [a["label"] for a in sample["answers"]] == [str(n) for n in range(11)]
    assert sample["answers"][4]["url"].startswith("http://localhost:8000/checkin/")
    assert sample["answers"][4]["url"].endswith("/4")


def test_a_visit_is_named_relative_to_the_day_the_message_goes_out():
    visit = datetime(2026, 3, 3, 14, 30, tzinfo=ZoneInfo("America/Chicago"))

    def day(today: date) -> str:
        return message_context(
            SETTINGS, first_name="Ann", phase="tapering", interval_days=14, visit_at_local=visit, today=today
        )["visit"]["day"]

    assert (day(date(2026, 3, 2)), day(date(2026, 3, 3)), day(date(2026, 2, 28))) == ("tomorrow", "today", "on Tuesday")
