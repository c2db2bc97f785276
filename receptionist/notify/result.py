"""What one attempt to send a delivery came to, and the seam every channel's sender implements."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from receptionist.storage.records import Delivery


class SendStatus(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: the row stays pending and is tried again later
    PERMANENT = "permanent"  # retrying cannot help (bad address, 4xx from the receiver): the row is dead


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one attempt. ``error`` is short, safe to store and log (no secrets, no payload)."""

    status: SendStatus
    error: str | None = None
    retry_after_s: float | None = None  # the receiver's own hint (HTTP Retry-After), if any

    @classmethod
    def sent(cls) -> SendResult:
        return cls(SendStatus.SENT)

    @classmethod
    def retry(cls, error: str, *, retry_after_s: float | None = None) -> SendResult:
        return cls(SendStatus.RETRY, error, retry_after_s)

    @classmethod
    def permanent(cls, error: str) -> SendResult:
        return cls(SendStatus.PERMANENT, error)

    @property
    def ok(self) -> bool:
        return self.status is SendStatus.SENT


class Sender(Protocol):
    """Sends one outbox row over one channel. Never raises for delivery failures: it returns them."""

    async def send(self, delivery: Delivery) -> SendResult: ...


def short_error(error: BaseException, limit: int = 200) -> str:
    """``"ConnectError: [Errno 111] Connection refused"``, cut to ``limit`` characters, on one line."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return " ".join(text.split())[:limit]
