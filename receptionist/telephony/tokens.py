"""Signed, expiring tokens that admit one media or softphone WebSocket.

A token names what it admits (``purpose``: "twilio" or "softphone"), the tenant, an id (Twilio's CallSid,
or a fresh id for a browser call) and an expiry; it is ``base64url(json).base64url(HMAC-SHA256)``. The
webhook (or the softphone page's token request) issues it; the WebSocket refuses a connection whose token
is missing, forged, expired, or issued for another purpose. Each token admits one connection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass


class BadToken(ValueError):
    """The token is missing, malformed, forged, expired, used, or for something else."""


@dataclass(frozen=True, slots=True)
class Grant:
    purpose: str
    tenant_id: str
    ref: str  # Twilio CallSid, or the browser call's id
    caller: str | None
    dialled: str | None
    expires: float
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(
        self, secret: bytes | None = None, *, ttl_s: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = secret or secrets.token_bytes(32)
        self.ttl_s = ttl_s
        self._clock = clock
        self._used: dict[str, float] = {}  # nonce -> expiry, so a token admits one connection

    def issue(
        self, purpose: str, tenant_id: str, ref: str, *, caller: str | None = None, dialled: str | None = None
    ) -> str:
        body = {
            "p": purpose,
            "t": tenant_id,
            "r": ref,
            "c": caller,
            "d": dialled,
            "e": round(self._clock() + self.ttl_s, 3),
            "n": secrets.token_hex(8),
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str | None, purpose: str, *, consume: bool = True) -> Grant:
        if not token or token.count(".") != 1 or len(token) > 2_048:
            raise BadToken("missing or malformed token")
        payload, signature = token.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise BadToken("bad signature")
        try:
            body = json.loads(_unb64(payload))
            grant = Grant(
                purpose=str(body["p"]),
                tenant_id=str(body["t"]),
                ref=str(body["r"]),
                caller=body.get("c"),
                dialled=body.get("d"),
                expires=float(body["e"]),
                nonce=str(body["n"]),
            )
        except (ValueError, KeyError, TypeError) as e:
            raise BadToken("malformed token") from e
        now = self._clock()
        if grant.purpose != purpose:
            raise BadToken(f"token is for {grant.purpose!r}, not {purpose!r}")
        if grant.expires < now:
            raise BadToken("token expired")
        self._used = {n: e for n, e in self._used.items() if e >= now}
        if grant.nonce in self._used:
            raise BadToken("token already used")
        if consume:
            self._used[grant.nonce] = grant.expires
        return grant

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())
