"""Take payment details out of what a caller said before anything stores, logs or sends it.

Redacted: card numbers (13–19 digits, written or spoken, any spacing, Luhn-valid, and either starting
with a payment network's issuer prefix or said in a sentence that mentions a card) → "[card number]";
the digits after "CVV"/"security code" → "[security code]"; the date after "expires"/"exp" →
"[expiry]"; the nine digits after "routing" → "[routing number]"; the nine after "social security"/"SSN" →
"[social security number]". Phone numbers (10–11 digits, too
short for a card), order, account and reference numbers are kept: the receptionist needs them.

The issuer-prefix condition keeps long order and tracking numbers: about one in ten random numbers
passes Luhn, and those starting 0, 1, 7, 9 (or 8 outside RuPay's 81–82) belong to no card network.

A run of digits longer than a card (say, a card read straight into a phone number) is searched for a
Luhn-valid 13–19-digit stretch starting and ending on a digit group; that stretch is redacted, so a
card number never survives next to other digits. The price is that two long numbers read together
with no words between can, rarely, lose a card-length stretch that happens to pass Luhn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from receptionist.brain.phone import DIGIT_WORDS, MULTIPLIERS

CARD = "card_number"
SECURITY_CODE = "security_code"
EXPIRY = "expiry"
ROUTING = "routing_number"
NATIONAL_ID = "social_security_number"
_PLACEHOLDER = {
    NATIONAL_ID: "[social security number]",
    CARD: "[card number]",
    SECURITY_CODE: "[security code]",
    EXPIRY: "[expiry]",
    ROUTING: "[routing number]",
}

_DIGIT_TOKEN = re.compile(r"\d+|\b(?:" + "|".join([*DIGIT_WORDS, *MULTIPLIERS]) + r")\b", re.IGNORECASE)
_SEPARATOR = re.compile(r"[\s,.\-/()]{0,4}")
_FILLER = r"(?:[\s:,\-]|\b(?:is|it'?s|its|the|my|number|code|date|on|of|in|at|would\s+be|will\s+be)\b)*"
_SSN_KEY = re.compile(r"\b(?:social\s+security(?:\s+(?:number|no\.?|#))?|ssn)\b", re.IGNORECASE)
_SECURITY_KEY = re.compile(
    r"(?<!social )\b(?:cvv2?|cvc2?|cid|csc|security\s+(?:code|number)|verification\s+(?:code|number|value)"
    r"|three[- ]digit\s+(?:code|number)(?:\s+on\s+the\s+back)?|(?:code|number)\s+on\s+the\s+back)\b",
    re.IGNORECASE,
)
_EXPIRY_KEY = re.compile(
    r"\b(?:expir(?:es|y|ation|ing)|exp\.?|valid\s+(?:thru|through|until)|good\s+(?:thru|through))(?=\W|$)",
    re.IGNORECASE,
)
_ROUTING_KEY = re.compile(r"\b(?:routing|aba|transit)\b", re.IGNORECASE)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_NUMBER_WORD = (
    r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|thousand)"
)
_DATE = re.compile(
    rf"{_FILLER}(\d{{1,2}}\s*[/\-.]\s*\d{{2,4}}|\d{{1,2}}\s+\d{{2,4}}|\d{{3,4}}"
    rf"|{_MONTH}(?:\s+(?:of\s+)?(?:\d{{2,4}}|{_NUMBER_WORD}(?:[\s\-]+{_NUMBER_WORD}){{0,2}}))?"
    rf"|{_NUMBER_WORD}(?:[\s\-/]+{_NUMBER_WORD}){{1,3}})",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(_FILLER, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Redacted:
    """Text with payment details replaced, and which kinds were found (in order, each once)."""

    text: str
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Group:
    start: int
    end: int
    digits: str


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` passes the Luhn checksum every payment card number carries."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _runs(text: str) -> list[list[_Group]]:
    """Runs of digit groups ("4111 1111", "four one one") separated only by spaces or punctuation."""
    runs: list[list[_Group]] = []
    current: list[_Group] = []
    repeat = 1
    repeat_start: int | None = None
    last_end = -1
    for m in _DIGIT_TOKEN.finditer(text):
        word = m.group(0).lower()
        joined = last_end >= 0 and _SEPARATOR.fullmatch(text, last_end, m.start()) is not None
        if not joined and current:
            runs.append(current)
            current = []
        last_end = m.end()
        if word in MULTIPLIERS:
            repeat, repeat_start = MULTIPLIERS[word], m.start()
            continue
        digits = DIGIT_WORDS.get(word, word)
        start = repeat_start if repeat_start is not None else m.start()
        current.append(_Group(start, m.end(), digits * repeat if len(digits) == 1 else digits))
        repeat, repeat_start = 1, None
    if current:
        runs.append(current)
    return runs


_CARD_CONTEXT = re.compile(
    r"\b(?:card|visa|master\s*card|amex|american\s+express|discover|maestro|credit|debit|cvv|cvc)\b",
    re.IGNORECASE,
)


def issued_by_a_network(digits: str) -> bool:
    """Whether ``digits`` starts with an issuer prefix of a payment card network, at a length it uses."""
    n = len(digits)
    if digits[:2] in ("34", "37"):
        return n == 15  # American Express
    two, four = int(digits[:2]), int(digits[:4])
    return (
        digits[0] == "4"  # Visa
        or 51 <= two <= 55 or 2221 <= four <= 2720  # Mastercard
        or 2200 <= four <= 2204  # Mir
        or digits[0] == "6"  # Discover, UnionPay, Maestro, RuPay, Verve
        or two in (30, 35, 36, 38, 39)  # Diners Club, JCB
        or two in (50, 56, 57, 58)  # Maestro
        or two in (81, 82)  # RuPay
    )  # fmt: skip


def _is_card(digits: str, *, context: bool) -> bool:
    return 13 <= len(digits) <= 19 and luhn_valid(digits) and (context or issued_by_a_network(digits))


def _card_spans(run: list[_Group], *, context: bool) -> list[tuple[int, int]]:
    total = sum(len(g.digits) for g in run)
    if 13 <= total <= 19 and _is_card("".join(g.digits for g in run), context=context):
        return [(run[0].start, run[-1].end)]
    spans: list[tuple[int, int]] = []
    if total < 14:
        return spans
    for i in range(len(run)):
        digits = ""
        for j in range(i, len(run)):
            digits += run[j].digits
            if len(digits) > 19:
                break
            if _is_card(digits, context=context):
                spans.append((run[i].start, run[j].end))
    return spans


def _after_key(
    text: str, key: re.Pattern[str], runs: list[list[_Group]], sizes: range
) -> list[tuple[int, int]]:
    """Spans of the first digit groups (``sizes`` digits in all) right after each ``key``."""
    spans: list[tuple[int, int]] = []
    for m in key.finditer(text):
        lead = _LEAD_IN.match(text, m.end())
        at = lead.end() if lead else m.end()
        run = next((r for r in runs if r[0].start == at), None)
        if run is None:
            continue
        count = 0
        for g in run:
            count += len(g.digits)
            if count in sizes:
                spans.append((run[0].start, g.end))
                break
            if count >= sizes.stop:
                break
    return spans


def redact(text: str) -> Redacted:
    """``text`` with card numbers, security codes, expiry dates and routing numbers replaced."""
    runs = _runs(text)
    context = _CARD_CONTEXT.search(text) is not None
    found: list[tuple[int, int, str]] = []
    for run in runs:
        found += [(s, e, CARD) for s, e in _card_spans(run, context=context)]
    found += [(s, e, SECURITY_CODE) for s, e in _after_key(text, _SECURITY_KEY, runs, range(3, 5))]
    found += [(s, e, ROUTING) for s, e in _after_key(text, _ROUTING_KEY, runs, range(9, 10))]
    found += [(s, e, NATIONAL_ID) for s, e in _after_key(text, _SSN_KEY, runs, range(9, 10))]
    for m in _EXPIRY_KEY.finditer(text):
        if date := _DATE.match(text, m.end()):
            found.append((date.start(1), date.end(1), EXPIRY))
    if not found:
        return Redacted(text, ())
    # Merge overlapping spans; where they overlap, the earlier-starting (then longer) one names it.
    found.sort(key=lambda f: (f[0], -f[1]))
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in found:
        if merged and start < merged[-1][1]:
            s, e, k = merged[-1]
            merged[-1] = (s, max(e, end), k)
        else:
            merged.append((start, end, kind))
    out: list[str] = []
    pos = 0
    for start, end, kind in merged:
        out.append(text[pos:start])
        out.append(_PLACEHOLDER[kind])
        pos = end
    out.append(text[pos:])
    return Redacted("".join(out), tuple(dict.fromkeys(kind for _, _, kind in merged)))
