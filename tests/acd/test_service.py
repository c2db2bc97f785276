"""The ACD service: fan-out from the store's log (across processes sharing a store), the queue log
stored once and kept through database outages, the ticker, and the receptionist's handoff over it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

import pytest

from receptionist.acd.clock import FakeClock, SystemClock
from receptionist.acd.config import AgentConfig, Overflow, QueueConfig
from receptionist.acd.engine import Acd
from receptionist.acd.errors import StoreUnavailable
from receptionist.acd.events import QueueEvent
from receptionist.acd.events import QueueEventKind as K
from receptionist.acd.fanout import Subscription, SubscriptionClosed
from receptionist.acd.handoff import AcdHandoff, QueueRoutes
from receptionist.acd.memory import MemoryStore
from receptionist.acd.model import NewCall
from receptionist.acd.persistence import EventBuffer
from receptionist.acd.service import AcdService
from receptionist.acd.store import AcdStore
from receptionist.calls import Briefing, Call, EscalationRequest, EscalationTrigger, HandoffStatus, Outcome
from receptionist.storage.database import Database
from receptionist.storage.queue_events import QueueEventRepository, QueueEventWriter
from receptionist.storage.tenants import TenantRepository

pytestmark = pytest.mark.timeout(30)

ACME, DENTAL = "acme", "dental"


def configure(service: AcdService, *, ring_timeout_s: float = 15.0) -> AcdService:
    for tenant in (ACME, DENTAL):
        service.configure_queue(QueueConfig(tenant_id=tenant, name="support", ring_timeout_s=ring_timeout_s))
    service.configure_agent(AgentConfig(agent_id="ann", tenants=frozenset({ACME})))
    service.configure_agent(AgentConfig(agent_id="dan", tenants=frozenset({DENTAL})))
    return service


def new_service(store: AcdStore | None = None, **options: object) -> AcdService:
    return configure(AcdService(Acd(store or MemoryStore(), clock=FakeClock()), **options))  # type: ignore[arg-type]


def kinds(sub: Subscription) -> list[tuple[str, str | None, str | None]]:
    out = []
    while (e := sub.get_nowait()) is not None:
        out.append((e.kind.value, e.call_id, e.agent_id))
        sub.task_done()
    return out


async def next_event(sub: Subscription, kind: K, timeout: float = 5.0) -> QueueEvent:
    async def wait() -> QueueEvent:
        while True:
            event = await sub.get()
            sub.task_done()
            if event.kind is kind:
                return event

    return await asyncio.wait_for(wait(), timeout)


# -- fan-out ----------------------------------------------------------------------------------------


async def test_each_subscriber_gets_its_calls_agents_and_tenants_events_once_in_order() -> None:
    service = new_service()
    call = service.subscribe(calls=("c1",))
    ann = service.subscribe(agents=("ann",), tenants=(ACME,))  # overlapping topics: still once each
    dental = service.subscribe(tenants=(DENTAL,))
    await service.login("ann")
    await service.enqueue(NewCall(call_id="c1", tenant_id=ACME, queue="support"))
    assert kinds(call) == [("ENTERQUEUE", "c1", None), ("RINGING", "c1", "ann")]
    assert kinds(ann) == [("AGENTLOGIN", None, "ann"), ("ENTERQUEUE", "c1", None), ("RINGING", "c1", "ann")]
    assert kinds(dental) == []  # another tenant's events never reach it


async def test_a_subscriber_that_falls_behind_is_cut_off_not_the_acd() -> None:
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()), subscriber_backlog=3)
    configure(service)
    slow = service.subscribe(tenants=(ACME,))
    for n in range(5):
        await service.enqueue(NewCall(call_id=f"c{n}", tenant_id=ACME, queue="support"))
    assert slow.lagged and slow.closed
    assert kinds(slow) == [("ENTERQUEUE", "c0", None), ("EXITEMPTY", "c0", None), ("OVERFLOW", "c0", None)]
    with pytest.raises(SubscriptionClosed):
        await slow.get()
    assert service.fanout.subscribers == 0


async def test_the_pump_starts_at_the_end_of_the_log_unless_told_to_replay() -> None:
    store = MemoryStore()
    earlier = new_service(store)
    await earlier.login("ann")
    later = new_service(store)
    late = later.subscribe(agents=("ann",))
    await later.pump()
    assert kinds(late) == []
    replaying = AcdService(Acd(store, clock=FakeClock()), replay=True)
    sub = replaying.subscribe(agents=("ann",))
    await replaying.pump()
    assert kinds(sub) == [("AGENTLOGIN", None, "ann")]


async def test_an_offer_routed_by_another_process_reaches_this_processes_socket() -> None:
    """Two services on one store stand for two processes on one Redis: B's subscribers hear A's offers,
    and each event is stored once, by the process whose operation wrote it."""
    store = MemoryStore()
    a_sink, b_sink = ListSink(), ListSink()
    a = new_service(store, sink=a_sink)
    b = new_service(store, sink=b_sink, poll_s=0.01)
    await b.start(ticker=False)
    try:
        socket_on_b = b.subscribe(agents=("ann",))
        await a.login("ann")
        await a.enqueue(NewCall(call_id="c1", tenant_id=ACME, queue="support"))
        offer = await next_event(socket_on_b, K.OFFER, timeout=2)
        assert offer.call_id == "c1"
    finally:
        await b.stop()
    await a.flush()
    assert [e.kind for e in a_sink.events] == [K.LOGIN, K.ENTER, K.OFFER]
    assert b_sink.events == []


@pytest.mark.redis
async def test_over_redis_an_offer_made_in_one_process_reaches_a_socket_in_another(redis_url: str) -> None:
    from receptionist.acd.redis_store import RedisStore

    prefix = f"test-svc-{uuid.uuid4().hex[:12]}"
    one, two = RedisStore.from_url(redis_url, prefix=prefix), RedisStore.from_url(redis_url, prefix=prefix)
    try:
        a = configure(AcdService(Acd(one, clock=SystemClock()), offload=True))
        b = AcdService(Acd(two, clock=SystemClock()), offload=True, poll_s=0.01)
        await b.start(ticker=False)
        try:
            socket_on_b = b.subscribe(agents=("ann",))
            await a.login("ann")
            await a.enqueue(NewCall(call_id="c1", tenant_id=ACME, queue="support"))
            assert (await next_event(socket_on_b, K.OFFER, timeout=3)).call_id == "c1"
        finally:
            await b.stop()
    finally:
        one.clear()


# -- the ticker -------------------------------------------------------------------------------------


async def test_the_ticker_fires_ring_timeouts_by_itself(sqlite_db: Database) -> None:
    TenantRepository(sqlite_db).upsert(ACME, "Acme")
    service = AcdService(
        Acd(MemoryStore(), clock=SystemClock()), sink=QueueEventWriter(sqlite_db), poll_s=0.02
    )
    configure(service, ring_timeout_s=0.05)
    feed = service.subscribe(calls=("c1",))
    async with service:
        await service.login("ann")
        await service.enqueue(NewCall(call_id="c1", tenant_id=ACME, queue="support"))
        await next_event(feed, K.RING_NO_ANSWER, timeout=2)
    stored = [e.kind for e in QueueEventRepository(sqlite_db, ACME).list(call_id="c1")]
    assert stored[:3] == [K.ENTER, K.OFFER, K.RING_NO_ANSWER]  # written by the flusher / on stop


# -- the queue log in the database ------------------------------------------------------------------


class ListSink:
    """A database stand-in that can be down for the next ``failures`` writes."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.events: list[QueueEvent] = []

    def append_many(self, events: Sequence[QueueEvent]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database is down")
        self.events.extend(events)


async def test_events_wait_in_the_buffer_while_the_database_is_down() -> None:
    sink = ListSink(failures=2)
    service = new_service(sink=sink)
    service.buffer.retry_min_s = 0.0  # type: ignore[union-attr]
    await service.login("ann")
    await service.enqueue(NewCall(call_id="c1", tenant_id=ACME, queue="support"))
    assert not await service.flush()
    await service.enqueue(NewCall(call_id="c2", tenant_id=ACME, queue="support"))
    assert not await service.flush()
    assert sink.events == [] and service.buffer is not None and len(service.buffer) == 4
    assert await service.flush()
    assert [(e.kind, e.call_id) for e in sink.events] == [
        (K.LOGIN, None), (K.ENTER, "c1"), (K.OFFER, "c1"), (K.ENTER, "c2"),
    ]  # fmt: skip
    assert len(service.buffer) == 0 and service.buffer.retry_s == 0.0


async def test_an_event_the_database_can_never_take_is_dropped_alone(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    TenantRepository(sqlite_db).upsert(ACME, "Acme")  # DENTAL is not a stored tenant
    service = new_service(sink=QueueEventWriter(sqlite_db))
    await service.enqueue(NewCall(call_id="a1", tenant_id=ACME, queue="support"))
    await service.enqueue(NewCall(call_id="d1", tenant_id=DENTAL, queue="support"))
    await service.enqueue(NewCall(call_id="a2", tenant_id=ACME, queue="support"))
    with caplog.at_level(logging.ERROR):
        assert await service.flush()
    stored = QueueEventRepository(sqlite_db, ACME).list()
    assert [(e.kind, e.call_id) for e in stored] == [
        (K.ENTER, "a1"), (K.EXIT_EMPTY, "a1"), (K.OVERFLOW, "a1"), (K.ENTER, "a2"), (K.EXIT_EMPTY, "a2"), (K.OVERFLOW, "a2"),
    ]  # fmt: skip
    assert service.buffer is not None and service.buffer.dropped == 3
    assert "dropping queue event" in caplog.text


async def test_the_buffer_is_bounded() -> None:
    buffer = EventBuffer(ListSink(failures=1), max_buffer=2)
    event = QueueEvent(at=FakeClock().now(), tenant_id=ACME, queue=None, kind=K.LOGIN, agent_id="ann")
    buffer.add([event, event, event])
    assert len(buffer) == 2 and buffer.dropped == 1


# -- the receptionist's handoff ---------------------------------------------------------------------


def escalation(queue: str = "support") -> tuple[Call, EscalationRequest]:
    call = Call(tenant_id=ACME, caller_number="+15555550100")
    briefing = Briefing("Acme", "Dana", "+15555550100", "support", "down", "Dana: down", ())
    return call, EscalationRequest(queue, 0, "down", EscalationTrigger.CONCERN, briefing)


async def test_the_handoff_queues_the_call_with_its_briefing_while_an_agent_is_logged_in() -> None:
    service = new_service()
    await service.login("ann")
    call, request = escalation()
    assert await AcdHandoff(service).request(call, request) is HandoffStatus.QUEUED
    offer = await service.open_offer("ann")
    assert offer is not None and offer.call_id == call.id and offer.briefing == request.briefing


async def test_the_handoff_is_unavailable_when_nobody_is_logged_in() -> None:
    service = new_service()
    call, request = escalation()
    assert await AcdHandoff(service).request(call, request) is HandoffStatus.UNAVAILABLE
    assert call.outcome is None  # the queue overflows to a message: the brain takes it


async def test_a_queue_that_overflows_to_a_callback_at_once_schedules_one() -> None:
    service = new_service()
    service.configure_queue(QueueConfig(tenant_id=ACME, name="support", on_empty=Overflow.callback()))
    call, request = escalation()
    assert await AcdHandoff(service).request(call, request) is HandoffStatus.UNAVAILABLE
    assert call.outcome is Outcome.CALLBACK_SCHEDULED
    assert await service.call(f"{call.id}-cb") is not None


async def test_an_unknown_queue_is_unavailable_and_logged_not_a_crash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = new_service()
    call, request = escalation(queue="front-desk")
    with caplog.at_level(logging.WARNING):
        assert await AcdHandoff(service).request(call, request) is HandoffStatus.UNAVAILABLE
    assert "cannot queue call" in caplog.text and "front-desk" in caplog.text


async def test_receptionist_queue_names_map_to_acd_queues() -> None:
    service = new_service()
    await service.login("ann")
    call, request = escalation(queue="front-desk")
    routes = QueueRoutes({ACME: {"front-desk": "support"}})
    assert await AcdHandoff(service, routes=routes).request(call, request) is HandoffStatus.QUEUED
    snapshot = await service.call(call.id)
    assert snapshot is not None and snapshot.queue.name == "support"


async def test_a_store_that_is_down_means_a_message_is_taken() -> None:
    class DownStore(MemoryStore):
        def enqueue(self, call: NewCall, now: datetime) -> tuple[QueueEvent, ...]:
            raise StoreUnavailable("redis is down")

    service = new_service(DownStore())
    call, request = escalation()
    assert await AcdHandoff(service).request(call, request) is HandoffStatus.UNAVAILABLE
