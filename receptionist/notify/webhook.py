"""Webhook delivery: the event POSTed as JSON, signed, with a delivery id receivers deduplicate on.

The request::

    POST <recipient url>
    Content-Type: application/json
    User-Agent: receptionist-webhooks/<version>
    X-Receptionist-Event: message.created
    X-Receptionist-Delivery: <outbox row id>      same on every retry of one row: deduplicate on it
    X-Receptionist-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of f"{t}." + raw body>

To verify, receivers compute the HMAC over the *raw* body bytes (before parsing the JSON), compare in
constant time and reject timestamps more than five minutes off, which is what
:func:`receptionist.notify.signing.verify_signature` (standard library only; copy it) does::

    ok = verify_signature(secret, request.headers["X-Receptionist-Signature"], raw_body)

The secret is the environment variable named by the recipient's ``secret_env`` when that is set and
present, else ``RECEPTIONIST_WEBHOOK_SECRET`` (``Settings.webhook_secret``).

What a response means: 2xx, sent. 408, 429, 5xx, timeouts and connection errors: try again later
(a ``Retry-After`` in seconds is honoured). Anything else — other 4xx, and 3xx since redirects are not
followed — cannot succeed by retrying: the delivery is dead. One attempt takes at most
``Settings.delivery_timeout_s`` in all. Logs name the delivery id, host and status, never the secret or
the payload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from receptionist.config.settings import Settings
from receptionist.notify.payloads import one_line
from receptionist.notify.result import SendResult, short_error
from receptionist.notify.signing import SIGNATURE_HEADER, signature_header, verify_signature
from receptionist.storage.records import Delivery

__all__ = ["DELIVERY_HEADER", "SIGNATURE_HEADER", "WebhookSender", "encode_body", "verify_signature"]

log = logging.getLogger(__name__)

DELIVERY_HEADER = "X-Receptionist-Delivery"
EVENT_HEADER = "X-Receptionist-Event"
USER_AGENT = "receptionist-webhooks/0.1"
_RETRYABLE_STATUS = frozenset({408, 429})


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class WebhookSender:
    """Sends webhook rows. Pass a shared ``client`` to reuse connections; otherwise one per send."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
        environ: Mapping[str, str] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._client = client
        self._environ = os.environ if environ is None else environ
        self._now = now

    def secret_for(self, delivery: Delivery) -> str:
        if delivery.secret_env:
            value = self._environ.get(delivery.secret_env)
            if value:
                return value
            log.warning(
                "webhook delivery %s: %s is not set; signing with the default webhook secret",
                delivery.id, delivery.secret_env,
            )  # fmt: skip
        return self._settings.webhook_secret.get_secret_value()

    def request_headers(self, delivery: Delivery, body: bytes) -> dict[str, str]:
        timestamp = int(self._now())
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: one_line(str(delivery.payload.get("type", ""))),
            DELIVERY_HEADER: str(delivery.id),
            SIGNATURE_HEADER: signature_header(self.secret_for(delivery), body, timestamp=timestamp),
        }

    async def send(self, delivery: Delivery) -> SendResult:
        body = encode_body(delivery.payload)
        headers = self.request_headers(delivery, body)
        host = urlsplit(delivery.target).hostname or "?"
        timeout_s = self._settings.delivery_timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                response = await self._post(delivery.target, body, headers)
        except (TimeoutError, httpx.TimeoutException):
            log.info("webhook delivery %s to %s: timed out after %ss", delivery.id, host, timeout_s)
            return SendResult.retry(f"timed out after {timeout_s:g}s")
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
            return SendResult.permanent(short_error(e))
        except httpx.TransportError as e:
            log.info("webhook delivery %s to %s: %s", delivery.id, host, type(e).__name__)
            return SendResult.retry(short_error(e))
        log.info("webhook delivery %s to %s: HTTP %s", delivery.id, host, response.status_code)
        return classify_response(response)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        if self._client is not None:
            return await self._client.post(url, content=body, headers=headers)
        async with httpx.AsyncClient(timeout=self._settings.delivery_timeout_s) as client:
            return await client.post(url, content=body, headers=headers)


def classify_response(response: httpx.Response) -> SendResult:
    """2xx sent; 408/429/5xx retry (with ``Retry-After``); anything else permanent."""
    status = response.status_code
    error = f"HTTP {status} {response.reason_phrase}".strip()
    if 200 <= status < 300:
        return SendResult.sent()
    if status in _RETRYABLE_STATUS or status >= 500:
        return SendResult.retry(error, retry_after_s=_retry_after(response.headers.get("Retry-After")))
    return SendResult.permanent(error)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # HTTP-date form: ignored, the backoff schedule applies
    return seconds if seconds >= 0 else None
