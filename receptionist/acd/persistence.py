"""Queue events on their way to the database: buffered, written in batches off the event loop, never
dropped because the database is briefly away.

Events wait in memory until a flush writes them (in order, one transaction per batch, in a thread). A
failed write keeps them and is retried with a growing pause; only an event the database can never take
(its tenant is not stored, its data is not JSON) is dropped, logged, so it cannot block those behind it.
Memory is bounded by ``max_buffer``: past it the oldest events are dropped and counted (an outage that
long should page someone; the store's own log still has them).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Protocol

from receptionist.acd.events import QueueEvent
from receptionist.storage.errors import UnknownTenant

log = logging.getLogger(__name__)


class EventSink(Protocol):
    """Where queue events are stored (``receptionist.storage.queue_events.QueueEventWriter`` is one)."""

    def append_many(self, events: Sequence[QueueEvent]) -> None: ...


_PERMANENT = (ValueError, UnknownTenant)  # retrying the same rows cannot succeed


class EventBuffer:
    """Collects events from any thread; :meth:`flush` writes them from the event loop."""

    def __init__(
        self,
        sink: EventSink,
        *,
        batch_size: int = 500,
        max_buffer: int = 200_000,
        retry_min_s: float = 0.5,
        retry_max_s: float = 30.0,
    ) -> None:
        self._sink = sink
        self._batch = batch_size
        self._max = max_buffer
        self._pending: deque[QueueEvent] = deque()
        self._lock = asyncio.Lock()
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self.retry_s = 0.0  # how long to wait before the next attempt; 0 while writes succeed
        self.written = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, events: Iterable[QueueEvent]) -> None:
        """Keep ``events`` for the next flush (safe from worker threads: deque appends are atomic)."""
        self._pending.extend(events)
        over = len(self._pending) - self._max
        if over > 0:
            for _ in range(over):
                self._pending.popleft()
            self.dropped += over
            log.error("queue event buffer full (%d): dropped the %d oldest events", self._max, over)

    async def flush(self) -> bool:
        """Write everything pending; False if the database failed (the events stay for the next try)."""
        async with self._lock:
            while self._pending:
                batch = [self._pending[i] for i in range(min(self._batch, len(self._pending)))]
                try:
                    try:
                        await asyncio.to_thread(self._sink.append_many, batch)
                        self._done(len(batch))
                    except _PERMANENT as exc:
                        log.warning("a batch of queue events was refused (%s); writing them one by one", exc)
                        await asyncio.to_thread(self._write_one_by_one, batch)
                except Exception as exc:
                    self.retry_s = min(self.retry_max_s, max(self.retry_min_s, self.retry_s * 2))
                    log.warning(
                        "cannot store %d queue events (%s); retrying in %.1f s",
                        len(self._pending),
                        exc,
                        self.retry_s,
                    )
                    return False
            self.retry_s = 0.0
            return True

    def _write_one_by_one(self, batch: list[QueueEvent]) -> None:
        """Store each event of a refused batch alone, dropping only those refused themselves.

        Each event leaves the buffer as soon as it is settled, so a database that goes away halfway
        leaves exactly the rest for the next flush.
        """
        for event in batch:
            try:
                self._sink.append_many([event])
            except _PERMANENT as exc:
                self.dropped += 1
                log.error("dropping queue event %s of %s: %s", event.kind, event.tenant_id, exc)
                self._done(1, stored=False)
            else:
                self._done(1)

    def _done(self, count: int, *, stored: bool = True) -> None:
        for _ in range(min(count, len(self._pending))):
            self._pending.popleft()
        if stored:
            self.written += count
