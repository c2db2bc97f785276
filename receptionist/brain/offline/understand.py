"""Everything the offline brain reads from one caller turn, computed once, as one typed value."""

from __future__ import annotations

import re
from dataclasses import dataclass

from receptionist.brain.offline import slots
from receptionist.brain.offline.classifier import ConcernClassifier, ConcernPrediction
from receptionist.brain.offline.language import detect_non_english
from receptionist.calls import Urgency

_HOURS = re.compile(
    r"\b(opening hours|business hours|office hours|your hours|are you open|you open|open (on|today|"
    r"tomorrow|now|until|till)|what time do you (open|close)|when do you (open|close)|close today)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Understanding:
    text: str
    empty: bool
    language: str | None  # a language name when the caller is clearly not speaking English
    nonsense: bool
    goodbye: bool
    yes_no: bool | None
    wants_human: bool
    emergency: bool
    urgency: Urgency
    asks_hours: bool
    name: str | None
    phone: str | None  # E.164
    prediction: ConcernPrediction | None  # None when not classified (empty, foreign, nonsense)
    topic: ConcernPrediction | None = None  # for a request for a person: what else the caller said


def understand(text: str, *, classifier: ConcernClassifier, region: str) -> Understanding:
    clean = text.strip()
    if not clean:
        return Understanding(
            text="", empty=True, language=None, nonsense=False, goodbye=False, yes_no=None,
            wants_human=False, emergency=False, urgency=Urgency.NORMAL, asks_hours=False,
            name=None, phone=None, prediction=None,
        )  # fmt: skip
    language = detect_non_english(clean)
    nonsense = language is None and slots.is_nonsense(clean)
    classify = language is None and not nonsense
    wants_human = slots.wants_human(clean)
    topic_text = slots.topic_besides_person(clean) if wants_human and classify else None
    return Understanding(
        text=clean,
        empty=False,
        language=language,
        nonsense=nonsense,
        goodbye=slots.is_goodbye(clean),
        yes_no=slots.yes_no(clean),
        wants_human=wants_human,
        emergency=slots.is_emergency(clean),
        urgency=slots.extract_urgency(clean),
        asks_hours=bool(_HOURS.search(clean)),
        name=slots.extract_name(clean),
        phone=slots.extract_phone(clean, region),
        prediction=classifier.predict(clean) if classify else None,
        topic=classifier.predict(topic_text) if topic_text else None,
    )
