"""The keypad collector on its own: digits, ``#``, ``*``, the idle timeout."""

from __future__ import annotations

import asyncio

from receptionist.brain.phone import MAX_DIGITS
from receptionist.voice.keypad import Keypad


def collector(idle_s: float = 10.0) -> tuple[Keypad, list[str]]:
    got: list[str] = []
    return Keypad(got.append, idle_s=idle_s), got


async def test_digits_are_handed_over_on_hash() -> None:
    keypad, got = collector()
    for key in "4155550134#":
        keypad.press(key)
    assert got == ["4155550134"] and keypad.digits == ""


async def test_star_starts_again_and_other_keys_are_ignored() -> None:
    keypad, got = collector()
    for key in "12*61A7 #":
        keypad.press(key)
    assert got == ["617"]


async def test_hash_alone_hands_over_nothing() -> None:
    keypad, got = collector()
    keypad.press("#")
    assert got == []


async def test_digits_are_handed_over_when_the_caller_stops_keying() -> None:
    keypad, got = collector(idle_s=0.05)
    for key in "4155":
        keypad.press(key)
    await asyncio.sleep(0.02)
    keypad.press("5")  # each key restarts the wait
    await asyncio.sleep(0.03)
    assert got == []
    await asyncio.sleep(0.1)
    assert got == ["41555"]
    await asyncio.sleep(0.1)
    assert got == ["41555"]  # once


async def test_a_keypad_held_down_stops_at_the_longest_number() -> None:
    keypad, got = collector()
    for _ in range(40):
        keypad.press("9")
    keypad.press("#")
    assert got == ["9" * (MAX_DIGITS + 1)]  # one more than any number: it cannot parse as one


async def test_cancel_forgets_the_digits_and_the_timer() -> None:
    keypad, got = collector(idle_s=0.02)
    keypad.press("4")
    keypad.cancel()
    await asyncio.sleep(0.06)
    assert got == [] and keypad.digits == ""
