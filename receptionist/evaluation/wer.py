"""Word error rate with a stated normalisation, pooled over utterances. Dependency-free.

Normalisation (applied to reference and hypothesis alike, by :func:`normalize`):

1. Lower-case; ``&`` → "and", ``%`` → "percent"; the abbreviations mr, mrs, dr → mister, missus, doctor.
2. Numbers to words. Digit groups in a phone-style run (joined by hyphens: ``415-555-0134``; dotted
   ``415.555.0134``; or groups of 3–4 digits separated by spaces: ``(415) 555 0134``), a group with a leading zero, and any group of
   five or more digits are read digit by digit ("15217" → "one five two one seven"). Other numbers are read
   as spoken: 1–999 as cardinals ("56" → "fifty six", "415" → "four hundred fifteen"), four-digit numbers
   in pairs, year style ("5632" → "fifty six thirty two", "1900" → "nineteen hundred", "1905" →
   "nineteen zero five"); thousands separators are dropped; ``3.5`` → "three point five"; ordinals
   ("1st", "22nd") → "first", "twenty second"; clock times are read as spoken, a zero minute silent
   ("4:00" → "four", "10:30" → "ten thirty", "9:05" → "nine zero five").
3. Punctuation is removed. Hyphens and dots split words, so spelled letters become letter tokens
   ("P-I-T-T" and "P.I.T.T.S." → "p i t t s"); apostrophes are dropped inside words ("don't" → "dont").
4. "oh" becomes "zero" only where it is a digit: next to a digit word (zero–nine) or to another such "oh"
   ("nine oh two one oh" → "nine zero two one zero"). Number words are otherwise kept ("ten" stays "ten").

WER = (substitutions + deletions + insertions) / reference words, pooled: total edits over total reference
words across all utterances, not a mean of per-utterance rates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from receptionist.voice.speakable import ordinal_of

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
DIGIT_WORDS = frozenset(_ONES[:10])
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor"}
# a run of digit groups joined like a phone number: 415-555-0134, (415) 555-0134, 415.555.0134
_PHONE_RUN = re.compile(
    r"\b\d{2,4}(?:-\d{2,4}){1,4}\b"  # 415-555-0134, 56-32
    r"|\b\d{3}\.\d{3}\.\d{4}\b"  # 415.555.0134
    r"|\(?\b\d{3}\)?(?:\s+\d{3,4}){1,3}\b"  # (415) 555 0134, 415 555 0134
)
_CLOCK = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_DECIMAL = re.compile(r"\b(\d+)\.(\d+)\b")
_NUMBER = re.compile(r"\d+")


def _under_100(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])


def _under_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _under_100(rest)
    return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + _under_100(rest))


def digits_to_words(digits: str) -> str:
    """One digit at a time: "0134" → "zero one three four"."""
    return " ".join(_ONES[int(d)] for d in digits)


def number_to_words(digits: str) -> str:
    """A number as spoken (see the module docstring for the rules)."""
    if len(digits) >= 5 or (len(digits) > 1 and digits[0] == "0"):
        return digits_to_words(digits)
    n = int(digits)
    if n < 1000:
        return _under_1000(n)
    high, low = divmod(n, 100)
    if low == 0:
        return (_under_100(high) + " hundred") if high % 10 else (_ONES[high // 10] + " thousand")
    if low < 10:
        return _under_100(high) + " zero " + _ONES[low]
    return _under_100(high) + " " + _under_100(low)


def _clock(hours: str, minutes: str) -> str:
    hour = number_to_words(str(int(hours)))
    if minutes == "00":
        return hour
    return f"{hour} {digits_to_words(minutes) if minutes[0] == '0' else number_to_words(minutes)}"


def normalize(text: str) -> list[str]:
    """Normalised word tokens of ``text`` (see the module docstring)."""
    s = text.lower().replace("&", " and ").replace("%", " percent ")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)  # thousands separators
    s = _PHONE_RUN.sub(lambda m: " " + digits_to_words(re.sub(r"\D", "", m.group())) + " ", s)
    s = _CLOCK.sub(lambda m: " " + _clock(m.group(1), m.group(2)) + " ", s)
    s = _ORDINAL.sub(lambda m: " " + ordinal_of(number_to_words(m.group(1))) + " ", s)
    s = _DECIMAL.sub(lambda m: f" {number_to_words(m.group(1))} point {digits_to_words(m.group(2))} ", s)
    s = _NUMBER.sub(lambda m: " " + number_to_words(m.group()) + " ", s)
    s = re.sub(r"(?<=\w)'(?=\w)", "", s)  # apostrophes inside words
    s = re.sub(r"[^\w\s]|_", " ", s)
    tokens = [_ABBREVIATIONS.get(t, t) for t in s.split()]
    return _oh_to_zero(tokens)


def _oh_to_zero(tokens: list[str]) -> list[str]:
    out = list(tokens)
    changed = True
    while changed:  # propagate through runs such as "oh oh seven"
        changed = False
        for i, t in enumerate(out):
            if t != "oh":
                continue
            neighbours = out[max(i - 1, 0) : i] + out[i + 1 : i + 2]
            if any(n in DIGIT_WORDS for n in neighbours):
                out[i] = "zero"
                changed = True
    return out


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance over tokens (substitutions, deletions, insertions each cost 1)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True, slots=True)
class WerCount:
    """Edits and reference words of one utterance or a pool of them."""

    edits: int
    ref_words: int

    @property
    def wer(self) -> float:
        if self.ref_words == 0:
            return 0.0 if self.edits == 0 else 1.0
        return self.edits / self.ref_words

    def __add__(self, other: WerCount) -> WerCount:
        return WerCount(self.edits + other.edits, self.ref_words + other.ref_words)


def count(reference: str, hypothesis: str) -> WerCount:
    """Edits and reference words for one utterance after normalisation."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    return WerCount(edit_distance(ref, hyp), len(ref))


def pooled(counts: Iterable[WerCount]) -> WerCount:
    total = WerCount(0, 0)
    for c in counts:
        total = total + c
    return total


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Pooled WER: total edits / total reference words after normalisation."""
    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses differ in length")
    return pooled(count(r, h) for r, h in zip(references, hypotheses, strict=True)).wer
