"""Test sends: the address a test goes to, normalised, by a channel its step sends by."""

import pytest

from outreach.campaigns import Campaign, Step
from outreach.services.test_sends import recipient

EMAIL_ONLY = Campaign(
    name="welcome",
    title="Welcome",
    stream="education",
    steps=[Step(key="hello", template="education/pain-cycle", channels=("email",))],
)


def test_a_test_goes_by_email_to_an_address_with_an_at_and_by_text_to_a_number():
    both = Campaign(
        name="c", title="C", stream="education", steps=[Step(key="s", template="t", channels=("email", "sms"))]
    )

    assert recipient(both, both.steps[0], "Owner@Example.COM", "US") == ("email", "Owner@example.com")
    assert recipient(both, both.steps[0], "(612) 555-0199", "US") == ("sms", "+16125550199")


@pytest.mark.parametrize(
    "to, why",
    [
        ("+1 612 555 0199", "step welcome/hello is not sent by sms"),
        ("owner@@example.com", "not a valid email address"),
    ],
)
def test_a_test_is_refused_an_address_or_channel_it_cannot_go_to(to, why):
    with pytest.raises(ValueError, match=why):
        recipient(EMAIL_ONLY, EMAIL_ONLY.steps[0], to, "US")
