import pytest

from receptionist.evaluation.wer import (
    WerCount,
    count,
    edit_distance,
    normalize,
    number_to_words,
    pooled,
    wer,
)


def test_normalisation_case_punctuation_and_abbreviations() -> None:
    assert normalize("And so, my fellow Americans!") == ["and", "so", "my", "fellow", "americans"]
    assert normalize("Mr. John Dashwood") == ["mister", "john", "dashwood"]
    assert normalize("cold-hearted, don't") == ["cold", "hearted", "dont"]


def test_spelled_letters_become_letter_tokens() -> None:
    letters = ["p", "i", "t", "t", "s"]
    assert normalize("p i t t s") == letters
    assert normalize("P.I.T.T.S.") == letters
    assert normalize("P-I-T-T-S") == letters


def test_numbers_and_spoken_digits() -> None:
    assert normalize("I have 2 dogs and ten cats") == ["i", "have", "two", "dogs", "and", "ten", "cats"]
    assert normalize("3 9 0") == ["three", "nine", "zero"]
    assert normalize("15217") == ["one", "five", "two", "one", "seven"]
    assert normalize("call 415-555-0134") == [
        "call",
        *["four", "one", "five", "five", "five", "five", "zero", "one", "three", "four"],
    ]
    assert normalize("(415) 555 0134") == [
        "four",
        "one",
        "five",
        "five",
        "five",
        "five",
        "zero",
        "one",
        "three",
        "four",
    ]
    assert number_to_words("56") == "fifty six"
    assert number_to_words("415") == "four hundred fifteen"
    assert number_to_words("5632") == "fifty six thirty two"
    assert number_to_words("1900") == "nineteen hundred"
    assert number_to_words("2000") == "two thousand"
    assert number_to_words("1905") == "nineteen zero five"
    assert number_to_words("0134") == "zero one three four"
    assert normalize("1st and 22nd") == ["first", "and", "twenty", "second"]
    assert normalize("1,000") == ["one", "thousand"]
    assert normalize("3.5%") == ["three", "point", "five", "percent"]


def test_oh_is_zero_only_among_digits() -> None:
    assert normalize("nine oh two one oh") == ["nine", "zero", "two", "one", "zero"]
    assert normalize("oh oh seven") == ["zero", "zero", "seven"]
    assert normalize("Oh, I see") == ["oh", "i", "see"]
    assert normalize("ten oh") == ["ten", "oh"]  # "ten" is not a digit word


def test_edit_distance_hand_computed() -> None:
    assert edit_distance([], []) == 0
    assert edit_distance(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert edit_distance(["a", "b", "c"], ["a", "x", "c"]) == 1  # substitution
    assert edit_distance(["a", "b", "c"], ["a", "c"]) == 1  # deletion
    assert edit_distance(["a", "b"], ["a", "b", "c", "d"]) == 2  # insertions
    assert edit_distance(["a", "b", "c"], []) == 3
    assert edit_distance([], ["a"]) == 1


def test_count_after_normalisation() -> None:
    # "five five five" heard as "time time time": 3 substitutions of 3 words
    assert count("five five five", "time time time") == WerCount(3, 3)
    # "56-32" is a hyphenated digit run, read digit by digit: "five six three two", 2 substitutions
    assert count("fifty six thirty two", "56-32") == WerCount(2, 4)
    assert count("fifty six thirty two", "5632") == WerCount(0, 4)
    assert count("P I T T S", "P-I-T-T-S.") == WerCount(0, 5)
    assert count("FRANCES", "F R A N C E S") == WerCount(7, 1)  # 1 substitution + 6 insertions


def test_pooled_wer_is_total_edits_over_total_words() -> None:
    refs = ["one two three four", "hello"]
    hyps = ["one two three four", "yellow"]
    # edits 0 + 1 over words 4 + 1: 0.2 (a mean of per-utterance rates would be 0.5)
    assert wer(refs, hyps) == pytest.approx(0.2)
    assert pooled([WerCount(1, 4), WerCount(2, 6)]).wer == pytest.approx(0.3)
    assert WerCount(0, 0).wer == 0.0
    assert WerCount(2, 0).wer == 1.0
    with pytest.raises(ValueError):
        wer(["a"], [])


def test_whisper_formats_of_spelled_letters_and_digits() -> None:
    # the ways Whisper writes a spelled name or a digit string all normalise to the spoken tokens
    letters = ["m", "a", "r", "y"]
    for written in ("M-A-R-Y.", "M. A. R. Y.", "M.A.R.Y", "M, A, R, Y", "m a r y"):
        assert normalize(written) == letters, written
    fives = ["five", "five", "five"]
    for written in ("5-5-5", "5, 5, 5.", "5 5 5", "five, five, five"):
        assert normalize(written) == fives, written
    digits = ["two", "zero", "six", "five", "five", "five", "zero", "one", "nine", "two"]
    for written in ("206-555-0192", "2-0-6, 5-5-5, 0-1-9-2", "(206) 555 0192", "2065550192",
                    "two oh six five five five oh one nine two"):  # fmt: skip
        assert normalize(written) == digits, written
    assert normalize("nine-oh-two") == ["nine", "zero", "two"]
    assert normalize("K-O-W-A-L-6") == ["k", "o", "w", "a", "l", "six"]
    # both sides get the same treatment: the reference's spelling and the hypothesis's format agree
    assert count("d a n a", "D-A-N-A.") == WerCount(0, 4)
    assert count("two oh six", "2-0-6") == WerCount(0, 3)


def test_clock_times_read_as_spoken() -> None:
    assert normalize("call me at 4:00") == ["call", "me", "at", "four"]
    assert normalize("10:30") == ["ten", "thirty"]
    assert normalize("9:05") == ["nine", "zero", "five"]
    assert count("nine oh five", "9:05") == WerCount(0, 3)
    assert count("four", "4:00") == WerCount(0, 1)
