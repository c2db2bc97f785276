"""Phone numbers as callers say them: "four one five, five five five, oh one three four" → E.164.

Parsing and validation are ``phonenumbers``'; this module only turns spoken digits into written ones
and formats numbers for reading back.
"""

from __future__ import annotations

import re

import phonenumbers

#: spoken digits as callers say them, and the words that repeat the next one
DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
MULTIPLIERS = {"double": 2, "triple": 3}
_WORD = re.compile(r"[a-z]+|\d+|[+]", re.IGNORECASE)
_SPOKEN_RUN = re.compile(
    r"\b(?:(?:zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine|double|triple|\d+)\b"
    r"[\s,.-]*){3,}",
    re.IGNORECASE,
)
_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def spoken_digits_to_text(text: str) -> str:
    """Replace runs of spoken digits ("five five five, oh one") with written digits ("55501")."""

    def convert(match: re.Match[str]) -> str:
        out: list[str] = []
        repeat = 1
        for tok in _WORD.findall(match.group(0)):
            low = tok.lower()
            if low in MULTIPLIERS:
                repeat = MULTIPLIERS[low]
                continue
            digits = DIGIT_WORDS.get(low, tok if tok.isdigit() else "")
            out.append(digits * repeat if len(digits) == 1 else digits)
            repeat = 1
        trailing = " " if match.group(0)[-1:].isspace() else ""
        return "".join(out) + trailing

    return _SPOKEN_RUN.sub(convert, text)


def find_phone(text: str, region: str) -> str | None:
    """The first valid phone number in ``text`` (written or spoken), as E.164, else None."""
    candidate_text = spoken_digits_to_text(text)
    for match in phonenumbers.PhoneNumberMatcher(
        candidate_text, region, leniency=phonenumbers.Leniency.VALID
    ):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    # digits run together with no separators ("4155550134") are also matched above; a number that
    # only becomes valid without spaces inside groups ("415 5550 134") is tried last.
    squashed = re.sub(r"(?<=\d)[\s.-]+(?=\d)", "", candidate_text)
    for match in phonenumbers.PhoneNumberMatcher(squashed, region, leniency=phonenumbers.Leniency.VALID):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def has_digit_run(text: str, minimum: int = 5) -> bool:
    """Whether the caller seems to have read out a number (so a failed parse deserves a specific reply)."""
    digits = re.sub(r"\D", "", spoken_digits_to_text(text))
    return len(digits) >= minimum


def display(e164: str, region: str) -> str:
    """A number as people write it in ``region``: national format at home, international abroad."""
    number = phonenumbers.parse(e164, None)
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def read_back(e164: str, region: str) -> str:
    """A number as a receptionist reads it back: digit by digit, in its groups ("4 1 5, 5 5 5, ...")."""
    groups = re.findall(r"\d+", display(e164, region))
    return ", ".join(" ".join(_DIGIT_NAMES[int(d)] for d in g) for g in groups)
