from outreach.policy.segments import SegmentCount, capacity, count_segments


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
    count = count_segments("Hi \U0001F60A")

    assert count == SegmentCount("UCS-2", 1, 5, "\U0001F60A")


def test_it_tips_into_a_second_segment_when_an_emoji_ends_at_71():
    assert count_segments("a" * 68 + "\U0001F60A").segments == 1
    assert count_segments("a" * 69 + "\U0001F60A").segments == 2


def test_it_never_splits_an_emoji_across_parts():
    text = "a" * 66 + "\U0001F60A" + "a" * 66

    assert count_segments(text).segments == 3


def test_it_knows_how_much_fits_in_a_budget():
    assert capacity("GSM-7", 1) == 160
    assert capacity("GSM-7", 2) == 306
    assert capacity("UCS-2", 2) == 134
