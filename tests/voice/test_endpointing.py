"""End of turn from the words so far: callers are not cut off mid-number or mid-spelling."""

from __future__ import annotations

import pytest
from livekit.agents import llm

from receptionist.voice.endpointing import (
    LIKELY,
    UNLIKELY,
    TranscriptTurnDetector,
    ends_mid_number,
    ends_mid_spelling,
    looks_unfinished,
    trailing_digits,
)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("my number is 415 555", "415555"),
        ("it's four one five, five five five", "415555"),
        ("call me on (415) 555-01", "41555501"),
        ("Four one time.", "415"),  # "five" as a narrowband line makes it, after two digits
        ("4, 1, time", "415"),
        ("I have time", ""),
        ("one more time", ""),
        ("I'd like to book a cleaning", ""),
    ],
)
def test_trailing_digits(text: str, digits: str) -> None:
    assert trailing_digits(text) == digits


@pytest.mark.parametrize(
    "text",
    [
        "my number is 415 555",
        "sure, it's four one five",
        "four one five, five five five, oh one",
        "0207 946",
    ],
)
def test_a_number_still_being_read_out_is_unfinished(text: str) -> None:
    assert ends_mid_number(text, "US") or ends_mid_number(text, "GB")


@pytest.mark.parametrize(
    "text",
    [
        "my number is 415 555 0134",
        "four one five, five five five, oh one three four.",
        "I need two fillings",  # one digit word is not a number being read out
    ],
)
def test_a_whole_number_or_no_number_is_finished(text: str) -> None:
    assert not ends_mid_number(text, "US")


def test_spelling_is_unfinished_and_ordinal_words_are_not_spelling() -> None:
    assert ends_mid_spelling("my name is Nguyen, N G U")
    assert ends_mid_spelling("it's spelled M-A-R-")
    assert ends_mid_spelling("K. O. W. A.")
    assert not ends_mid_spelling("I have a question")
    assert not ends_mid_spelling("Can I book an appointment?")


@pytest.mark.parametrize(
    ("text", "unfinished"),
    [
        ("my number is", True),
        ("I'm calling about um", True),
        ("I'd like to speak to someone about my bill and", True),
        ("I'd like to speak to someone about my bill.", False),
        ("Thanks, that's all", False),
        ("", False),
        ("Good afternoon.", True),  # a greeting alone: the reason for the call comes next
        ("Hi there,", True),
        ("yes", False),
        ("thank you", False),
        ("Hi, I need to reschedule.", False),
    ],
)
def test_dangling_words(text: str, unfinished: bool) -> None:
    assert looks_unfinished(text) is unfinished


async def test_detector_reads_the_latest_caller_words_from_the_chat_context() -> None:
    detector = TranscriptTurnDetector("US")
    ctx = llm.ChatContext()
    ctx.add_message(role="assistant", content="What's the best number to reach you on?")
    ctx.add_message(role="user", content="it's four one five, five five five")
    assert await detector.predict_end_of_turn(ctx) == UNLIKELY
    ctx.add_message(role="user", content="oh one three four")
    assert await detector.predict_end_of_turn(ctx) == UNLIKELY  # only the last message: still 4 digits
    ctx2 = llm.ChatContext()
    ctx2.add_message(role="user", content="four one five five five five oh one three four")
    assert await detector.predict_end_of_turn(ctx2) == LIKELY
    threshold = await detector.unlikely_threshold(None)
    assert threshold is not None and UNLIKELY < threshold < LIKELY
