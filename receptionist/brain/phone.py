"""Phone numbers as callers say them: "four one five, five five five, oh one three four" → E.164.

Parsing and validation are ``phonenumbers``'; this module only turns spoken digits into written ones
and formats numbers for reading back.
"""

from __future__ import annotations

import itertools
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


#: words a narrowband (8 kHz) line makes of digits; only read as digits *inside* a run of digits
MISHEARD_DIGITS = {
    "time": "five", "fife": "five", "fine": "five", "tree": "three", "free": "three", "fore": "four",
    "for": "four", "to": "two", "too": "two", "won": "one", "ate": "eight", "niner": "nine",
    "times": "five",
}  # fmt: skip
_TRAILING_DIGITS = re.compile(r"\+?\d[\d\s().,-]*$")
_RUN_TOKEN = re.compile(r"[A-Za-z]+|\d+")
_RUN_SEPARATOR = re.compile(r"^[\s,.-]*$")


def _digitish(word: str) -> bool:
    return word.isdigit() or word.lower() in DIGIT_WORDS or word.lower() in MULTIPLIERS


def repair_misheard_digits(text: str) -> str:
    """ "4 1 time, time time time, 0 1 3 4" → "4 1 five, five five five, 0 1 3 4": a word that sounds like a
    digit is read as one when digits (or other such words) stand on both sides of it, in a run holding at
    least three real digits ("06" is two). A word that starts a run keeps its meaning ("for 4 1 5"); one
    that ends a run does too, unless the run ends the text ("... 0 1 3 time": the caller's last words)."""
    tokens = list(_RUN_TOKEN.finditer(text))
    if not tokens:
        return text
    runs: list[list[re.Match[str]]] = [[tokens[0]]]
    for prev, tok in itertools.pairwise(tokens):
        if _RUN_SEPARATOR.match(text[prev.end() : tok.start()]):
            runs[-1].append(tok)
        else:
            runs.append([tok])
    replace: dict[int, str] = {}
    for run in runs:
        kinds = [
            "d" if _digitish(m.group(0)) else "h" if m.group(0).lower() in MISHEARD_DIGITS else "x"
            for m in run
        ]
        i = 0
        while i < len(run):  # maximal stretches of digits and sound-alikes
            if kinds[i] == "x":
                i += 1
                continue
            j = i
            while j < len(run) and kinds[j] != "x":
                j += 1
            real = sum(len(run[k].group(0)) if run[k].group(0).isdigit() else 1
                       for k in range(i, j) if kinds[k] == "d")  # fmt: skip
            at_end = run is runs[-1] and j == len(run) and not text[run[-1].end() :].strip(" ,.-?!")
            if real >= 3:
                for n in range(i + 1, j if at_end else j - 1):
                    if kinds[n] == "h":
                        replace[run[n].start()] = MISHEARD_DIGITS[run[n].group(0).lower()]
            i = j
    if not replace:
        return text
    out, last = [], 0
    for m in tokens:
        if m.start() in replace:
            out += [text[last : m.start()], replace[m.start()]]
            last = m.end()
    return "".join(out) + text[last:]


def spoken_digits_to_text(text: str) -> str:
    """Replace runs of spoken digits ("five five five, oh one") with written digits ("55501")."""
    text = repair_misheard_digits(text)

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


MAX_DIGITS = 15
"""The longest phone number (E.164 allows 15 digits)."""
MIN_DIGITS = 7
"""Fewer digits than this are the start of a number, not a whole one said wrong."""


def digit_run(text: str) -> str:
    """The digits of the number ``text`` ends with, spoken or written ("... four one five" → "415")."""
    written = spoken_digits_to_text(text.strip().rstrip(".?!"))
    match = _TRAILING_DIGITS.search(written)
    return re.sub(r"\D", "", match.group(0)) if match else ""


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
    return _say_groups(re.findall(r"\d+", display(e164, region)))


def read_digits(digits: str) -> str:
    """Digits that make no valid number, read out in threes ("four one five, five five zero, one three
    four"), the last group taking a fourth rather than leaving one on its own."""
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2:] = [groups[-2] + groups[-1]]
    return _say_groups(groups)


def _say_groups(groups: list[str]) -> str:
    """Groups of digits as words, digit by digit, a pause (comma) between groups."""
    return ", ".join(" ".join(_DIGIT_NAMES[int(d)] for d in g) for g in groups)
