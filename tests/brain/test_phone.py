import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.brain.phone import display, find_phone, read_back, spoken_digits_to_text

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my number is four one five, five five five, oh one three four thanks", "+14155550134"),
        ("call me on (415) 555-0134", "+14155550134"),
        ("4155550134", "+14155550134"),
        ("four one five five five five zero one double three", "+14155550133"),
        ("it's +44 20 7946 0958", "+442079460958"),
        ("my number is 12", None),
        ("I have one or two questions", None),
        ("", None),
    ],
)
def test_find_phone(text: str, expected: str | None) -> None:
    assert find_phone(text, "US") == expected


def test_region_decides_national_numbers() -> None:
    assert find_phone("020 7946 0958", "GB") == "+442079460958"
    assert find_phone("020 7946 0958", "US") is None


def test_read_back_groups_digits() -> None:
    assert read_back("+14155550134", "US") == "four one five, five five five, zero one three four"
    assert display("+14155550134", "US") == "(415) 555-0134"
    assert display("+442079460958", "US").startswith("+44")


@given(st.lists(st.integers(0, 9), min_size=4, max_size=4))
def test_spoken_line_numbers_round_trip(last4) -> None:
    spoken = "four one five five five five " + " ".join(NAMES[d] for d in last4)
    assert find_phone(spoken, "US") == "+1415555" + "".join(map(str, last4))


def test_spoken_digits_leave_words_alone() -> None:
    assert spoken_digits_to_text("someone called about one thing") == "someone called about one thing"


@pytest.mark.parametrize(
    ("heard", "e164"),
    [
        ("4 1 time, time time time, 0 1 3 4", "+14155550134"),  # "five" on an 8 kHz line
        ("four one fife, five five five, oh one three four", "+14155550134"),
        ("six one seven, tree tree tree, oh one four two", "+16173330142"),
    ],
)
def test_digits_misheard_on_a_phone_line_are_repaired_inside_a_number(heard: str, e164: str) -> None:
    assert find_phone(heard, "US") == e164


@pytest.mark.parametrize("text", ["I have time for 2 things", "call me for 4 1 5", "free to talk at 3"])
def test_sound_alike_words_outside_a_run_of_digits_keep_their_meaning(text: str) -> None:
    from receptionist.brain.phone import repair_misheard_digits

    assert repair_misheard_digits(text) == text


@pytest.mark.parametrize(
    ("heard", "e164"),
    [
        ("4 1 5, 5 5 5, 0 1 3 time", "+14155550135"),  # the number is the last thing said
        ("2-06. Time time time. Time time time time.", "+12065555555"),  # "06" counts as two digits
    ],
)
def test_a_sound_alike_that_ends_the_caller_s_words_is_a_digit(heard: str, e164: str) -> None:
    assert find_phone(heard, "US") == e164


@pytest.mark.parametrize("text", ["call 415 555 0134 any time", "415 555 0134 for the office"])
def test_a_sound_alike_after_the_number_in_a_sentence_keeps_its_meaning(text: str) -> None:
    from receptionist.brain.phone import repair_misheard_digits

    assert repair_misheard_digits(text) == text


@pytest.mark.parametrize(
    ("digits", "spoken"),
    [
        ("415550134", "four one five, five five zero, one three four"),
        ("4155501", "four one five, five five zero one"),
        ("12", "one two"),
        ("1234", "one two three four"),
    ],
)
def test_digits_that_make_no_number_are_read_in_threes(digits: str, spoken: str) -> None:
    from receptionist.brain.phone import read_digits

    assert read_digits(digits) == spoken
