"""What a caller's words say about the message slots and the call's course: pure functions, no model.

Each function reads one caller turn. They are deliberately conservative where a wrong answer costs
more than none: :func:`extract_name` returns None rather than take "I'm calling about..." as a name,
and :func:`is_emergency` is only for danger to life or property — "an emergency appointment" at a
dentist is :attr:`Urgency.URGENT`, not a 911 call.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from receptionist.brain import phone as phones
from receptionist.brain.offline.language import ENGLISH_WORDS, wordset
from receptionist.calls import Urgency


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE)


# -- names ---------------------------------------------------------------------------------------

_NAMELIKE_WORDS = frozenset({"bill", "will", "may", "sue", "pat", "rose", "mark", "grace", "hope", "joy"})
# Words that are never (part of) a name even when capitalised. Ordinary words that can be names
# ("Bill", "Will") count only when capitalised or when the caller was just asked for their name.
_NEVER_NAME = (ENGLISH_WORDS - _NAMELIKE_WORDS) | wordset(
    """
    fine great sorry calling phoning ringing looking interested afraid existing customer client patient
    member owner tenant happy unhappy upset annoyed angry frustrated confused worried concerned glad
    ready finished busy free available home late early sick ill hurt alright actually hoping wondering
    waiting following returning regarding referring unable able stuck locked currently thinking planning
    moving feeling retired married single urgent also nobody somebody pardon what who huh um uh hmm er
    erm ah oh well so yeah yep nope sir madam ma'am speaking here calling there's from the not with
    just still really honestly basically trying getting going doing having needing new old
    monday tuesday wednesday thursday friday saturday sunday january february march july september
    october november december tonight tomorrow
    """
)
_TITLES = {"mr": "Mr.", "mrs": "Mrs.", "ms": "Ms.", "miss": "Miss", "dr": "Dr.", "doctor": "Dr."}
_NAME_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*\.?"
_NEXT_WORD = re.compile(rf"\s*({_NAME_WORD})")
_STRONG_CUE = _any(r"\b(?:my\s+(?:full\s+|first\s+|last\s+)?name(?:'s|\s+is)|name's|call\s+me)\s+")
_WEAK_CUE = re.compile(r"(?:^|[^\w'])(?:this\s+is|it'?s|it\s+is|i'?m|i\s+am)\s+", re.I)
_AFTER_MARKER = re.compile(r"\s*,?\s*(?:calling|here|speaking|from)\b", re.I)
_CALLING = re.compile(r"\s*,?\s+(?:calling|speaking)\b", re.I)
_HERE = re.compile(r"^\W*(?:(?:hi|hello|hey|yeah|yes)\W+)?(.+?)\s*,?\s+here\b", re.I)
_PREAMBLE = re.compile(
    r"^(?:(?:yeah|yes|yep|sure|ok|okay|um+|uh+|oh|well|so|hi|hello|hey|of course|certainly)\b[\s,.!]*)+",
    re.I,
)
_ANSWER_CUE = re.compile(
    r"^(?:(?:my\s+)?(?:full\s+|first\s+|last\s+)?name(?:'s|\s+is)|it'?s|it\s+is|this\s+is|i'?m|i\s+am)\s+",
    re.I,
)
_SPELLED = re.compile(r"(?<![^\W_])[^\W\d_](?:[\s,.\-]+[^\W\d_](?![^\W_]))+(?![^\W_])")


def _cased(text: str) -> bool:
    """Whether capital letters carry information (not all lower- or all upper-case)."""
    return any(c.isupper() for c in text) and any(c.islower() for c in text)


def _tidy(word: str) -> str:
    word = word.rstrip(".").replace("’", "'")
    if word.lower().endswith("'s") and len(word) > 3:
        word = word[:-2]
    if word.islower() or word.isupper():
        return "-".join("'".join(p.capitalize() for p in part.split("'")) for part in word.split("-"))
    return word


def _could_be_name(word: str, *, need_capital: bool, prompted: bool) -> bool:
    low = word.rstrip(".").lower().replace("’", "'")
    if low in _NEVER_NAME or len(low) < 2:
        return False
    if low in _NAMELIKE_WORDS:
        return prompted or word[0].isupper()
    return word[0].isupper() or not need_capital


def _name_at_start(text: str, *, need_capital: bool, prompted: bool = False) -> tuple[list[str], int]:
    """The name ``text`` starts with (up to four words, stopping at the first non-name) and its end."""
    words: list[str] = []
    pos = 0
    while len(words) < 4 and (m := _NEXT_WORD.match(text, pos)):
        word = m.group(1)
        low = word.rstrip(".").lower()
        if not words and low in _TITLES:
            words.append(_TITLES[low])
        elif _could_be_name(word, need_capital=need_capital, prompted=prompted):
            words.append(_tidy(word))
        else:
            break
        pos = m.end()
        if word.endswith(".") and low not in _TITLES:
            break
    while words and words[-1] in _TITLES.values():
        words.pop()
    return words, pos


def _name_before(before: str, *, need_capital: bool) -> list[str]:
    """The name that ``before`` ends with ("Hi, Dave" -> Dave), as in "Hi, Dave calling"."""
    tail = re.search(rf"((?:{_NAME_WORD}\s+){{0,2}}{_NAME_WORD})\s*$", before)
    candidate = tail.group(1).split() if tail else []
    while candidate and not _could_be_name(candidate[0], need_capital=need_capital, prompted=False):
        candidate.pop(0)
    words, _ = _name_at_start(" ".join(candidate), need_capital=need_capital)
    return words if candidate and len(words) == len(candidate) else []


def extract_name(text: str) -> str | None:
    """The caller's name if they introduced themselves ("my name is...", "this is Ana from...")."""
    cased = _cased(text)
    for m in _STRONG_CUE.finditer(text):
        words, _ = _name_at_start(text[m.end() :], need_capital=False, prompted=True)
        if words:
            return " ".join(words)
    for m in _WEAK_CUE.finditer(text):
        rest = text[m.end() :]
        words, end = _name_at_start(rest, need_capital=cased)
        # Without capitals "i'm fine" and "i'm john" look alike: ask for a tell-tale word after it.
        marked = _AFTER_MARKER.match(rest, end) or (len(words) >= 2 and not rest[end:].strip(" .!"))
        if words and (cased or marked):
            return " ".join(words)
    befores = [text[: m.start()] for m in _CALLING.finditer(text)]
    if here := _HERE.match(text):
        befores.append(here.group(1))
    for before in befores:
        if words := _name_before(before, need_capital=cased):
            return " ".join(words)
    return None


def spelled_word(text: str) -> str | None:
    """The longest word spelled letter by letter in ``text`` ("S M I T H", "j-o-h-n"), capitalised."""
    runs = [re.sub(r"[\s,.\-]+", "", m.group(0)) for m in _SPELLED.finditer(text)]
    return max(runs, key=len).capitalize() if runs else None


def name_from_answer(text: str) -> str | None:
    """The name in a reply to "what's your name?": "John", "it's John Smith", "Smith, S M I T H"."""
    spelled_at = max(_SPELLED.finditer(text), key=lambda m: len(m.group(0)), default=None)
    said = text if spelled_at is None else text[: spelled_at.start()] + " , " + text[spelled_at.end() :]
    rest = _ANSWER_CUE.sub("", _PREAMBLE.sub("", said.strip(" ,.;:-"))).strip(" ,.;:-")
    words, _ = _name_at_start(rest, need_capital=False, prompted=True)
    if not words:
        found = extract_name(said)
        words = found.split() if found else []
    if spelled_at is None:
        return " ".join(words) or None
    spelled = re.sub(r"[\s,.\-]+", "", spelled_at.group(0)).capitalize()
    if not words:
        return spelled
    # The spelling corrects the name word most like it, or is the part of the name not yet said.
    scores = [SequenceMatcher(None, w.lower(), spelled.lower()).ratio() for w in words]
    best = max(range(len(words)), key=scores.__getitem__)
    if scores[best] >= 0.5:
        words[best] = spelled
    elif text.lower().find(words[0].lower(), spelled_at.end()) >= 0:
        words.insert(0, spelled)  # "j o h n smith": spelled first
    else:
        words.append(spelled)
    return " ".join(words)


# -- numbers and times ---------------------------------------------------------------------------


def extract_phone(text: str, region: str) -> str | None:
    """The first valid phone number the caller said or typed, as E.164."""
    return phones.find_phone(text, region)


_HOUR_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_TIME = (
    r"(?:\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?|o'?clock)?|noon|midday|lunch(?:time)?"
    rf"|{_HOUR_WORD}(?:\s+(?:thirty|fifteen|forty[- ]five))?(?:\s*o'?clock)?)"
)
_DAY = (
    r"(?:today|tonight|tomorrow|(?:this|next)\s+week(?:end)?|weekdays?|weekends?"
    r"|(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)days?)"
)
_BEST_TIME = _any(
    rf"\bany\s*time\b|\bwhenever\b|\bbetween\s+{_TIME}\s+and\s+{_TIME}",
    rf"\b(?:after|before|around|by|from|until|at)\s+{_TIME}\b",
    rf"\b{_DAY}\b|\b(?:in\s+the\s+|this\s+)?(?:morning|afternoon|evening|night)s?\b",
    r"\bfirst\s+thing\b|\bend\s+of\s+(?:the\s+)?day\b",
)


def best_time(text: str) -> str | None:
    """When the caller wants a call back, as they put it: "tomorrow morning", "after 3", "anytime"."""
    parts = [re.sub(r"\s+", " ", m.group(0).lower()) for m in _BEST_TIME.finditer(text)]
    if not parts:
        return None
    parts = ["anytime" if p in ("any time", "anytime", "whenever") else p for p in parts]
    return " ".join(dict.fromkeys(parts))


# -- urgency and emergencies ---------------------------------------------------------------------

_EMERGENCY_NEGATED = re.compile(r"\bnot\s+(?:a\s+|an\s+)?(?:life[- ]threatening|medical\s+emergency)", re.I)
_EMERGENCY = _any(
    # medical
    r"\b(?:can'?t|cannot|can\s+not|not|stopped|trouble|difficulty)\s+breath(?:e|ing)\b",
    r"chest\s+pains?|heart\s+attack|\bstroke\b(?!\s+of)|unconscious|passed\s+out|unresponsive",
    r"won'?t\s+wake\s+up|overdos|seizure|choking|collapsed|suicid|(?:kill|hurt|harm)\s+(?:my|him|her)self",
    r"bleeding\s+(?:heavily|badly|profusely|a\s+lot|everywhere)|(?:can'?t|won'?t)\s+stop\s+(?:the\s+)?bleeding",
    r"anaphyla|severe\s+allergic|throat\s+(?:is\s+)?(?:closing|swelling)",
    r"medical\s+emergency|life[- ]threatening|ambulance|\b(?:call|dial)\s+(?:9-?1-?1|999|112)\b",
    # fire and gas
    r"\bon\s+fire\b|\bthere'?s\s+(?:a\s+)?fire\b|\bthere\s+is\s+a\s+fire\b|\bfire\s+in\s+(?:the|my|our)\b",
    r"\b(?:house|kitchen|building|electrical)\s+fire\b|\bsmoke\s+(?:everywhere|is\s+coming|coming|filling)",
    r"full\s+of\s+smoke|gas\s+leak|smell(?:s|ing)?\s+(?:of\s+)?gas\b|carbon\s+monoxide|explosion",
    # violence
    r"\bbreak[- ]in\b|broke(?:n)?\s+in(?:to)?\b|intruder|domestic\s+violence",
    r"(?:being|been|was|got)\s+(?:attacked|assaulted|stabbed|shot)\b|has\s+a\s+(?:gun|knife|weapon)",
    r"threaten(?:ing|ed)\s+to\s+kill|shots\s+fired|gunshots?|someone\s+is\s+shooting",
    r"(?:i'?m|we'?re|i\s+am|we\s+are|he'?s|she'?s|they'?re)\s+in\s+(?:immediate\s+)?danger\b(?!\s+of)",
    r"call\s+the\s+police|need\s+(?:the\s+)?police",
)
_NOT_URGENT = _any(
    r"\b(?:not|isn'?t|nothing|no)\s+(?:that\s+|very\s+|super\s+|really\s+)?(?:urgent|an?\s+emergency|emergency)",
    r"\bno\s+(?:rush|hurry)|not\s+in\s+a\s+(?:rush|hurry)|whenever\s+(?:is\s+)?(?:convenient|you\s+(?:can|get))",
    r"at\s+your\s+convenience|when\s+you\s+get\s+a\s+(?:chance|minute)|low\s+priority",
    r"not\s+time[- ]sensitive|(?:it|that)\s+can\s+wait|not\s+a\s+big\s+deal",
)
_URGENT = _any(
    r"\burgent(?:ly)?\b|\ba\.?s\.?a\.?p\b|as\s+soon\s+as\s+(?:possible|you\s+can)|\bemergency\b|right\s+away",
    r"\bimmediately\b|straight\s+away|time[- ]sensitive|can'?t\s+wait|\bcritical\b|same[- ]day",
    r"as\s+fast\s+as|(?:severe|shooting|terrible|excruciating|unbearable|really\s+bad|a\s+lot\s+of)\s+pain|in\s+agony",
)


def is_emergency(text: str) -> bool:
    """Danger to life or property now: medical emergencies, fire, gas, violence, a break-in.

    The word "emergency" alone is not enough: "an emergency appointment", "a plumbing emergency" are
    urgent business (see :func:`extract_urgency`), not a reason to send the caller to 911.
    """
    return bool(_EMERGENCY.search(_EMERGENCY_NEGATED.sub(" ", text)))


def extract_urgency(text: str) -> Urgency:
    """EMERGENCY for danger (:func:`is_emergency`), URGENT for "asap"/"urgent", LOW for "no rush"."""
    if is_emergency(text):
        return Urgency.EMERGENCY
    relaxed = _NOT_URGENT.sub(" ", text)
    if _URGENT.search(relaxed):
        return Urgency.URGENT
    if relaxed != text:
        return Urgency.LOW
    return Urgency.NORMAL


# -- the course of the call ----------------------------------------------------------------------

_HUMAN_NOUN = (
    r"(?:(?:a|an|the|some|your|one\s+of\s+your)\s+)?(?:real\s+|live\s+|actual\s+)?"
    r"(?:person|people|human(?:\s+being)?|agent|operator|representative|rep|someone|somebody|anyone|anybody"
    r"|manager|supervisor|receptionist|staff|member\s+of\s+(?:your\s+)?staff|customer\s+(?:service|support|care)"
    r"|front\s+desk|office|doctor|dentist|nurse|technician|owner|boss|(?:billing|sales|support)\s+(?:team|department)"
    r"|department|team)"
)
_WANTS_HUMAN = re.compile(
    rf"\b(?:speak|talk|chat)\s+(?:to|with)\s+{_HUMAN_NOUN}\b"
    rf"|\b(?:put|transfer|connect|patch|send)\s+me\s+(?:through\s+)?(?:to|with)\b"
    rf"|\b(?:get|give|find)\s+me\s+{_HUMAN_NOUN}\b|\b(?:real|live|actual)\s+(?:person|human|agent|people)\b"
    r"|\bhuman\s+being\b|\b(?:press(?:ed|ing)?|dial(?:led|ing)?)\s+(?:0|zero)\b"
    r"|\b(?:don'?t|do\s+not)\s+want\s+(?:to\s+(?:talk|speak)\s+to\s+)?(?:a|an|the|this)?\s*"
    r"(?:machine|robot|bot|computer|automated|ai)\b"
    r"|^\W*(?:(?:an?\s+)?(?:operator|agent|representative|human|person)|0|zero|reception)(?:\s+please)?\W*$",
    re.I,
)
_NO_HUMAN = re.compile(
    r"\b(?:don'?t|do\s+not|no\s+need\s+to|not)\s+(?:need|want|have)\s+to\s+(?:speak|talk)"
    r"|\b(?:don'?t|do\s+not)\s+need\s+(?:a|an)\s+(?:person|human|agent)|\bno\s+need\s+for\s+(?:a|an)\s+"
    r"|\b(?:are|r)\s+(?:you|u)\s+(?:a\s+)?(?:real|human|person|robot|bot|machine|computer)"
    r"|\bam\s+i\s+(?:talking|speaking)\s+(?:to|with)\s+(?:a\s+)?(?:real|human|person|robot|bot|machine|computer)",
    re.I,
)


def wants_human(text: str) -> bool:
    """Whether the caller asks for a person ("an agent please", "put me through", "0")."""
    return bool(_WANTS_HUMAN.search(text)) and not _NO_HUMAN.search(text)


_FILLER_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "i'd",
        "i'm",
        "me",
        "my",
        "can",
        "could",
        "would",
        "will",
        "you",
        "please",
        "hi",
        "hello",
        "hey",
        "yes",
        "no",
        "ok",
        "okay",
        "just",
        "like",
        "want",
        "to",
        "with",
        "about",
        "for",
        "and",
        "or",
        "so",
        "um",
        "uh",
        "well",
        "there",
        "is",
        "it's",
        "is",
        "be",
        "able",
        "need",
        "let",
        "speak",
        "talk",
    ]
)


def topic_besides_person(text: str) -> str | None:
    """What a request for a person is about, if anything: "someone about my invoice" → "about my invoice".

    None when the request names no topic ("can I speak to a human please")."""
    rest = _WANTS_HUMAN.sub(" ", text)
    words = re.findall(r"[a-z']+", rest.lower())
    content = [w for w in words if w not in _FILLER_WORDS]
    return rest.strip() if len(content) >= 2 else None


_NO = _any(
    r"\b(?:(?:that'?s|that\s+is|it'?s|it\s+is|is)\s+)?not(?:\s+(?:really|quite|right|correct|exactly|it|me))+\b",
    r"\b(?:that'?s|that\s+is|it'?s|it\s+is)\s+not\b|\b(?:isn'?t|don'?t|do\s+not|never)\b",
    r"\b(?:no|nope|nah|nay|negative|incorrect|wrong)\b",
)
_BUT = _any(r"\b(?:but|except|although|though)\b")
_YES = re.compile(
    r"\b(?:yes|yeah|yea|yep|yup|ya|sure|correct|right|exactly|absolutely|definitely|certainly|indeed|ok|okay"
    r"|uh[- ]huh|mm[- ]hmm|affirmative|please\s+do|go\s+ahead|sounds\s+good|that'?s\s+(?:it|me|fine|good)"
    r"|of\s+course|perfect|yes\s+please)\b",
    re.I,
)


def yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None when the reply is neither or both ("yes... no, wait")."""
    no = _NO.search(text)
    yes = _YES.search(_NO.sub(" ", text))
    if (no and yes) or (yes and _BUT.search(text, yes.end())):
        return None
    if no:
        return False
    return True if yes else None


_OTHER_NUMBER = _any(
    r"\b(?:a\s+|my\s+)?(?:different|another|other|new|separate)\s+(?:number|one|phone)\b",
    r"\bnot\s+(?:that|this)(?:\s+(?:one|number))?\b",
    r"\bmy\s+(?:cell|mobile|work|home|office)(?:\s+(?:number|phone))?\b",
)


def other_number(text: str) -> bool:
    """The caller wants to give another number than the one offered ("a different number", "not that
    one", "my mobile"): a no to the caller-ID offer, however the line mangled the "no" before it."""
    return bool(_OTHER_NUMBER.search(text))


_GOODBYE = re.compile(
    r"\b(?:good)?-?bye(?:-?bye)?\b|\bsee\s+(?:you|ya)\b|\btake\s+care\b|\bhave\s+a\s+(?:good|nice|great)\s+(?:day|one|evening|night|weekend)\b"
    r"|\bthat'?s\s+(?:all|it|everything)(?:\s+for\s+(?:now|today))?\b|\bthat\s+(?:is|will\s+be|would\s+be)\s+(?:all|it|everything)\b"
    r"|\bnothing\s+else\b|\bi'?m\s+(?:all\s+)?(?:done|good|set)\b|\bno\s+(?:thanks?|thank\s+you)\b|\bthat'?s\s+fine\s+then\b",
    re.I,
)
_NOT_GOODBYE = _any(r"\bthat'?s\s+not\s+(?:all|it)\b|\bbut\b|\bactually\b|\bwait\b")
_BYE = _any(r"\b(?:good)?-?bye\b")
_GOODBYE_FILLER = re.compile(
    r"\b(?:no|nope|ok(?:ay)?|alright|great|perfect|cool|thanks?|thank\s+you|cheers|very\s+much|so\s+much|then"
    r"|for\s+now|for\s+today|appreciate\s+it|really|oh|well|yeah|yes|so|that'?s\s+great|you\s+too|bye|all|right"
    r"|for\s+(?:your|the)\s+help|i\s+think|help)\b",
    re.I,
)


_GREETING_ONLY = re.compile(
    r"^\W*(?:(?:hi|hello|hey|hiya|howdy|good\s+(?:morning|afternoon|evening|day)|yes|yeah|oh|um+|uh+|"
    r"there|thanks|thank\s+you|how\s+are\s+you(?:\s+doing)?(?:\s+today)?)\W*)+$",
    re.IGNORECASE,
)


def is_greeting_only(text: str) -> bool:
    """Only a greeting ("Good morning.", "Hi there, how are you?"): the caller has not said why yet."""
    return bool(_GREETING_ONLY.match(text)) and not re.fullmatch(
        r"\W*(?:yes|yeah|thanks|thank you)\W*", text, re.I
    )


def is_goodbye(text: str) -> bool:
    """Whether the caller is wrapping up: "bye", "no, that's all", "thanks, that's it"."""
    if not _GOODBYE.search(text) or _NOT_GOODBYE.search(text):
        return False
    if "?" in text and not _BYE.search(text):  # "that's it?" is a question, not a farewell
        return False
    rest = _GOODBYE_FILLER.sub(" ", _GOODBYE.sub(" ", text))
    return len(re.findall(r"[^\W\d_]+", rest)) <= 3


# -- nonsense ------------------------------------------------------------------------------------

_FILLERS = wordset("um umm uh uhh uhm hmm hm mm mmm er erm ah ahh eh oh ooh huh la na da ha lol blah meh")
_ABBREVIATIONS = wordset("mr mrs ms dr st tv pc pm hr hrs min ft lb lbs km cv pdf sms ppl pls plz thx")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _looks_random(word: str) -> bool:
    """A Latin-letter token that no language spells this way: keyboard runs, no vowels, "zzzz"."""
    low = word.lower()
    if not low.isascii() or low in ENGLISH_WORDS or low in _ABBREVIATIONS or len(low) < 2:
        return False
    if word.isupper() and len(word) <= 5:  # an acronym: ATM, CVV, HVAC
        return False
    if re.search(r"(.)\1\1", low):
        return True
    for row in _KEYBOARD_ROWS:
        for seq in (row, row[::-1]):
            if any(seq[i : i + 4] in low for i in range(len(seq) - 3)):
                return True
    if not any(c in "aeiou" for c in low):  # "rhythm", "gym": y is the vowel
        return "y" not in low and len(low) >= 3
    return len(low) >= 5 and sum(c in "aeiouy" for c in low) / len(low) < 0.2


def is_nonsense(text: str) -> bool:
    """Nothing a person could act on: empty, only fillers ("um, uh"), or mostly keyboard mashing."""
    if re.search(r"\d", text):
        return False
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text)
    if not words:
        return True
    lowered = [w.lower() for w in words]
    meaningful = [w for w, low in zip(words, lowered, strict=True) if low not in _FILLERS]
    if not meaningful:
        return True
    random = sum(_looks_random(w) for w in meaningful)
    english = sum(w.lower() in ENGLISH_WORDS for w in meaningful)
    return random == len(meaningful) or (english == 0 and random * 2 >= len(meaningful))
