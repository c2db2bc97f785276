"""The ACD at run time: one :class:`Acd`, its timers kept moving, its log stored, its events pushed.

Every change goes through :class:`AcdService` (the receptionist's handoff, the hold sessions, the agent
API). Once :meth:`AcdService.start` has run, three small loops keep going:

- **ticker** — fires due timers and routes (:class:`RoutingWorker`), sleeping until the store's next
  timer is due, at most ``poll_s``, and waking early when a command may have set a nearer one.
- **pump** — reads the store's event log (``read_events(cursor)``) and fans every event out to the
  subscribers of its call, its agent and its tenant (:mod:`receptionist.acd.fanout`).
- **flusher** — writes queue events to the database in batches, in a thread (:mod:`.persistence`).

Two sources, on purpose. *Fan-out reads the shared log*: with the Redis store every process sees every
event, so an offer routed by process A still reaches the agent whose socket process B holds (within
``poll_s``). *Persistence takes what this process did*: each operation's events are returned to exactly
one caller (one atomic store operation), so with any number of processes every event is stored once.
The cost: events of an operation whose process dies before its next flush are missing from the database
(the Redis log keeps them). A command pumps before it returns, so its own subscribers have its events by
then; a test can therefore drive everything with a fake clock and no background loop at all.

Store calls are synchronous; with ``offload=True`` (the Redis store) they run in a worker thread so the
event loop never waits on the network. The in-process store answers in microseconds and runs inline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from receptionist.acd.config import AgentConfig, QueueConfig, QueueKey
from receptionist.acd.engine import Acd, Activity
from receptionist.acd.fanout import Fanout, Subscription
from receptionist.acd.model import (
    AgentSnapshot,
    CallerChoice,
    CallSnapshot,
    NewCall,
    Party,
    Position,
    QueueStatus,
)
from receptionist.acd.offers import OfferView, offer_view
from receptionist.acd.persistence import EventBuffer, EventSink
from receptionist.acd.worker import RoutingWorker
from receptionist.calls import Call, EscalationRequest

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class AcdService:
    """The ACD for this process: commands, reads, subscriptions, and the loops that keep it moving."""

    def __init__(
        self,
        acd: Acd,
        *,
        sink: EventSink | None = None,
        offload: bool = False,
        poll_s: float = 0.2,
        flush_s: float = 1.0,
        page_size: int = 1000,
        replay: bool = False,
        subscriber_backlog: int = 10_000,
    ) -> None:
        """``sink`` stores the queue log (None: not stored); ``replay`` fans out the store's whole log
        first instead of starting from its end."""
        self.acd = acd
        self.fanout = Fanout(maxsize=subscriber_backlog)
        self.buffer = EventBuffer(sink) if sink is not None else None
        self.poll_s = poll_s
        self.flush_s = flush_s
        self._offload = offload
        self._page_size = page_size
        self._cursor: str | None = "0" if replay else None
        self._pump_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._queues: dict[QueueKey, QueueConfig] = {}
        self._worker = RoutingWorker(acd, interval_s=poll_s, on_activity=self._stored)

    # -- configuration (at start-up) ----------------------------------------------------------------

    def configure_queue(self, config: QueueConfig) -> None:
        self.acd.configure_queue(config)
        self._queues[config.key] = config

    def configure_agent(self, config: AgentConfig) -> None:
        self.acd.configure_agent(config)

    def queues(self, tenants: frozenset[str] | set[str]) -> list[QueueKey]:
        """The queues configured here for ``tenants``, in order."""
        return sorted(k for k in self._queues if k.tenant_id in tenants)

    def queue_config(self, key: QueueKey) -> QueueConfig | None:
        return self._queues.get(key)

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self, *, ticker: bool = True) -> None:
        """Start the loops (``ticker=False``: another process routes, e.g. a ``receptionist worker``)."""
        if self._tasks:
            return
        self._stop.clear()
        await self._ensure_cursor()
        if ticker:
            self._tasks.append(asyncio.create_task(self._tick_loop(), name="acd-ticker"))
        self._tasks.append(asyncio.create_task(self._pump_loop(), name="acd-pump"))
        if self.buffer is not None:
            self._tasks.append(asyncio.create_task(self._flush_loop(), name="acd-flusher"))

    async def stop(self) -> None:
        """Stop the loops and write what is still buffered (one attempt)."""
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.flush()

    async def __aenter__(self) -> AcdService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- calls --------------------------------------------------------------------------------------

    async def enqueue(self, call: NewCall) -> Activity:
        return await self._do(self.acd.enqueue, call)

    async def enqueue_escalation(self, call: Call, request: EscalationRequest) -> Activity:
        return await self._do(self.acd.enqueue_escalation, call, request)

    async def abandon(self, call_id: str) -> Activity:
        return await self._do(self.acd.abandon, call_id)

    async def leave(self, call_id: str, choice: CallerChoice) -> Activity:
        return await self._do(self.acd.leave, call_id, choice)

    async def complete(self, call_id: str, by: Party) -> Activity:
        return await self._do(self.acd.complete, call_id, by)

    async def transfer(self, call_id: str, queue: str) -> Activity:
        return await self._do(self.acd.transfer, call_id, queue)

    # -- agents -------------------------------------------------------------------------------------

    async def login(self, agent_id: str) -> Activity:
        return await self._do(self.acd.login, agent_id)

    async def logoff(self, agent_id: str) -> Activity:
        return await self._do(self.acd.logoff, agent_id)

    async def pause(self, agent_id: str, reason: str) -> Activity:
        return await self._do(self.acd.pause, agent_id, reason)

    async def unpause(self, agent_id: str) -> Activity:
        return await self._do(self.acd.unpause, agent_id)

    async def ready(self, agent_id: str) -> Activity:
        return await self._do(self.acd.ready, agent_id)

    async def accept(self, agent_id: str, offer_id: str) -> Activity:
        return await self._do(self.acd.accept, agent_id, offer_id)

    async def decline(self, agent_id: str, offer_id: str) -> Activity:
        return await self._do(self.acd.decline, agent_id, offer_id)

    async def tick(self) -> Activity:
        """Fire due timers and route now (the ticker does this by itself once started)."""
        return await self._do(self.acd.tick)

    # -- reads --------------------------------------------------------------------------------------

    async def call(self, call_id: str) -> CallSnapshot | None:
        return await self._run(self.acd.call, call_id)

    async def agent(self, agent_id: str) -> AgentSnapshot | None:
        return await self._run(self.acd.agent, agent_id)

    async def position(self, call_id: str) -> Position | None:
        return await self._run(self.acd.position, call_id)

    async def queue_status(self, key: QueueKey) -> QueueStatus:
        return await self._run(self.acd.queue_status, key)

    async def open_offer(self, agent_id: str) -> OfferView | None:
        """The offer ringing for ``agent_id`` now, with its briefing; None if nothing rings."""
        agent = await self.agent(agent_id)
        if agent is None or agent.call_id is None:
            return None
        return offer_view(agent, await self.call(agent.call_id))

    # -- events -------------------------------------------------------------------------------------

    def subscribe(
        self, *, calls: tuple[str, ...] = (), agents: tuple[str, ...] = (), tenants: tuple[str, ...] = ()
    ) -> Subscription:
        """Follow calls, agents and tenants: every matching event from now on, once, in log order."""
        return self.fanout.subscribe(calls=calls, agents=agents, tenants=tenants)

    async def pump(self) -> int:
        """Fan out every event logged since the last pump (by any process); returns how many."""
        async with self._pump_lock:
            cursor = await self._cursor_now()
            count = 0
            while True:
                page = await self._run(self.acd.store.read_events, cursor, self._page_size)
                if page.cursor == cursor:
                    break
                cursor = self._cursor = page.cursor
                for event in page.events:
                    self.fanout.dispatch(event)
                count += len(page.events)
            return count

    async def flush(self) -> bool:
        """Write buffered queue events to the database now; False if it failed (they stay buffered)."""
        return True if self.buffer is None else await self.buffer.flush()

    # -- internals ----------------------------------------------------------------------------------

    async def _do(self, op: Callable[P, Activity], *args: P.args, **kwargs: P.kwargs) -> Activity:
        await self._ensure_cursor()
        activity = await self._run(op, *args, **kwargs)
        self._stored(activity)
        self._wake.set()  # a new offer or call may have set a nearer timer
        await self.pump()
        return activity

    def _stored(self, activity: Activity) -> None:
        if self.buffer is not None and activity.events:
            self.buffer.add(activity.events)

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._offload:
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    async def _ensure_cursor(self) -> None:
        if self._cursor is None:
            async with self._pump_lock:
                await self._cursor_now()

    async def _cursor_now(self) -> str:
        """The pump's cursor; the first time, the end of the log (history is not fanned out)."""
        if self._cursor is None:
            cursor = "0"
            while True:
                page = await self._run(self.acd.store.read_events, cursor, 10_000)
                if page.cursor == cursor:
                    break
                cursor = page.cursor
            self._cursor = cursor
        return self._cursor

    async def _tick_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            pause = self.poll_s
            try:
                pause = await self._run(self._worker.step)
                await self.pump()
            except Exception:
                log.exception("ACD routing tick failed; retrying")
            await _wait_any(self._stop, self._wake, timeout=pause)

    async def _pump_loop(self) -> None:
        """Picks up what other processes (or the ticker's timers) logged, even with no command here."""
        while not self._stop.is_set():
            try:
                await self.pump()
            except Exception:
                log.exception("reading the ACD event log failed; retrying")
            await _wait_any(self._stop, timeout=self.poll_s)

    async def _flush_loop(self) -> None:
        assert self.buffer is not None
        while not self._stop.is_set():
            ok = await self.buffer.flush()
            await _wait_any(self._stop, timeout=self.flush_s if ok else self.buffer.retry_s)


async def _wait_any(*events: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
    """Return when any of ``events`` is set or ``timeout`` seconds have passed."""
    if any(e.is_set() for e in events):
        return
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waiters, return_exceptions=True)
