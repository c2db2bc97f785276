"""Time for the ACD: an injectable clock, and the millisecond integers the stores compute with.

Nothing in the domain reads the wall clock. Every store operation takes ``now``; the engine asks its
:class:`Clock`; tests use :class:`FakeClock` and move it explicitly, so timelines are exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class Clock(Protocol):
    """Tells the time (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock: the one place that reads the wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        if at < self._now:
            raise ValueError(f"time cannot go back: {at.isoformat()} < {self._now.isoformat()}")
        self._now = at

    def advance(self, seconds: float) -> datetime:
        self.set(self._now + timedelta(seconds=seconds))
        return self._now


def to_ms(at: datetime) -> int:
    """Milliseconds since the Unix epoch; ``at`` must be timezone-aware."""
    if at.tzinfo is None:
        raise ValueError("the ACD needs timezone-aware datetimes")
    return (at - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def seconds_to_ms(seconds: float) -> int:
    return round(seconds * 1000)
