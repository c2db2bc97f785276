"""Webhook signatures: ``X-Receptionist-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is the hex HMAC-SHA256, keyed with the shared secret, of the bytes ``f"{t}."`` followed by the
raw request body, exactly as received (verify before parsing JSON). The timestamp is inside the signed
bytes, so a captured request cannot be replayed later than ``tolerance_s`` seconds. A header may carry
several ``v1=`` values (one per secret while a secret is being rotated); one match is enough.

This module uses only the standard library so receivers can copy :func:`verify_signature` as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Receptionist-Signature"
SCHEME = "v1"


def compute_signature(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """The hex ``v1`` signature of ``body`` sent at ``timestamp``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str | bytes, body: bytes, *, timestamp: int) -> str:
    """The full ``X-Receptionist-Signature`` value for ``body``."""
    return f"t={timestamp},{SCHEME}={compute_signature(secret, timestamp, body)}"


def verify_signature(
    secret: str | bytes,
    header: str,
    body: bytes | str,
    tolerance_s: float = 300,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``header`` is a valid signature of ``body`` under ``secret``, made within ``tolerance_s``.

    ``body`` must be the raw request body; ``now`` (unix seconds) defaults to the current time.
    """
    raw = body.encode() if isinstance(body, str) else body
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = compute_signature(secret, timestamp, raw)
    return any(hmac.compare_digest(expected, c) for c in candidates)
