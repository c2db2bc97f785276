"""What a caller on hold hears and may answer: position and wait in plain words, and "message" / "call me
back" (or the keys 1 and 2) to stop waiting. Texts come from ``prompts/hold_announcements.yaml``."""

from __future__ import annotations

import re
from pathlib import Path

from receptionist.acd.model import CallerChoice, Position
from receptionist.prompts import DEFAULT_PROMPTS_DIR, Replies, load_replies

HOLD_FILE = "hold_announcements.yaml"
KEYS = {"1": CallerChoice.MESSAGE, "2": CallerChoice.CALLBACK}

_ORDINALS = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth", "twentieth",
]  # fmt: skip
_NUMBERS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]  # fmt: skip
_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty"}

_CALLBACK = re.compile(r"\b(call(ing)?\s+(me\s+)?back|callback|ring\s+me\s+back|phone\s+me\s+back)\b", re.I)
_MESSAGE = re.compile(r"\b(message|voicemail|voice\s+mail)\b", re.I)
_NEGATIONS = frozenset({"not", "don't", "dont", "never", "without"})
_DTMF = re.compile(r"^\s*(?:dtmf[:\s]*)?([0-9*#])\s*$", re.I)


def load_hold_prompts(prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> Replies:
    """The hold texts, keyed by situation (same shape as ``offline_replies.yaml``)."""
    return load_replies(prompts_dir, HOLD_FILE)


def ordinal(position: int) -> str:
    """1 -> "next", 2 -> "second", ... as said to a caller about their place in line."""
    if position <= 1:
        return "next"
    if position <= len(_ORDINALS):
        return _ORDINALS[position - 1]
    return f"number {position}"


def number_words(n: int) -> str:
    if n <= 20:
        return _NUMBERS[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens * 10] + (f"-{_NUMBERS[ones]}" if ones else "") if n < 70 else str(n)


def wait_phrase(seconds: float) -> str:
    """An estimate as a person would say it: "less than a minute", "about two minutes", "about fifteen
    minutes", "more than an hour"."""
    if seconds < 45:
        return "less than a minute"
    if seconds < 90:
        return "about a minute"
    minutes = round(seconds / 60)
    if minutes > 10:
        minutes = round(minutes / 5) * 5
    if minutes > 60:
        return "more than an hour"
    if minutes == 60:
        return "about an hour"
    return f"about {number_words(minutes)} minutes"


def team_name(queue: str) -> str:
    words = queue.replace("-", " ").replace("_", " ")
    return words if words.endswith("team") else f"{words} team"


def position_text(prompts: Replies, position: Position, *, turn: int, team: str) -> str:
    """What to tell a held caller: "You're second in line; it should be about two minutes."."""
    place = ordinal(position.position)
    wait = position.estimated_wait_s
    if position.position <= 1 and wait == 0:
        return prompts.say("ringing", turn, team=team)
    if wait is None:
        return prompts.say("position_no_estimate", turn, position=place)
    return prompts.say("position", turn, position=place, wait=wait_phrase(wait))


def caller_choice(text: str) -> CallerChoice | None:
    """Whether a caller on hold asked to leave a message or be called back (words or a key)."""
    key = _DTMF.match(text)
    if key:
        return KEYS.get(key.group(1))
    for pattern, choice in ((_CALLBACK, CallerChoice.CALLBACK), (_MESSAGE, CallerChoice.MESSAGE)):
        match = pattern.search(text)
        if match and not _negated(text[: match.start()]):
            return choice
    return None


def _negated(before: str) -> bool:
    """A negation among the five words before the keyword ("I don't want to leave a message")."""
    words = re.findall(r"[\w']+", before.lower().replace("\u2019", "'"))[-5:]
    return any(w in _NEGATIONS for w in words)
