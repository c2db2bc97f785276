"""Queue events fanned out to whoever listens: a caller's hold session, an agent's socket, a tenant's feed.

A :class:`Subscription` names the calls, agents and tenants it follows and receives every matching
:class:`QueueEvent` once, in log order, through its own bounded queue. Delivery never blocks the sender:
a subscriber that falls too far behind is closed and marked ``lagged`` (it should re-read the state it
shows and subscribe again), so one stuck socket cannot hold up the ACD.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Literal

from receptionist.acd.events import QueueEvent

log = logging.getLogger(__name__)

TopicKind = Literal["call", "agent", "tenant"]
Topic = tuple[TopicKind, str]
_CLOSED = None  # the sentinel a closed subscription's getter wakes up to


class SubscriptionClosed(Exception):
    """The subscription was closed (by its owner, or because it lagged too far behind)."""


class Subscription:
    """Events of the calls, agents and tenants it follows, each delivered once, in order."""

    def __init__(self, fanout: Fanout, topics: frozenset[Topic], *, maxsize: int) -> None:
        self.topics = topics
        self.lagged = False
        self._fanout = fanout
        self._queue: asyncio.Queue[QueueEvent | None] = asyncio.Queue()
        self._maxsize = maxsize
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def offer(self, event: QueueEvent) -> None:
        """Queue ``event`` without blocking; a subscriber this far behind is cut off instead."""
        if self._closed:
            return
        if self._queue.qsize() >= self._maxsize:
            log.warning(
                "subscriber to %s fell %d events behind; closing it", sorted(self.topics), self._maxsize
            )
            self.lagged = True
            self.close()
            return
        self._queue.put_nowait(event)

    async def get(self) -> QueueEvent:
        """The next event; raises :class:`SubscriptionClosed` once closed and drained."""
        if self._closed and self._queue.empty():
            raise SubscriptionClosed
        event = await self._queue.get()
        if event is _CLOSED:
            self._queue.task_done()
            raise SubscriptionClosed
        return event

    def get_nowait(self) -> QueueEvent | None:
        """The next event if one is queued already, else None."""
        try:
            event = self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None
        if event is _CLOSED:
            self._queue.task_done()
            return None
        return event

    def task_done(self) -> None:
        """Mark an event from :meth:`get` as handled (see :meth:`join`)."""
        self._queue.task_done()

    async def join(self) -> None:
        """Wait until every event delivered so far (and the close, if closed) has been handled."""
        await self._queue.join()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._fanout.remove(self)
        self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> QueueEvent:
        try:
            return await self.get()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Fanout:
    """Routes each event to the subscriptions following its call, its agent or its tenant."""

    def __init__(self, *, maxsize: int = 10_000) -> None:
        self._by_topic: dict[Topic, set[Subscription]] = {}
        self._maxsize = maxsize

    def subscribe(
        self,
        *,
        calls: Iterable[str] = (),
        agents: Iterable[str] = (),
        tenants: Iterable[str] = (),
    ) -> Subscription:
        wanted: list[Topic] = [("call", c) for c in calls]
        wanted += [("agent", a) for a in agents]
        wanted += [("tenant", t) for t in tenants]
        topics = frozenset(wanted)
        if not topics:
            raise ValueError("a subscription must follow at least one call, agent or tenant")
        sub = Subscription(self, topics, maxsize=self._maxsize)
        for topic in topics:
            self._by_topic.setdefault(topic, set()).add(sub)
        return sub

    def remove(self, sub: Subscription) -> None:
        for topic in sub.topics:
            subs = self._by_topic.get(topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_topic[topic]

    def dispatch(self, event: QueueEvent) -> None:
        targets: set[Subscription] = set()
        for topic in _topics(event):
            targets.update(self._by_topic.get(topic, ()))
        for sub in targets:
            sub.offer(event)

    @property
    def subscribers(self) -> int:
        return len({s for subs in self._by_topic.values() for s in subs})


def _topics(event: QueueEvent) -> list[Topic]:
    topics: list[Topic] = [("tenant", event.tenant_id)]
    if event.call_id is not None:
        topics.append(("call", event.call_id))
    if event.agent_id is not None:
        topics.append(("agent", event.agent_id))
    return topics
