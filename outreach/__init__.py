"""outreach: consent-first email and SMS outreach for a massage-therapy clinic."""

__version__ = "0.1.0"
