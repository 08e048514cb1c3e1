"""The holdout: a stable share of a campaign's clients who receive none of its messages, so the report can compare
them with the messaged ones. Pure: whether a client is held out depends only on the client, the campaign and
the share, so re-planning never moves anyone from one group to the other."""

from __future__ import annotations

import hashlib

# Never held out: a visit reminder is service, not marketing. Replies and opt-out confirmations are not campaigns.
NEVER_HELD_OUT = frozenset({"reminder"})
# The delivery log's one row per held-out client and campaign uses this in place of a step key (which cannot
# contain brackets or spaces, so no real step is ever mistaken for it).
HOLDOUT_STEP = "(held out)"
HOLDOUT_CYCLE = "1"
BUCKETS = 10_000


def holdout_bucket(client_id: int, campaign: str) -> int:
    """A uniform number in [0, BUCKETS) from the client and the campaign (SHA-256, so not Python's salted hash)."""
    digest = hashlib.sha256(f"{campaign}:{client_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def is_held_out(client_id: int, campaign: str, stream: str, percent: float) -> bool:
    if percent <= 0 or stream in NEVER_HELD_OUT:
        return False
    return holdout_bucket(client_id, campaign) < percent / 100 * BUCKETS


def holdout_reason(percent: float) -> str:
    return f"Held out: in this campaign's comparison group ({percent:g}% of clients get none of its messages)"
