from __future__ import annotations

from receptionist.notify.signing import compute_signature, signature_header, verify_signature

BODY = b'{"type":"message.created","version":1}'
NOW = 1_715_000_000


def test_a_signature_verifies_with_the_same_secret_and_body() -> None:
    header = signature_header("s3cret", BODY, timestamp=NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert verify_signature("s3cret", header, BODY, now=NOW + 10)
    assert verify_signature(b"s3cret", header, BODY.decode(), now=NOW)


def test_a_tampered_body_a_wrong_secret_or_a_stale_timestamp_fail() -> None:
    header = signature_header("s3cret", BODY, timestamp=NOW)
    assert not verify_signature("s3cret", header, BODY.replace(b"1", b"2"), now=NOW)
    assert not verify_signature("other", header, BODY, now=NOW)
    assert not verify_signature("s3cret", header, BODY, now=NOW + 301)
    assert not verify_signature("s3cret", header, BODY, tolerance_s=5, now=NOW - 6)


def test_any_of_several_v1_signatures_may_match_during_secret_rotation() -> None:
    header = f"t={NOW},v1={compute_signature('old', NOW, BODY)},v1={compute_signature('new', NOW, BODY)}"
    assert verify_signature("new", header, BODY, now=NOW)
    assert verify_signature("old", header, BODY, now=NOW)


def test_malformed_headers_do_not_verify() -> None:
    good = compute_signature("s3cret", NOW, BODY)
    for header in ["", "garbage", f"v1={good}", f"t=abc,v1={good}", f"t={NOW}", f"t={NOW},v0={good}"]:
        assert not verify_signature("s3cret", header, BODY, now=NOW), header
