"""What a caller on hold hears and may say, in plain words."""

from __future__ import annotations

import pytest

from receptionist.acd.config import QueueKey
from receptionist.acd.hold import caller_choice, load_hold_prompts, ordinal, position_text, wait_phrase
from receptionist.acd.model import CallerChoice, Position


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "less than a minute"),
        (44, "less than a minute"),
        (60, "about a minute"),
        (120, "about two minutes"),
        (180, "about three minutes"),
        (610, "about ten minutes"),
        (14 * 60, "about fifteen minutes"),
        (42 * 60, "about forty minutes"),
        (3600, "about an hour"),
        (5 * 3600, "more than an hour"),
    ],
)
def test_waits_are_said_as_a_person_would(seconds: float, said: str) -> None:
    assert wait_phrase(seconds) == said


def test_positions() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 20, 21)] == ["next", "second", "third", "twentieth", "number 21"]


def test_announcements() -> None:
    prompts = load_hold_prompts()
    key = QueueKey("acme", "support")
    second = Position(call_id="c", queue=key, position=2, estimated_wait_s=120)
    assert position_text(prompts, second, turn=0, team="support team") == (
        "You're second in line; it should be about two minutes."
    )
    ringing = Position(call_id="c", queue=key, position=1, estimated_wait_s=0)
    assert position_text(prompts, ringing, turn=0, team="support team") == (
        "Someone from our support team is about to pick up."
    )
    unstaffed = Position(call_id="c", queue=key, position=3, estimated_wait_s=None)
    assert position_text(prompts, unstaffed, turn=0, team="support team") == "You're third in line."


@pytest.mark.parametrize(
    ("said", "choice"),
    [
        ("1", CallerChoice.MESSAGE),
        ("2", CallerChoice.CALLBACK),
        ("dtmf:2", CallerChoice.CALLBACK),
        ("can I just leave a message", CallerChoice.MESSAGE),
        ("could you call me back later", CallerChoice.CALLBACK),
        ("I'd like a callback please", CallerChoice.CALLBACK),
        ("voicemail", CallerChoice.MESSAGE),
        ("I don't want to leave a message, I'll wait", None),
        ("how long is the wait?", None),
        ("3", None),
    ],
)
def test_caller_choices(said: str, choice: CallerChoice | None) -> None:
    assert caller_choice(said) is choice
