"""Signed, expiring, single-use tokens for the media and softphone sockets."""

from __future__ import annotations

import base64
import json

import pytest

from receptionist.telephony.tokens import BadToken, TokenSigner


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_carries_what_it_was_issued_for() -> None:
    signer = TokenSigner(b"k" * 32, ttl_s=60)
    token = signer.issue(
        "twilio", "bright-smile-dental", "CA123", caller="+16175550123", dialled="+16175550142"
    )
    grant = signer.verify(token, "twilio")
    assert (grant.purpose, grant.tenant_id, grant.ref) == ("twilio", "bright-smile-dental", "CA123")
    assert (grant.caller, grant.dialled) == ("+16175550123", "+16175550142")


def test_a_token_admits_one_connection() -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.issue("softphone", "t", "r")
    signer.verify(token, "softphone", consume=False)  # looking does not use it up
    signer.verify(token, "softphone")
    with pytest.raises(BadToken, match="already used"):
        signer.verify(token, "softphone")


def test_an_expired_token_is_refused() -> None:
    clock = Clock()
    signer = TokenSigner(b"k" * 32, ttl_s=30, clock=clock)
    token = signer.issue("twilio", "t", "CA1")
    clock.now += 31
    with pytest.raises(BadToken, match="expired"):
        signer.verify(token, "twilio")


def test_a_token_for_another_purpose_is_refused() -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.issue("softphone", "t", "r")
    with pytest.raises(BadToken, match="not 'twilio'"):
        signer.verify(token, "twilio")
    signer.verify(token, "softphone")  # refusing it did not use it up


@pytest.mark.parametrize("token", [None, "", "no-dot", "a.b.c", "x" * 3000])
def test_missing_or_malformed_tokens_are_refused(token: str | None) -> None:
    with pytest.raises(BadToken):
        TokenSigner(b"k" * 32).verify(token, "twilio")


def test_forged_tokens_are_refused() -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.issue("twilio", "bright-smile-dental", "CA1")
    payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["t"] = "another-tenant"  # same signature, changed body
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(BadToken, match="signature"):
        signer.verify(f"{forged}.{signature}", "twilio")
    other_key = TokenSigner(b"j" * 32).issue("twilio", "bright-smile-dental", "CA1")
    with pytest.raises(BadToken, match="signature"):
        signer.verify(other_key, "twilio")


def test_a_signer_without_a_secret_makes_its_own() -> None:
    a, b = TokenSigner(), TokenSigner()
    with pytest.raises(BadToken):
        b.verify(a.issue("twilio", "t", "r"), "twilio")
