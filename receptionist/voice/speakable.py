"""Text the voice can say: turn an LLM's written reply into words Piper reads the way a person would.

Piper (through espeak) reads "415 555 0134" as "four hundred fifteen...", "Dr." as the end of a
sentence and markdown asterisks literally. :func:`speakable` rewrites, in order: markup and emoji,
e-mail addresses and web addresses, phone numbers (found by ``phonenumbers``, read digit by digit in
their usual groups), times, money, percentages, dates, ordinals, abbreviations and finally any number
left. The result holds no digits, so applying it twice changes nothing.

:class:`ClauseSplitter` cuts a reply, as it streams in, into clauses that can be synthesized one by one:
at sentence ends, and at commas, semicolons, colons and dashes once the clause is long enough. Cuts fall
only on whitespace, so the clauses joined back give the same words.

Everything here is pure text → text; nothing is loaded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import phonenumbers

# --- numbers to words ---------------------------------------------------------------------------

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_IRREGULAR = {
    "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip


def number_to_words(n: int) -> str:
    """American English cardinal: 1234 → "one thousand two hundred thirty-four" (no "and")."""
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_to_words(rest)}" if rest else "")
    for size, name in _SCALES:
        if n >= size:
            high, rest = divmod(n, size)
            return f"{number_to_words(high)} {name}" + (f" {number_to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def ordinal_to_words(n: int) -> str:
    """21 → "twenty-first", 12 → "twelfth", 100 → "one hundredth"."""
    return ordinal_of(number_to_words(n))


def ordinal_of(words: str) -> str:
    """A cardinal in words as an ordinal: its last word changes ("twenty-one" or "twenty one" → "…first")."""
    head, sep, last = words.rpartition(" ")
    prefix, hyphen, last = last.rpartition("-")
    if last in _ORDINAL_IRREGULAR:
        last = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + prefix + hyphen + last


def digits_to_words(digits: str) -> str:
    """ "0134" → "zero one three four" (any non-digit is dropped)."""
    return " ".join(_ONES[int(d)] for d in digits if d.isdigit())


def year_to_words(year: int) -> str:
    """2025 → "twenty twenty-five", 2005 → "two thousand five", 1900 → "nineteen hundred"."""
    high, low = divmod(year, 100)
    if not 1100 <= year <= 2099 or 2000 <= year <= 2009:
        return number_to_words(year)
    if low == 0:
        return f"{number_to_words(high)} hundred"
    return f"{number_to_words(high)} " + (f"oh {_ONES[low]}" if low < 10 else number_to_words(low))


def _amount(integer: str, fraction: str | None = None) -> str:
    """ "1,200" → words; a decimal part is read digit by digit after "point"."""
    words = number_to_words(int(integer.replace(",", "")))
    return f"{words} point {digits_to_words(fraction)}" if fraction else words


# --- markup, emoji and line structure -----------------------------------------------------------

_MARKUP: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"```[^\n]*"), ""),  # code fences (the code itself is kept)
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # [text](url) and images
    (re.compile(r"<[^<>\n]{1,200}>"), " "),  # html / ssml tags
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"^[ \t]{0,3}(?:#{1,6}(?=\s)|>+)[ \t]*", re.M), ""),  # headings, quotes
    (re.compile(r"^[ \t]*(?:[-*_=][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^[ \t]*(?:[-*+•]|\d{1,2}[.)])[ \t]+", re.M), ""),  # list bullets
    (re.compile(r"^[ \t|:-]*-{3,}[ \t|:-]*$", re.M), ""),  # table rule
    (re.compile(r"^[ \t]*\||\|[ \t]*$", re.M), ""),  # table edges
    (re.compile(r"[ \t]*\|[ \t]*"), ", "),  # table cells
    (re.compile(r"(\d)\s*°\s*F\b"), r"\1 degrees Fahrenheit"),
    (re.compile(r"(\d)\s*°\s*C\b"), r"\1 degrees Celsius"),
    (re.compile(r"°"), " degrees"),
]
_INVISIBLE = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


def _is_emoji_or_symbol(ch: str) -> bool:
    code = ord(ch)
    return (
        unicodedata.category(ch) in {"So", "Cs", "Co"}
        or ch in _INVISIBLE
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # flag tags
        or 0x2190 <= code <= 0x21FF  # arrows
    )


def strip_markup(text: str) -> str:
    """Markdown, html tags and emoji out; several lines become sentences on one line."""
    for pattern, repl in _MARKUP:
        text = pattern.sub(repl, text)
    text = "".join(" " if _is_emoji_or_symbol(ch) else ch for ch in text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > 1:  # a line without final punctuation still ends a thought: make Piper pause
        lines = [line if line[-1] in ".!?:;," else line + "." for line in lines]
    return " ".join(lines)


# --- addresses: e-mail and web ------------------------------------------------------------------

_WORD_TLDS = {"com", "org", "net", "edu", "gov", "info", "biz", "shop", "store", "online"}
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>()\"']+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|io|co|us|uk|ca|ai|app|dev|info|biz)\b"
    r"(?:/[^\s<>()\"']*)?"
)
_ADDRESS_SYMBOLS = {".": "dot", "-": "dash", "_": "underscore", "+": "plus", "/": "slash", "@": "at"}


def _say_part(part: str, *, tld: bool = False) -> str:
    """One piece between separators: digits one by one, vowel-less bits and short TLDs spelled."""
    if part.isdigit():
        return digits_to_words(part)
    lower = part.lower()
    if tld and lower in _WORD_TLDS:
        return lower
    if (tld and len(part) <= 3) or not re.search(r"[aeiouy]", lower):
        return " ".join(lower)
    return part


def _say_address(address: str, *, domain: bool = True) -> str:
    pieces = re.split(r"([./_+@-])", address)
    last_word = max((i for i, p in enumerate(pieces) if p and p not in _ADDRESS_SYMBOLS), default=-1)
    words = []
    for i, piece in enumerate(pieces):
        if piece in _ADDRESS_SYMBOLS:
            words.append(_ADDRESS_SYMBOLS[piece])
        elif piece:
            words.append(_say_part(piece, tld=domain and i == last_word and pieces[i - 1 : i] == ["."]))
    return " ".join(words)


def _say_email(m: re.Match[str]) -> str:
    return f"{_say_address(m.group(1), domain=False)} at {_say_address(m.group(2))}"


def _say_url(m: re.Match[str]) -> str:
    url = m.group(0)
    trailing = re.search(r"[.,;:!?]+$", url)
    url = url[: trailing.start()] if trailing else url
    url = re.sub(r"(?i)^https?://", "", url)
    url = re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/")
    host, _, path = url.partition("/")
    spoken = _say_address(host)
    if host.lower().startswith("www."):
        spoken = "w w w dot " + _say_address(host[4:])
    if path:
        spoken += " slash " + _say_address(path, domain=False)
    return spoken + (trailing.group(0) if trailing else "")


# --- phone numbers -------------------------------------------------------------------------------


def say_phone_number(number: phonenumbers.PhoneNumber, region: str = "US") -> str:
    """Digits in their usual groups, groups apart: "four one five, five five five, zero one three four"."""
    home = phonenumbers.country_code_for_region(region)
    if number.country_code == home:
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        prefix = ""
    else:
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        prefix = "plus "
    formatted = re.split(r"\s*ext\.", formatted, maxsplit=1)[0]
    spoken = prefix + ", ".join(digits_to_words(g) for g in re.findall(r"\d+", formatted))
    if number.extension:
        spoken += f", extension {digits_to_words(number.extension)}"
    return spoken


def _phone_numbers(text: str, region: str) -> str:
    leniency = phonenumbers.Leniency.POSSIBLE
    out, last = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency):
        if sum(c.isdigit() for c in match.raw_string) < 7:
            continue
        out += [text[last : match.start], say_phone_number(match.number, region)]
        last = match.end
    return "".join(out) + text[last:]


# --- times, money, dates, abbreviations ---------------------------------------------------------

_MERIDIEM = r"(?:\s?([AaPp])\.?\s?[Mm]\b(\.)?)"


def _keep_stop(m: re.Match[str], group: int) -> str:
    """A swallowed abbreviation's full stop stays when it also ended the sentence."""
    if not m.group(group):
        return ""
    rest = m.string[m.end() :]
    return "." if not rest.strip() or re.match(r"\s+[A-Z]", rest) else ""


def _say_time(m: re.Match[str]) -> str:
    hour, minute, meridiem = int(m.group(1)), m.group(2), m.group(3)
    words = number_to_words(hour)
    if minute and minute != "00":
        words += " " + (f"oh {_ONES[int(minute)]}" if minute[0] == "0" else number_to_words(int(minute)))
    elif minute and not meridiem:
        words += " hundred" if hour > 12 else " o'clock"
    if meridiem:
        words += f" {meridiem.lower()} m" + _keep_stop(m, 4)
    return words


_MONEY_UNITS = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
                "£": ("pound", "pounds", "penny", "pence")}  # fmt: skip
_SCALE_WORDS = {"k": "thousand", "m": "million", "mm": "million", "bn": "billion", "b": "billion"}


def _say_money(m: re.Match[str]) -> str:
    one, many, cent, cents = _MONEY_UNITS[m.group(1)]
    integer, fraction, scale = m.group(2), m.group(3), m.group(4)
    if scale:  # "$1.5 million" → "one point five million dollars"
        scale_word = _SCALE_WORDS.get(scale.lower(), scale.lower())
        return f"{_amount(integer, fraction)} {scale_word} {many}"
    whole = int(integer.replace(",", ""))
    part = int((fraction or "0").ljust(2, "0")[:2])
    words = [f"{number_to_words(whole)} {one if whole == 1 else many}"] if whole or not part else []
    if part:
        words.append(f"{number_to_words(part)} {cent if part == 1 else cents}")
    return " and ".join(words)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_MONTH_ABBREVIATIONS = {m[:3]: m for m in _MONTHS} | {"Sept": "September"}
_DAYS = {"Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
         "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday"}  # fmt: skip
_DAY_ABBR = "|".join(sorted(_DAYS, key=len, reverse=True))
_MONTH_NAME = "|".join(_MONTHS)


def _say_iso_date(m: re.Match[str]) -> str:
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return f"{_MONTHS[month - 1]} {ordinal_to_words(day)}, {year_to_words(year)}"


def _title_or_place(title: str, place: str) -> Callable[[re.Match[str]], str]:
    """ "Dr."/"St." before a name is Doctor/Saint; after a capitalised name ("Elm Dr.") Drive/Street."""

    def say(m: re.Match[str]) -> str:
        words = m.string[: m.start()].split()
        previous = words[-1] if words else ""
        starts_sentence = len(words) < 2 or words[-2][-1] in ".!?:"
        after_name = previous[:1].isdigit() or (
            previous[:1].isupper() and not starts_sentence and previous[-1] not in ",;:"
        )
        if not after_name and re.match(r"\s+[A-Z]", m.string[m.end() :]):
            return title
        return place + _keep_stop(m, 1)

    return say


def _expansion(word: str) -> Callable[[re.Match[str]], str]:
    return lambda m: word + _keep_stop(m, 1)


def _say_slash_date(m: re.Match[str], region: str) -> str:
    first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    month, day = (first, second) if region in {"US", "CA", "PH"} else (second, first)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return (
        f"{_MONTHS[month - 1]} {ordinal_to_words(day)}, {year_to_words(year if year > 99 else 2000 + year)}"
    )


def _say_number(m: re.Match[str]) -> str:
    """What is left: codes (5+ digits, or a leading zero) digit by digit, the rest as amounts."""
    integer, fraction = m.group(1), m.group(2)
    if "," not in integer and (len(integer) >= 5 or (len(integer) > 1 and integer[0] == "0")):
        words = digits_to_words(integer) + (f" point {digits_to_words(fraction)}" if fraction else "")
    else:
        words = _amount(integer, fraction)
    return f" {words} "


Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

_DAY_ANY = rf"(?:{_DAY_ABBR})\b\.?"
_YEAR_CONTEXT = rf"(?:{_MONTH_NAME})(?:\s+[\w-]+)?,?\s+|\b(?i:in|since|until|by|of|from|year|during)\s+"

_RULES: list[Rule] = [
    (re.compile(r"\b24/7\b"), "twenty-four seven"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), _say_iso_date),
    # ranges: 9-5, 9am–5pm, $40-$50, 2024-2025 → "to" (phone numbers are already words by now)
    (re.compile(rf"(\d{_MERIDIEM}?)\s*[-–—]\s*(?=[$€£]?\d)"), r"\1 to "),
    (
        re.compile(rf"\b({_DAY_ABBR})\b\.?\s*[-–—]\s*({_DAY_ABBR})\b(\.)?"),
        lambda m: f"{_DAYS[m.group(1)]} to {_DAYS[m.group(2)]}" + _keep_stop(m, 3),
    ),
    (re.compile(rf"\b(\d{{1,2}}):([0-5]\d)(?!\d){_MERIDIEM}?"), _say_time),
    (re.compile(rf"\b(\d{{1,2}})(){_MERIDIEM}"), _say_time),
    (
        re.compile(
            r"([$€£])\s?(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(\d+))?(?:\s?(thousand|million|billion|k|mm?|bn)\b)?",
            re.I,
        ),
        _say_money,
    ),
    (re.compile(r"(\d+(?:,\d{3})*)(?:\.(\d+))?\s?%"), lambda m: f"{_amount(m.group(1), m.group(2))} percent"),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.I), lambda m: ordinal_to_words(int(m.group(1)))),
    (
        re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?(?=\s+\d)"),
        lambda m: _MONTH_ABBREVIATIONS[m.group(1)],
    ),
    (
        re.compile(rf"\b({_MONTH_NAME})\s+(\d{{1,2}})\b(?![:.,]?\d)"),
        lambda m: (
            f"{m.group(1)} {ordinal_to_words(int(m.group(2)))}" if int(m.group(2)) <= 31 else m.group(0)
        ),
    ),
    (
        re.compile(rf"({_YEAR_CONTEXT})(1[1-9]\d\d|20\d\d)\b(?![.,]?\d)"),
        lambda m: m.group(1) + year_to_words(int(m.group(2))),
    ),
    # weekdays: Sat and Sun only where they cannot be the words (before a time, beside another day)
    (
        re.compile(r"\b(Mon|Tues|Tue|Wed|Thurs|Thur|Thu|Fri)\b(\.)?"),
        lambda m: _DAYS[m.group(1)] + _keep_stop(m, 2),
    ),
    (
        re.compile(rf"\b(Sat|Sun)\b(?:(\.)|(?=:|\s*\d|\s*(?:,|&|and|/)\s*{_DAY_ANY}))"),
        lambda m: _DAYS[m.group(1)] + _keep_stop(m, 2),
    ),
    (
        re.compile(r"(?<=day)(\s*(?:,|&|and|/)\s*)(Sat|Sun)\b(\.)?"),
        lambda m: m.group(1) + _DAYS[m.group(2)] + _keep_stop(m, 3),
    ),
    (re.compile(r"\bDr\b(\.)?"), _title_or_place("Doctor", "Drive")),
    (re.compile(r"\bSt\b(\.)?"), _title_or_place("Saint", "Street")),
    (re.compile(r"\bMr\b\.?"), "Mister"),
    (re.compile(r"\bMrs\b\.?"), "Missus"),
    (re.compile(r"\bMs\b\.?"), "Miz"),
    (re.compile(r"\bProf\b\.?"), "Professor"),
    (re.compile(r"\b(?:No|no)\.\s?(?=\d)|#\s?(?=\d)"), "number "),
    (re.compile(r"\b(?:e\.g\.|eg\.)(?=\s)"), "for example"),
    (re.compile(r"\bi\.e\.(?=\s)"), "that is"),
]
_SIMPLE_ABBREVIATIONS = {
    "Ave": "Avenue", "Blvd": "Boulevard", "Rd": "Road", "Ln": "Lane", "Ste": "Suite", "Apt": "Apartment",
    "Bldg": "Building", "Dept": "Department", "Jr": "Junior", "Sr": "Senior", "Inc": "Incorporated",
    "Ltd": "Limited", "approx": "approximately", "etc": "et cetera", "vs": "versus", "ext": "extension",
    "Ext": "extension", "min": "minutes", "mins": "minutes", "hr": "hours", "hrs": "hours",
}  # fmt: skip
_RULES += [(re.compile(rf"\b{a}\b(\.)?"), _expansion(w)) for a, w in _SIMPLE_ABBREVIATIONS.items()]
_RULES += [
    (re.compile(r"\bLLC\b"), "L L C"),
    (re.compile(r"\bw/(?=\s)"), "with"),
    (re.compile(r"\band/or\b"), "and or"),
    (re.compile(r"\s*&\s*"), " and "),
    (re.compile(r"\s*@\s*"), " at "),
    (re.compile(r"~\s?(?=\d)"), "about "),
    (re.compile(r"\+"), " plus "),
    (re.compile(r"(?<![A-Za-z0-9,])-(?=\d)"), "minus "),
    (re.compile(r"(?<=\d)\s*/\s*(?=\d)"), " slash "),
    (re.compile(r"(?<![\w.])\.(\d+)"), lambda m: f" point {digits_to_words(m.group(1))} "),
    (re.compile(r"(?<!\d)(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(\d+))?"), _say_number),
    (re.compile(r"[*_#^|~=<>{}\[\]\\]"), " "),
    (re.compile(r"(?<=[A-Za-z])\s*/\s*(?=[A-Za-z])"), " or "),
]
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")


def speakable(text: str, *, region: str = "US") -> str:
    """Rewrite ``text`` so a TTS voice reads it as a receptionist would say it.

    ``region`` (ISO 3166 code) decides which phone numbers are local (read without the country code).
    Idempotent: a rewrite can leave text another rule would change ("Dr9" → "Dr nine" → "Drive nine"),
    so the passes repeat until nothing changes (for ordinary text the second pass is a no-op check).
    """
    for _ in range(4):
        spoken = _one_pass(text, region)
        if spoken == text:
            break
        text = spoken
    return text


def _one_pass(text: str, region: str) -> str:
    text = strip_markup(text)
    text = _EMAIL.sub(_say_email, text)
    text = _URL.sub(_say_url, text)
    text = _phone_numbers(text, region)
    text = _SLASH_DATE.sub(lambda m: _say_slash_date(m, region), text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    text = re.sub(r"^[-•]\s", "", " ".join(text.split()))  # a dash left in front would read as a bullet
    return re.sub(r"\s+([,.;:!?])", r"\1", text)


# --- clauses ----------------------------------------------------------------------------------------

#: words ending in "." that do not end a sentence
_NO_STOP = {
    "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "vs", "no", "ext", "approx", "apt", "ste",
    "ave", "blvd", "rd", "e.g", "i.e", "eg", "ie", "inc", "ltd", "dept", "mt", "ft",
}  # fmt: skip
_CLOSERS = "\"')]}”’»"
_HARD = ".!?…"
_SOFT = ",;:"
_DASHES = "-–—"


class ClauseSplitter:
    """Cut streaming text into clauses: at sentence ends, and at , ; : or a spaced dash once the clause
    has ``min_words`` words. A cut is made only when the whitespace after it has arrived (and, after a
    full stop, the next character: a lowercase one means it was an abbreviation), so feeding the text
    token by token gives the same clauses as :func:`split_clauses` on the whole text.
    """

    def __init__(self, *, min_words: int = 4) -> None:
        self.min_words = min_words
        self._buffer = ""

    def push(self, token: str) -> list[str]:
        """Add text; return the clauses it completed (possibly none)."""
        self._buffer += token
        clauses = []
        while (cut := self._find_cut()) is not None:
            clause, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:]
            if clause:
                clauses.append(clause)
        return clauses

    def flush(self) -> list[str]:
        """The end of the input: whatever remains is the last clause."""
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []

    def _find_cut(self) -> int | None:
        b = self._buffer
        for i, ch in enumerate(b):
            if ch not in _HARD and ch not in _SOFT and ch not in _DASHES:
                continue
            end = i + 1
            while end < len(b) and (b[end] in _CLOSERS or (b[end] in _HARD and ch in _HARD)):
                end += 1
            if end >= len(b) or not b[end].isspace():
                continue
            if ch in _HARD:
                if ch == "." and not self._sentence_ends(b, i, end):
                    continue
                return end
            if ch in _DASHES and (i == 0 or not b[i - 1].isspace()) and ch != "—":
                continue  # a hyphen inside a word, not a dash
            next_word = b[end:].lstrip()
            if not next_word:
                return None  # the next character decides; it has not arrived yet
            if len(b[:i].split()) < self.min_words or next_word[0].isdigit():
                continue  # too short, or a number goes on ("March 3, 2025", "9 - 5")
            if ch in _DASHES and not next_word[0].islower():
                continue  # "Mon - Fri" is a range; a dash that breaks a sentence goes on in lowercase
            return end
        return None

    @staticmethod
    def _sentence_ends(b: str, i: int, end: int) -> bool:
        word = b[:i].split()[-1].lstrip("(\"'“‘").lower() if b[:i].split() else ""
        if word in _NO_STOP or (len(word) == 1 and word.isalpha()):
            return False
        following = b[end:].lstrip()
        return bool(following) and not following[0].islower()


def split_clauses(text: str, *, min_words: int = 4) -> list[str]:
    """The clauses of a whole text (see :class:`ClauseSplitter`). None is empty."""
    splitter = ClauseSplitter(min_words=min_words)
    return splitter.push(text) + splitter.flush()
