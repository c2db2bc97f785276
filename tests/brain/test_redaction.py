"""Payment details never survive redaction; phone, order and account numbers always do."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.brain.phone import spoken_digits_to_text
from receptionist.brain.redaction import luhn_valid, redact

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def with_check_digit(body: str) -> str:
    """``body`` plus the digit that makes it Luhn-valid."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def digits_only(text: str) -> str:
    return re.sub(r"\D", "", spoken_digits_to_text(text))


NETWORK_PREFIXES = ["4", "51", "55", "2221", "2720", "6011", "65", "62", "36", "3528", "5018"]


@st.composite
def card_numbers(draw: st.DrawFn, length: int = 16) -> str:
    """A Luhn-valid number with a real issuer prefix: what a caller's card looks like."""
    prefix = draw(st.sampled_from(NETWORK_PREFIXES))
    body = draw(
        st.text(alphabet="0123456789", min_size=length - 1 - len(prefix), max_size=length - 1 - len(prefix))
    )
    return with_check_digit(prefix + body)


@st.composite
def any_luhn_numbers(draw: st.DrawFn, length: int = 16) -> str:
    body = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    return with_check_digit(body)


@st.composite
def spaced(draw: st.DrawFn, digits: str) -> str:
    """``digits`` written any way a transcript might: groups of any size, spaces, dashes, dots, words."""
    out = []
    i = 0
    spoken = draw(st.booleans())
    while i < len(digits):
        size = draw(st.integers(min_value=1, max_value=6))
        group = digits[i : i + size]
        out.append(" ".join(DIGIT_NAMES[int(d)] for d in group) if spoken else group)
        i += size
    return "".join(
        part + (draw(st.sampled_from([" ", "-", ", ", ". ", "  ", " - "])) if k < len(out) - 1 else "")
        for k, part in enumerate(out)
    )


# Random surrounding text: letters, punctuation, words and other short numbers.
filler = st.lists(
    st.one_of(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.?!'", max_size=8),
        st.sampled_from(["card", "is", "7", "oh"]),
    )
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), prefix=filler, suffix=filler)
def test_a_luhn_valid_16_digit_number_never_survives(data: st.DataObject, prefix: str, suffix: str) -> None:
    card = data.draw(card_numbers())
    written = data.draw(spaced(card))
    result = redact(f"{prefix} {written} {suffix}")
    assert card not in digits_only(result.text)
    assert "card_number" in result.kinds
    assert "[card number]" in result.text


@settings(max_examples=200, deadline=None)
@given(data=st.data(), length=st.integers(min_value=13, max_value=19))
def test_card_numbers_of_every_length_are_redacted(data: st.DataObject, length: int) -> None:
    card = data.draw(card_numbers(length))
    assert redact(f"the card is {data.draw(spaced(card))} ok").text == "the card is [card number] ok"


valid_us_numbers = st.builds(
    lambda area, exchange, line: f"{area}{exchange}{line:04d}",
    st.sampled_from(["212", "312", "415", "617", "720", "206", "503"]),
    st.integers(min_value=200, max_value=999).map(str),
    st.integers(min_value=0, max_value=9999),
).filter(lambda n: phonenumbers.is_valid_number(phonenumbers.parse(n, "US")))
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.?!'")


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=valid_us_numbers, prefix=words, suffix=words, country_code=st.booleans())
def test_valid_phone_numbers_always_survive(
    data: st.DataObject, number: str, prefix: str, suffix: str, country_code: bool
) -> None:
    full = ("1" + number) if country_code else number
    written = data.draw(spaced(full))
    text = f"{prefix} call me back on {written} thanks {suffix}"
    result = redact(text)
    assert result.text == text
    assert result.kinds == ()


@settings(max_examples=200, deadline=None)
@given(data=st.data(), length=st.integers(min_value=13, max_value=19))
def test_any_luhn_valid_number_is_redacted_when_a_card_is_mentioned(data: st.DataObject, length: int) -> None:
    number = data.draw(any_luhn_numbers(length))
    text = f"my debit card number is {data.draw(spaced(number))}"
    assert number not in digits_only(redact(text).text)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), first=st.sampled_from("0179"), length=st.integers(min_value=13, max_value=19))
def test_order_numbers_outside_card_networks_survive(data: st.DataObject, first: str, length: int) -> None:
    number = with_check_digit(
        first + data.draw(st.text(alphabet="0123456789", min_size=length - 2, max_size=length - 2))
    )
    text = f"where is order {number}, it's late"
    assert redact(text).text == text


@pytest.mark.parametrize(
    "text",
    [
        "my order number is 88231945 and it hasn't arrived",
        "account number 0012345678, reference 7781",
        "ticket 4111111111111112",  # 16 digits but not Luhn-valid: an order number, not a card
        "call 415 555 0134 or 212 555 0199",
        "the total was 1,249.99 for 3 items on 12/05",
    ],
)
def test_other_numbers_survive(text: str) -> None:
    assert redact(text).text == text


@pytest.mark.parametrize(
    ("text", "redacted", "kinds"),
    [
        (
            "my card is 4111 1111 1111 1111 and it expires 12/27, cvv 123",
            "my card is [card number] and it expires [expiry], cvv [security code]",
            ("card_number", "expiry", "security_code"),
        ),
        (
            "it's 5555-5555-5555-4444 exp. december 2027 security code is 9 8 7",
            "it's [card number] exp. [expiry] security code is [security code]",
            ("card_number", "expiry", "security_code"),
        ),
        ("expiration date oh four twenty six", "expiration date [expiry]", ("expiry",)),
        ("the CVC is seven seven seven", "the CVC is [security code]", ("security_code",)),
        ("the three digit code on the back is 0 4 2", "the three digit code on the back is [security code]",
         ("security_code",)),
        (
            "account 12345678, routing number 021000021",
            "account 12345678, routing number [routing number]",
            ("routing_number",),
        ),
        ("the routing is zero two one zero zero zero zero two one", "the routing is [routing number]",
         ("routing_number",)),
        ("my number is 4155550134 4111111111111111", "my number is 4155550134 [card number]",
         ("card_number",)),
        ("amex 3782 822463 10005", "amex [card number]", ("card_number",)),
    ],
)  # fmt: skip
def test_redacts_payment_details(text: str, redacted: str, kinds: tuple[str, ...]) -> None:
    result = redact(text)
    assert result.text == redacted
    assert result.kinds == kinds


def test_a_short_number_after_a_keyword_is_not_a_security_code_if_too_long() -> None:
    assert redact("my security number is 123456789").text == "my security number is 123456789"


@pytest.mark.parametrize(
    "text",
    [
        "my social security number is one two three, four five, six seven eight nine",
        "SSN 123-45-6789 please",
    ],
)
def test_social_security_numbers_are_redacted_whole(text: str) -> None:
    result = redact(text)
    assert result.kinds == ("social_security_number",)
    assert "[social security number]" in result.text
    assert not any(ch.isdigit() for ch in result.text)
    assert "six" not in result.text and "nine" not in result.text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("41111a1111111111")
