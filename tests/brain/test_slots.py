"""Slot extraction from caller turns: names, numbers, times, urgency and the turns that steer a call."""

from __future__ import annotations

import pytest

from receptionist.brain.offline import slots
from receptionist.calls import Urgency


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi, my name is Priya Raman and I need to move my cleaning", "Priya Raman"),
        ("my name is bill jones, I'm a patient of yours", "Bill Jones"),
        ("My name's Eamon", "Eamon"),
        ("This is Tom Becker from the hardware shop", "Tom Becker"),
        ("I'm Olga Petrova, I have a question about a bill", "Olga Petrova"),
        ("i'm marta calling about the leak upstairs", "Marta"),
        ("i'm olga petrova", "Olga Petrova"),
        ("It's Marcus calling back", "Marcus"),
        ("Hi, Dave calling from Acme Roofing", "Dave"),
        ("Dave here, quick question", "Dave"),
        ("Hello, this is Jean-Luc Picard", "Jean-Luc Picard"),
        ("Hi it's Siobhan O'Neill, returning your call", "Siobhan O'Neill"),
        ("This is Mrs. Alvarez", "Mrs. Alvarez"),
        ("my first name is ANA", "Ana"),
    ],
)
def test_extract_name_from_introductions(text: str, name: str) -> None:
    assert slots.extract_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "I'm calling about my order",
        "I'm fine, thanks",
        "I'm looking for a quote",
        "I'm a new patient",
        "i'm hungry",
        "This is urgent",
        "this is about my invoice",
        "This is the third time I've called",
        "It's Monday and nobody has called me back",
        "It's broken again",
        "I am not happy with the repair",
        "call me back at 312 555 0100",
        "Can you call me tomorrow?",
        "",
    ],
)
def test_extract_name_does_not_take_ordinary_words(text: str) -> None:
    assert slots.extract_name(text) is None


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("John", "John"),
        ("john", "John"),
        ("it's John Smith", "John Smith"),
        ("Sure, it's Aoife O'Brien", "Aoife O'Brien"),
        ("yeah um it's bill", "Bill"),
        ("Smith, S M I T H", "Smith"),
        ("it's Jon, J O H N", "John"),
        ("j o h n", "John"),
        ("J-O-H-N", "John"),
        ("j o h n smith", "John Smith"),
        ("Maria, and my last name is spelled K O V A C S", "Maria Kovacs"),
        ("Kowalski. K-O-W-A-L-S-K-I", "Kowalski"),
        ("my name is rosa", "Rosa"),
        ("Mrs. Patel", "Mrs. Patel"),
        ("Dave here", "Dave"),
        ("Dr. Nnamdi Okafor", "Dr. Nnamdi Okafor"),
    ],
)
def test_name_from_answer(answer: str, name: str) -> None:
    assert slots.name_from_answer(answer) == name


@pytest.mark.parametrize(
    "answer",
    ["why do you need that", "No", "Sorry, what?", "I'd rather not say", "it's about my bill", "hmm", ""],
)
def test_name_from_answer_rejects_non_names(answer: str) -> None:
    assert slots.name_from_answer(answer) is None


def test_spelled_word_picks_the_longest_run() -> None:
    assert slots.spelled_word("that's B as in boy... B R O W N E") == "Browne"
    assert slots.spelled_word("no letters spelled here") is None


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("you can reach me at 312-555-0142", "+13125550142"),
        ("it's three one two, five five five, zero one four two", "+13125550142"),
        ("my cell is (312) 555 0142, thanks", "+13125550142"),
        ("three one two, five five five, oh one double four", "+13125550144"),
        ("my order number is 4471", None),
    ],
)
def test_extract_phone(text: str, e164: str | None) -> None:
    assert slots.extract_phone(text, "US") == e164


def test_extract_phone_uses_the_region() -> None:
    assert slots.extract_phone("ring me on 020 7946 0018", "GB") == "+442079460018"
    assert slots.extract_phone("ring me on 020 7946 0018", "US") is None


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("Please call me back asap", Urgency.URGENT),
        ("this is urgent", Urgency.URGENT),
        ("I need an emergency appointment, my crown fell out", Urgency.URGENT),
        ("It's a plumbing emergency, water is pouring through the ceiling", Urgency.URGENT),
        ("I'm in terrible pain since last night", Urgency.URGENT),
        ("as soon as possible please", Urgency.URGENT),
        ("it's not urgent, whenever you get a chance", Urgency.LOW),
        ("no rush at all", Urgency.LOW),
        ("no emergency, just a question about parking", Urgency.LOW),
        ("I'd like to book a cleaning", Urgency.NORMAL),
        ("My father has chest pains and is sweating", Urgency.EMERGENCY),
    ],
)
def test_extract_urgency(text: str, urgency: Urgency) -> None:
    assert slots.extract_urgency(text) is urgency


@pytest.mark.parametrize(
    "text",
    [
        "My husband has chest pain and can't breathe",
        "my daughter is not breathing",
        "There's a fire in the kitchen",
        "the house is on fire",
        "I smell gas in the basement",
        "Someone broke into my house and is still here",
        "my mum collapsed and she's unresponsive",
        "I think he's having a stroke",
        "he took an overdose",
        "I'm going to kill myself",
        "she's bleeding heavily from her head",
        "we need an ambulance",
        "he has a knife and is threatening to kill me",
    ],
)
def test_is_emergency_for_danger_to_life_or_property(text: str) -> None:
    assert slots.is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        # "emergency" as a kind of appointment or job is urgent business, not a 911 call
        "I need an emergency appointment, my tooth cracked",
        "Do you do emergency call-outs on weekends?",
        "It's a plumbing emergency",
        "this is urgent",
        "I have a shooting pain in my molar",
        "my gums bleed a little when I floss",
        "I want to book a fire alarm inspection",
        "You should fire whoever did my invoice",
        "the account is in danger of being closed",
        "It's not life-threatening, but I need a callback today",
        "I had a stroke of luck, the part arrived",
    ],
)
def test_is_emergency_not_for_urgent_business(text: str) -> None:
    assert not slots.is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to a real person please",
        "operator",
        "Operator!",
        "0",
        "zero",
        "representative please",
        "Put me through to billing",
        "transfer me to someone",
        "I'd like to speak with someone in sales",
        "let me talk to your manager",
        "I don't want a machine",
        "I pressed 0 three times already",
        "get me a human",
        "I need to speak to a live agent",
    ],
)
def test_wants_human(text: str) -> None:
    assert slots.wants_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "are you a real person?",
        "Am I talking to a robot?",
        "I don't need to speak to anyone, just leave a message",
        "the person I spoke to last week was rude",
        "can you tell me your prices",
        "My number is 555 0100",
        "10",
        "I'd like to book an appointment",
    ],
)
def test_wants_human_not_for_questions_about_the_bot_or_mentions_of_people(text: str) -> None:
    assert not slots.wants_human(text)


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("after 3", "after 3"),
        ("tomorrow morning", "tomorrow morning"),
        ("anytime", "anytime"),
        ("Any time is fine", "anytime"),
        ("whenever", "anytime"),
        ("between 2 and 4 pm", "between 2 and 4 pm"),
        ("Monday after 5pm", "monday after 5pm"),
        ("in the evening please", "in the evening"),
        ("before noon tomorrow", "before noon tomorrow"),
        ("call me around 10:30", "around 10:30"),
        ("weekdays after six", "weekdays after six"),
        ("I don't know", None),
        ("my number is 312 555 0100", None),
    ],
)
def test_best_time(text: str, when: str | None) -> None:
    assert slots.best_time(text) == when


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", True),
        ("Yeah, that's right", True),
        ("correct", True),
        ("uh-huh", True),
        ("sure thing", True),
        ("yes please", True),
        ("no", False),
        ("Nope", False),
        ("that's not right", False),
        ("that is not correct", False),
        ("no, it's 4 1 5", False),
        ("not really", False),
        ("I don't think so", False),
        ("Yes, but the last digit is 5", None),
        ("yes... no wait", None),
        ("what?", None),
        ("my name is Ruth", None),
    ],
)
def test_yes_no(text: str, answer: bool | None) -> None:
    assert slots.yes_no(text) is answer


@pytest.mark.parametrize(
    "text",
    [
        "no that's all",
        "bye",
        "Goodbye!",
        "thanks, that's it",
        "Thank you so much, have a nice day",
        "no thanks",
        "thanks bye",
        "That's all for now, thank you very much for your help",
        "nothing else, thanks",
    ],
)
def test_is_goodbye(text: str) -> None:
    assert slots.is_goodbye(text)


@pytest.mark.parametrize(
    "text",
    [
        "that's not all, I also need a receipt",
        "Actually, one more thing",
        "I said goodbye to my old plan but now my bill is wrong",
        "that's it?",
        "I need help",
        "thanks, but can you also check my refund",
    ],
)
def test_is_goodbye_not_when_the_caller_goes_on(text: str) -> None:
    assert not slots.is_goodbye(text)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "...", "um uh", "hmm mm", "asdkjh qwpoe zmxncb", "hjkl hjkl", "zzzzzz", "xkcd vvv ppp qqq"],
)
def test_is_nonsense(text: str) -> None:
    assert slots.is_nonsense(text)


@pytest.mark.parametrize(
    "text",
    [
        "I need help",
        "ATM",
        "billing",
        "ok",
        "Hmm, let me think",
        "5551234",
        "您好",
        "CVV",
        "rhythm",
        "psst hello",
    ],
)
def test_is_nonsense_not_for_short_real_input(text: str) -> None:
    assert not slots.is_nonsense(text)


@pytest.mark.parametrize(
    ("text", "greeting"),
    [
        ("Good morning.", True),
        ("Hi there, how are you?", True),
        ("hello", True),
        ("yes", False),
        ("Good morning, I have a question about my bill", False),
        ("hello, can I speak to someone", False),
    ],
)
def test_a_greeting_alone_is_told_from_a_request(text: str, greeting: bool) -> None:
    assert slots.is_greeting_only(text) is greeting


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("So, a different number.", True),
        ("oh a different one", True),
        ("use my mobile", True),
        ("not that one", True),
        ("another number please", True),
        ("yes that's fine", False),
        ("the number is four one five", False),
        ("no", False),
    ],
)
def test_other_number(text: str, other: bool) -> None:
    assert slots.other_number(text) is other
