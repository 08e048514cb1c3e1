from hypothesis import given, strategies as st

from outreach.policy.segments import GSM7_BASIC, SegmentCount, capacity, count_segments


def test_it_fits_160_plain_characters_in_one_segment():
    assert count_segments("a" * 160) == SegmentCount("GSM-7", 1, 160, None)


def test_it_splits_161_characters_into_two_parts_of_153():
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_it_counts_an_empty_text_as_one_message():
    assert count_segments("") == SegmentCount("GSM-7", 1, 0, None)


def test_it_counts_extension_characters_as_two_septets():
    count = count_segments("{}[]~|^\\€")

    assert count.encoding == "GSM-7"
    assert count.characters == 18


def test_it_tips_into_a_second_segment_when_an_extension_character_ends_at_161():
    assert count_segments("a" * 158 + "€").segments == 1
    assert count_segments("a" * 159 + "€") == SegmentCount("GSM-7", 2, 161, None)


def test_it_never_splits_an_escape_pair_across_parts():
    # 152 septets, then a 2-septet character that cannot straddle the 153 boundary.
    text = "a" * 152 + "€" + "a" * 152

    count = count_segments(text)

    assert count.characters == 306
    assert count.segments == 3


def test_it_keeps_gsm_letters_with_accents_in_gsm7():
    assert count_segments("Café Ñandù à Åse £5 §").encoding == "GSM-7"


def test_it_switches_to_ucs2_on_an_accent_gsm7_lacks():
    assert count_segments("José Núñez").first_non_gsm == "ú"


def test_it_switches_to_ucs2_on_a_curly_quote_and_names_it():
    count = count_segments("Let\u2019s book")

    assert count == SegmentCount("UCS-2", 1, 10, "\u2019")


def test_it_switches_to_ucs2_on_an_em_dash_or_non_breaking_space():
    assert count_segments("rest \u2014 then move").first_non_gsm == "\u2014"
    assert count_segments("10\u00a0AM").first_non_gsm == "\u00a0"


def test_it_fits_70_ucs2_code_units_in_one_segment_and_67_per_part_after():
    assert count_segments("\u2019" * 70).segments == 1
    assert count_segments("\u2019" * 71).segments == 2
    assert count_segments("\u2019" * 134).segments == 2
    assert count_segments("\u2019" * 135).segments == 3


def test_it_counts_an_emoji_as_two_code_units():
    count = count_segments("Hi \U0001f60a")

    assert count == SegmentCount("UCS-2", 1, 5, "\U0001f60a")


def test_it_tips_into_a_second_segment_when_an_emoji_ends_at_71():
    assert count_segments("a" * 68 + "\U0001f60a").segments == 1
    assert count_segments("a" * 69 + "\U0001f60a").segments == 2


def test_it_never_splits_an_emoji_across_parts():
    text = "a" * 66 + "\U0001f60a" + "a" * 66

    assert count_segments(text).segments == 3


def test_it_knows_how_much_fits_in_a_budget():
    assert capacity("GSM-7", 1) == 160
    assert capacity("GSM-7", 2) == 306
    assert capacity("UCS-2", 2) == 134


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 11 UTF-16 code units, one grapheme
KEYCAP_ONE = "1\ufe0f\u20e3"  # 3 code units, one grapheme


def test_it_moves_a_zwj_family_emoji_that_straddles_a_part_boundary_whole_into_the_next_part():
    # 60 + 11 = 71 units: two parts. Splitting by code point fits the family's first 7 units in part one
    # (67) and the rest in part two; a phone shows the emoji whole, so it all moves: 60 | 11 + 60 = 71 > 67.
    text = "\u2019" * 60 + FAMILY + "\u2019" * 60

    assert count_segments(text) == SegmentCount("UCS-2", 3, 131, "\u2019")


def test_it_moves_a_keycap_that_straddles_a_part_boundary_whole_into_the_next_part():
    text = "\u2019" * 66 + KEYCAP_ONE + "\u2019" * 65

    assert count_segments(text).segments == 3
    assert count_segments("\u2019" * 64 + KEYCAP_ONE + "\u2019" * 67).segments == 2


@given(st.text(alphabet=sorted(GSM7_BASIC), max_size=800))
def test_a_plain_gsm_text_counts_as_the_general_rule_counts_it(text):
    from outreach.policy.segments import GSM7_LIMITS, _segments

    count = count_segments(text)

    assert (count.encoding, count.characters) == ("GSM-7", len(text))
    assert count.segments == _segments([1] * len(text), GSM7_LIMITS)
