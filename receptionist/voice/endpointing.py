"""End of turn from what the caller has said so far: don't cut them off mid-number or mid-spelling.

The session ends a caller's turn after a short silence (``min_delay``) unless this detector says the
words so far look unfinished, in which case it waits up to ``max_delay`` for more. Unfinished means: a
phone number that is still too short to be one, a name being spelled letter by letter, a sentence
that stops on a word that cannot end one ("my number is", "and", "um"), or a greeting with nothing after
it yet ("Good morning." — the reason for the call comes next). It is a LiveKit turn detector
(``predict_end_of_turn``), so it plugs into ``AgentSession(turn_handling={"turn_detection": ...})``.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

from receptionist.brain.offline.slots import is_greeting_only
from receptionist.brain.phone import DIGIT_WORDS, MISHEARD_DIGITS, digit_run

#: shortest national number worth ending a turn on, per region (else 10, NANP-like)
_MIN_NATIONAL_DIGITS = {"GB": 10, "US": 10, "CA": 10, "IE": 9, "AU": 9, "NZ": 8, "DE": 7, "FR": 9}
_DEFAULT_MIN_DIGITS = 10

_DANGLING_WORDS = (
    "a an the and or but so because if my our your is it's its are was to of for at on in with "
    "from number name spelled spell um uh erm er like then plus"
)
_DANGLING = frozenset(_DANGLING_WORDS.split())
_TOKEN = re.compile(r"[a-z0-9']+|\+", re.IGNORECASE)
_LAST_WORD = re.compile(r"\b([A-Za-z]+)\W*$")
# "M-A-R-Y", "M. A. R. Y", "m a r y" at the very end: at least two single letters in a row
_SPELLING = re.compile(r"(?:\b[a-z]\b[\s.,-]*){2,}$", re.IGNORECASE)
_SINGLE_LETTER_WORDS = frozenset({"a", "i"})

LIKELY = 0.95
UNLIKELY = 0.05
THRESHOLD = 0.5


def trailing_digits(text: str) -> str:
    """The digits of the number the text ends with ("... is 415 555" → "415555"), spoken or written.

    A last word that a phone line makes of a digit ("four one time": five) counts as that digit after
    two digits: at worst the caller waits a little longer for the reply."""
    stripped = text.strip().rstrip(".?!")
    last = _LAST_WORD.search(stripped)
    if last and last.group(1).lower() in MISHEARD_DIGITS:
        before = _TOKEN.findall(stripped[: last.start()].lower())
        if len(before) >= 2 and all(_digit_token(t) for t in before[-2:]):
            stripped = stripped[: last.start()] + " " + MISHEARD_DIGITS[last.group(1).lower()]
    return digit_run(stripped)


def _digit_token(token: str) -> bool:
    return token.isdigit() or token in DIGIT_WORDS


def ends_mid_number(text: str, region: str = "US") -> bool:
    """The caller stopped inside a phone number: a trailing run of 3+ digits, too short to be whole."""
    digits = trailing_digits(text)
    if len(digits) < 3:
        return False
    if text.strip().startswith("+") or (digits.startswith(("00", "1")) and len(digits) > 10):
        return False
    minimum = _MIN_NATIONAL_DIGITS.get(region, _DEFAULT_MIN_DIGITS)
    if len(digits) >= minimum:
        try:
            return not phonenumbers.is_possible_number(phonenumbers.parse(digits, region))
        except phonenumbers.NumberParseException:
            return False
    return True


def ends_mid_spelling(text: str) -> bool:
    """The caller is spelling something letter by letter ("it's M-A-R-")."""
    match = _SPELLING.search(text.strip().rstrip("?!"))
    if not match:
        return False
    letters = re.findall(r"[a-z]", match.group(0), re.IGNORECASE)
    return not all(letter.lower() in _SINGLE_LETTER_WORDS for letter in letters)


def ends_on_dangling_word(text: str) -> bool:
    """The last word cannot end a sentence ("my number is", "and", "um")."""
    stripped = text.strip()
    if not stripped or stripped[-1] in ".?!":
        return False
    tokens = _TOKEN.findall(stripped.lower())
    return bool(tokens) and tokens[-1] in _DANGLING


def looks_unfinished(text: str, region: str = "US") -> bool:
    return (
        ends_mid_number(text, region)
        or ends_mid_spelling(text)
        or ends_on_dangling_word(text)
        or is_greeting_only(text)  # the reason for the call comes in the next breath
    )


class TranscriptTurnDetector:
    """A LiveKit turn detector (the ``_TurnDetector`` protocol) on :func:`looks_unfinished`."""

    def __init__(self, region: str = "US") -> None:
        self.region = region

    @property
    def model(self) -> str:
        return "receptionist-transcript-rules"

    @property
    def provider(self) -> str:
        return "receptionist"

    async def unlikely_threshold(self, language: Any) -> float | None:
        return THRESHOLD

    async def supports_language(self, language: Any) -> bool:
        return True

    async def predict_end_of_turn(
        self,
        chat_ctx: Any,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (LiveKit's protocol)
    ) -> float:
        text = ""
        for item in reversed(chat_ctx.items):
            if item.type == "message" and item.role == "user":
                text = item.text_content or ""
                break
        return UNLIKELY if looks_unfinished(text, self.region) else LIKELY
