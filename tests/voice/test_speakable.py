import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.voice.speakable import (
    ClauseSplitter,
    number_to_words,
    ordinal_to_words,
    speakable,
    split_clauses,
    year_to_words,
)

PHONE = "four one five, five five five, zero one three four"


@pytest.mark.parametrize(
    "text",
    [
        "+1 415 555 0134",
        "(415) 555-0134",
        "415-555-0134",
        "415.555.0134",
        "4155550134",
        "+1 (415) 555-0134",
        "1-415-555-0134",
    ],
)
def test_phone_numbers_are_read_digit_by_digit_in_groups(text: str) -> None:
    assert speakable(f"Call {text} today.") == f"Call {PHONE} today."


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Call 555-0134.", "Call five five five, zero one three four."),
        ("Reach us at +44 20 7946 0958.", "Reach us at plus four four, two zero, seven nine four six, zero nine five eight."),
        ("Dial (800) 555-1212 ext. 23.", "Dial eight zero zero, five five five, one two one two, extension two three."),
        ("Our line: 212 555 0199 or 202-555-0182.",
         "Our line: two one two, five five five, zero one nine nine or two zero two, five five five, zero one eight two."),
    ],
)  # fmt: skip
def test_more_phone_numbers(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


def test_a_number_local_elsewhere_loses_its_country_code() -> None:
    assert (
        speakable("+44 20 7946 0958", region="GB")
        == "zero two zero, seven nine four six, zero nine five eight"
    )


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("We open at 9:30 am.", "We open at nine thirty a m."),
        ("We open at 9:30am.", "We open at nine thirty a m."),
        ("See you at 9 a.m. Bye.", "See you at nine a m. Bye."),
        ("from 9 a.m. until noon", "from nine a m until noon"),
        ("at 5PM", "at five p m"),
        ("at 9:05", "at nine oh five"),
        ("at 10:00", "at ten o'clock"),
        ("at 14:00", "at fourteen hundred"),
        ("at 12:00 pm", "at twelve p m"),
        ("Hours: 9am-5pm", "Hours: nine a m to five p m"),
        ("open 9-5", "open nine to five"),
    ],
)
def test_times(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("3 days", "three days"),
        ("We have 12,000 customers.", "We have twelve thousand customers."),
        ("It takes 1 hour.", "It takes one hour."),
        ("0 problems", "zero problems"),
        ("4.75 stars", "four point seven five stars"),
        ("-5 degrees", "minus five degrees"),
        ("It is 72°F.", "It is seventy-two degrees Fahrenheit."),
        ("the 1st, 2nd, 3rd, 4th, 11th, 22nd and 101st",
         "the first, second, third, fourth, eleventh, twenty-second and one hundred first"),
        ("$45.50", "forty-five dollars and fifty cents"),
        ("$45", "forty-five dollars"),
        ("$1", "one dollar"),
        ("$0.99", "ninety-nine cents"),
        ("$1,200.01", "one thousand two hundred dollars and one cent"),
        ("$2.5 million", "two point five million dollars"),
        ("£20", "twenty pounds"),
        ("€3.50", "three euros and fifty cents"),
        ("$40-$50", "forty dollars to fifty dollars"),
        ("15% off", "fifteen percent off"),
        ("a 2.5% fee", "a two point five percent fee"),
        ("order 123456", "order one two three four five six"),
        ("zip 94103", "zip nine four one zero three"),
        ("code 0042", "code zero zero four two"),
        ("room #12", "room number twelve"),
        ("Appointment no. 5", "Appointment number five"),
        ("open 24/7", "open twenty-four seven"),
        ("about ~30 minutes", "about about thirty minutes"),
    ],
)  # fmt: skip
def test_numbers_money_percentages_ordinals(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("March 3rd, 2025", "March third, twenty twenty-five"),
        ("Jan 5", "January fifth"),
        ("on 2024-05-01", "on May first, twenty twenty-four"),
        ("on 12/25/2024", "on December twenty-fifth, twenty twenty-four"),
        ("In 2024 we grew.", "In twenty twenty-four we grew."),
        ("since 1998", "since nineteen ninety-eight"),
        ("in 2005", "in two thousand five"),
    ],
)
def test_dates(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


def test_slash_dates_follow_the_region() -> None:
    assert speakable("on 03/04/2025", region="GB") == "on April third, twenty twenty-five"
    assert speakable("on 03/04/2025", region="US") == "on March fourth, twenty twenty-five"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("We are open Mon–Fri.", "We are open Monday to Friday."),
        ("Mon-Fri 9-5, Sat 10-2", "Monday to Friday nine to five, Saturday ten to two"),
        ("closed Sat & Sun", "closed Saturday and Sunday"),
        ("Open Tues. and Thurs.", "Open Tuesday and Thursday."),
        ("the Sun is bright", "the Sun is bright"),
        ("Please see Dr. Smith.", "Please see Doctor Smith."),
        ("Our office is at 12 Elm Dr. See you.", "Our office is at twelve Elm Drive. See you."),
        ("We are on 5th Ave. near the park", "We are on fifth Avenue near the park"),
        ("Visit St. Mary's Hospital.", "Visit Saint Mary's Hospital."),
        ("at 123 Main St. Springfield", "at one hundred twenty-three Main Street. Springfield"),
        ("Mr. Jones and Mrs. Lee", "Mister Jones and Missus Lee"),
        ("forms, IDs, etc.", "forms, IDs, et cetera."),
        ("bring ID, e.g. a passport", "bring ID, for example a passport"),
        ("Acme Plumbing LLC", "Acme Plumbing L L C"),
        ("tea & cake", "tea and cake"),
        ("yes/no", "yes or no"),
    ],
)
def test_abbreviations(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Write to jane.doe@example.com.", "Write to jane dot doe at example dot com."),
        ("mail jd_42@acme-dental.co.uk", "mail j d underscore four two at acme dash dental dot co dot u k"),
        ("See https://www.example.com/book-now?ref=x.", "See w w w dot example dot com slash book dash now."),
        ("Go to acme.io/help", "Go to acme dot i o slash help"),
        ("Visit example.org.", "Visit example dot org."),
    ],
)
def test_emails_and_urls(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("**Great** news, *really* _good_ news!", "Great news, really good news!"),
        ("Sure! 😀👍🏽 See you then.", "Sure! See you then."),
        ("Use `the portal` or [our site](https://x.com).", "Use the portal or our site."),
        ("## Hours\n- Monday to Friday\n- Weekends closed", "Hours. Monday to Friday. Weekends closed."),
        ("1. Call us\n2. Book", "Call us. Book."),
        ("| Day | Hours |\n|---|---|\n| Mon | 9-5 |", "Day, Hours. Monday, nine to five."),
        ("<b>Hi</b> there", "Hi there"),
    ],
)
def test_markup_and_emoji_are_removed(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


WORDY = [
    "Thank you for calling, how can I help you today?",
    f"Our number is {PHONE}.",
    "We open at nine thirty a m, Monday to Friday.",
    "That will be forty-five dollars and fifty cents.",
    "Doctor Smith is at twelve Elm Drive.",
    "Write to jane dot doe at example dot com.",
    "I'm sorry, I didn't catch that. Could you say it again?",
]


@pytest.mark.parametrize("text", WORDY)
def test_text_already_in_words_is_left_alone(text: str) -> None:
    assert speakable(text) == text


IDEMPOTENCE = [
    "Call (415) 555-0134 or +44 20 7946 0958, Mon–Fri 9am-5pm.",
    "It's $45.50 (15% off) on March 3rd, 2025 at 12 Elm Dr. See Dr. Lee.",
    "**Book** at https://acme.com/book or jane@acme.com 😀",
    "Order #12345, 3.5 kg, 1,200 units, 24/7, etc.",
]


@pytest.mark.parametrize("text", IDEMPOTENCE + WORDY)
def test_speakable_is_idempotent_and_leaves_no_digits(text: str) -> None:
    once = speakable(text)
    assert speakable(once) == once
    assert not re.search(r"\d", once)


@given(st.text(alphabet=st.sampled_from(list("0123456789 .,:-/$%#@abcAPM()+\n*_")), max_size=40))
@settings(max_examples=300, deadline=None)
def test_speakable_never_fails_and_speaks_every_digit(text: str) -> None:
    once = speakable(text)
    assert not re.search(r"\d", once)
    assert speakable(once) == once


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (45, "forty-five"), (100, "one hundred"),
        (101, "one hundred one"), (999, "nine hundred ninety-nine"), (1000, "one thousand"),
        (1234, "one thousand two hundred thirty-four"), (1_000_001, "one million one"),
        (2_500_000_000, "two billion five hundred million"),
    ],
)  # fmt: skip
def test_number_to_words(n: int, words: str) -> None:
    assert number_to_words(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (9, "ninth"), (12, "twelfth"), (20, "twentieth"),
     (21, "twenty-first"), (100, "one hundredth"), (111, "one hundred eleventh")],
)  # fmt: skip
def test_ordinals(n: int, words: str) -> None:
    assert ordinal_to_words(n) == words


@pytest.mark.parametrize(
    ("year", "words"),
    [(2025, "twenty twenty-five"), (2000, "two thousand"), (2005, "two thousand five"),
     (1999, "nineteen ninety-nine"), (1900, "nineteen hundred"), (1905, "nineteen oh five")],
)  # fmt: skip
def test_years(year: int, words: str) -> None:
    assert year_to_words(year) == words


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_number_words_are_words(n: int) -> None:
    assert re.fullmatch(r"[a-z]+(?:[ -][a-z]+)*", number_to_words(n))


# --- clauses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("Thank you for calling Acme Dental, this is the front desk. How can I help you today?",
         ["Thank you for calling Acme Dental,", "this is the front desk.", "How can I help you today?"]),
        ("Sure, Dr. Smith is in on Monday. Shall I book you at 9 a.m. tomorrow?",
         ["Sure, Dr. Smith is in on Monday.", "Shall I book you at 9 a.m. tomorrow?"]),
        ("Hi, yes. One moment please!", ["Hi, yes.", "One moment please!"]),
        ("We are open Mon - Fri, 9 - 5; weekends closed — sorry about that.",
         ["We are open Mon - Fri, 9 - 5;", "weekends closed — sorry about that."]),
        ("On March 3, 2025 we moved to 12 Elm St. Springfield.",
         ["On March 3, 2025 we moved to 12 Elm St. Springfield."]),
        ("It costs $1,200.50 in total. Okay?", ["It costs $1,200.50 in total.", "Okay?"]),
        ('He said "call me." Then he left...', ['He said "call me."', "Then he left..."]),
        ("Well... let me check that for you.", ["Well... let me check that for you."]),
        ("  ", []),
    ],
)  # fmt: skip
def test_split_clauses(text: str, clauses: list[str]) -> None:
    assert split_clauses(text) == clauses


def test_a_clause_is_cut_as_soon_as_it_is_complete() -> None:
    splitter = ClauseSplitter()
    assert splitter.push("Thank you for calling") == []
    assert splitter.push(" Acme Dental,") == []  # the comma could still be "Acme Dental,5" ...
    assert splitter.push(" this") == ["Thank you for calling Acme Dental,"]
    assert splitter.push(" is Joe. How") == ["this is Joe."]
    assert splitter.push(" can I help?") == []
    assert splitter.flush() == ["How can I help?"]
    assert splitter.flush() == []


_TEXT = st.text(alphabet=st.sampled_from(list("ab Dr.St,;:!?—-–…\"')9 \n")), max_size=80)


@given(_TEXT)
@settings(max_examples=400)
def test_clauses_keep_the_words_in_order_and_none_is_empty(text: str) -> None:
    clauses = split_clauses(text, min_words=2)
    assert all(c and c == c.strip() for c in clauses)
    assert [w for c in clauses for w in c.split()] == text.split()


@given(_TEXT, st.lists(st.integers(min_value=0, max_value=80), max_size=12))
@settings(max_examples=400)
def test_streaming_tokens_gives_the_same_clauses_as_the_whole_text(text: str, cuts: list[int]) -> None:
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    splitter = ClauseSplitter(min_words=2)
    streamed = [c for a, b in itertools.pairwise(bounds) for c in splitter.push(text[a:b])]
    assert streamed + splitter.flush() == split_clauses(text, min_words=2)
