"""How many SMS segments a text costs, and in which encoding (GSM 03.38 / 3GPP TS 23.038).

One character outside the GSM-7 alphabet (a curly quote, an emoji, a non-breaking space) switches the
whole text to UCS-2, which fits less than half as much in a segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

# An extended grapheme cluster (UAX #29): what a phone shows as one character, e.g. a ZWJ family emoji.
_GRAPHEME = regex.compile(r"\X")

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as an escape plus the character: two septets each.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# (one segment, each part of a longer text), in septets or UTF-16 code units.
GSM7_LIMITS = (160, 153)
UCS2_LIMITS = (70, 67)


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" | "UCS-2"
    segments: int
    characters: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    first_non_gsm: str | None


def count_segments(text: str) -> SegmentCount:
    """Segments a text is sent in. An empty text still takes one message."""
    if GSM7_BASIC.issuperset(text):  # the common case, and every send counts: one septet a character, no clusters
        single, part = GSM7_LIMITS
        return SegmentCount("GSM-7", 1 if len(text) <= single else -(-len(text) // part), len(text), None)
    first_non_gsm = next((c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION), None)
    graphemes = _GRAPHEME.findall(text)
    if first_non_gsm is None:
        units = [sum(2 if c in GSM7_EXTENSION else 1 for c in g) for g in graphemes]
        return SegmentCount("GSM-7", _segments(units, GSM7_LIMITS), sum(units), None)
    units = [len(g.encode("utf-16-le")) // 2 for g in graphemes]
    return SegmentCount("UCS-2", _segments(units, UCS2_LIMITS), sum(units), first_non_gsm)


def capacity(encoding: str, segments: int) -> int:
    """The most characters (septets or code units) that fit in `segments` segments."""
    single, part = GSM7_LIMITS if encoding == "GSM-7" else UCS2_LIMITS
    return single if segments == 1 else part * segments


def _segments(units: list[int], limits: tuple[int, int]) -> int:
    single, part = limits
    if sum(units) <= single:
        return 1
    # A character is never split between parts: an escape pair, a surrogate pair or a whole grapheme cluster
    # (keycap, ZWJ emoji) that would straddle the boundary moves to the next part, as phones and the providers'
    # own calculators do. A cluster longer than a part cannot move whole and is split where it must be.
    segments, used = 1, 0
    for size in units:
        if used + size > part and used:
            segments, used = segments + 1, 0
        while used + size > part:
            segments, size = segments + 1, size - part
        used += size
    return segments
