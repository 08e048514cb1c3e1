"""Campaign problems found by whole-campaign rules still point at the line to fix."""

from outreach.campaigns import CampaignError, parse_campaign

import pytest

HEAD = 'name = "{name}"\ntitle = "x"\nstream = "education"\n'
STEP = '\n[[steps]]\nkey = "one"\ntemplate = "a/{t}"\nchannels = ["email"]\n'


def problems(tmp_path, name, text):
    path = tmp_path / f"{name}.toml"
    path.write_text(HEAD.format(name=name) + text)
    with pytest.raises(CampaignError) as caught:
        parse_campaign(path)
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


def test_a_backwards_window_points_at_its_table(tmp_path):
    text = '\n[window]\nstart = "19:00"\nend = "09:00"\n' + STEP.format(t="b")
    assert problems(tmp_path, "w", text) == ["w.toml:5: window: Value error, window start must be before window end"]


def test_a_duplicate_step_key_points_at_the_second_use(tmp_path):
    assert problems(tmp_path, "d", STEP.format(t="b") + STEP.format(t="c")) == [
        "d.toml:11: step key 'one' is used twice"
    ]
