"""Password hashing: argon2id (``argon2-cffi``, RFC 9106 low-memory parameters), PHC strings.

Hashing and verifying take about a tenth of a second of CPU by design: call them from a thread
(``run_in_threadpool``), never on the event loop. :func:`dummy_verify` spends the same time when there
is no user to check against, so a login's duration does not tell which e-mail addresses exist.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work a request can ask for


class WeakPassword(ValueError):
    """A new password that is too short (or absurdly long); the message says what is needed."""


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4


@cache
def _dummy_hash() -> str:
    return _hasher().hash("a password nobody has; only its verification time matters")


def check_new_password(password: str) -> None:
    """:class:`WeakPassword` unless ``password`` is acceptable for a new account or a change."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    """The argon2id hash (``$argon2id$...``) of a new password; :class:`WeakPassword` if it is too short."""
    check_new_password(password)
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``. False, never an exception, for a wrong password, a
    malformed or foreign hash, or a password too long to be one of ours."""
    if len(password) > MAX_PASSWORD_LENGTH:
        dummy_verify(password[:MAX_PASSWORD_LENGTH])
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (rehash it at the next login)."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def dummy_verify(password: str) -> None:
    """Verify against a throwaway hash: the time a real check takes, when there is nothing to check."""
    verify_password(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
