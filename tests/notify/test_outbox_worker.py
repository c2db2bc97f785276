from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import datetime, timedelta

import pytest

from receptionist.notify.outbox import MAX_BACKOFF_S, OutboxWorker, backoff_delay, deliver_now
from receptionist.notify.payloads import deliveries_for
from receptionist.notify.result import SendResult
from receptionist.storage.records import Delivery, DeliveryChannel, DeliveryStatus, NewDelivery
from tests.fakes.smtp import FakeSmtpServer
from tests.fakes.webhook_receiver import WebhookReceiver

from .helpers import ENDED_AT, make_call, make_profile, make_settings


class InMemoryOutbox:
    """The ``OutboxStore`` contract in a dict. Every ``mark_*`` records one attempt."""

    def __init__(self) -> None:
        self.rows: dict[int, Delivery] = {}

    def add(self, new: NewDelivery, *, call_id: str = "call-1", at: datetime = ENDED_AT) -> int:
        delivery_id = len(self.rows) + 1
        self.rows[delivery_id] = Delivery(
            id=delivery_id, tenant_id="bright-smile", call_id=call_id, message_id=None, channel=new.channel,
            target=new.target, payload=new.payload, secret_env=new.secret_env, status=DeliveryStatus.PENDING,
            attempts=0, next_attempt_at=at, last_error=None, created_at=at, sent_at=None,
        )  # fmt: skip
        return delivery_id

    def due(self, now: datetime, limit: int = 50) -> list[Delivery]:
        rows = [
            r for r in self.rows.values() if r.status is DeliveryStatus.PENDING and r.next_attempt_at <= now
        ]
        return sorted(rows, key=lambda r: (r.next_attempt_at, r.id))[:limit]

    def mark_sent(self, delivery_id: int, at: datetime) -> None:
        self._update(delivery_id, status=DeliveryStatus.SENT, sent_at=at, last_error=None)

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        self._update(delivery_id, last_error=error, next_attempt_at=next_attempt_at)

    def mark_dead(self, delivery_id: int, error: str) -> None:
        self._update(delivery_id, status=DeliveryStatus.DEAD, last_error=error)

    def _update(self, delivery_id: int, **changes: object) -> None:
        row = self.rows[delivery_id]
        self.rows[delivery_id] = dataclasses.replace(row, attempts=row.attempts + 1, **changes)  # type: ignore[arg-type]

    def statuses(self) -> list[DeliveryStatus]:
        return [r.status for r in self.rows.values()]


class FakeClock:
    def __init__(self, now: datetime = ENDED_AT) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)


class ScriptedSender:
    """Answers with ``script`` in order, then ``SendResult.sent()``; can take time to answer."""

    def __init__(self, *script: SendResult | Exception, delay_s: float = 0.0) -> None:
        self.script = list(script)
        self.delay_s = delay_s
        self.sent: list[int] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def send(self, delivery: Delivery) -> SendResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
            self.sent.append(delivery.id)
            step = self.script.pop(0) if self.script else SendResult.sent()
            if isinstance(step, Exception):
                raise step
            return step
        finally:
            self.in_flight -= 1


def _hook_row(
    store: InMemoryOutbox, url: str = "https://hooks.example.org/rx", call_id: str = "call-1"
) -> int:
    return store.add(NewDelivery(DeliveryChannel.WEBHOOK, url, {"type": "message.created"}), call_id=call_id)


def _worker(
    store: InMemoryOutbox, clock: FakeClock, sender: ScriptedSender, concurrency: int = 8
) -> OutboxWorker:
    settings = make_settings(delivery_max_attempts=5, delivery_backoff_s=2.0)
    senders = {DeliveryChannel.WEBHOOK: sender, DeliveryChannel.EMAIL: sender}
    return OutboxWorker(
        store, settings, clock=clock, sleep=clock.sleep, senders=senders, concurrency=concurrency
    )


def test_backoff_doubles_with_bounded_jitter_and_is_capped() -> None:
    for seed in range(20):
        rng = random.Random(seed)
        delays = [backoff_delay(n, 2.0, rng=rng) for n in range(1, 12)]
        assert delays == sorted(delays) and len(set(delays)) == len(delays)
        for n, d in enumerate(delays, start=1):
            assert 0.8 * 2.0 * 2 ** (n - 1) <= d <= 1.2 * 2.0 * 2 ** (n - 1)
        assert backoff_delay(500, 2.0, rng=rng) <= MAX_BACKOFF_S * 1.2


async def test_the_retry_schedule_grows_and_the_row_dies_after_max_attempts() -> None:
    store, clock = InMemoryOutbox(), FakeClock()
    sender = ScriptedSender(*[SendResult.retry("HTTP 503 Service Unavailable")] * 10)
    worker = _worker(store, clock, sender)
    row_id = _hook_row(store)

    gaps: list[float] = []
    for _ in range(5):
        report = await worker.run_once()
        assert len(report.outcomes) == 1
        row = store.rows[row_id]
        if row.status is DeliveryStatus.DEAD:
            break
        gap = (row.next_attempt_at - clock.now).total_seconds()
        gaps.append(gap)
        clock.advance(gap - 0.01)
        assert (await worker.run_once()).outcomes == ()  # not due yet: nothing is sent early
        clock.advance(0.01)

    assert len(gaps) == 4 and gaps == sorted(gaps)
    for n, gap in enumerate(gaps, start=1):
        assert 0.8 * 2**n <= gap <= 1.2 * 2**n
    row = store.rows[row_id]
    assert row.status is DeliveryStatus.DEAD and row.attempts == 5
    assert row.last_error == "gave up after 5 attempts: HTTP 503 Service Unavailable"
    assert len(sender.sent) == 5


async def test_a_permanent_failure_is_dead_at_once() -> None:
    store, clock = InMemoryOutbox(), FakeClock()
    worker = _worker(store, clock, ScriptedSender(SendResult.permanent("HTTP 400 Bad Request")))
    row_id = _hook_row(store)
    report = await worker.run_once()
    assert report.dead == 1
    assert store.rows[row_id].status is DeliveryStatus.DEAD
    assert store.rows[row_id].last_error == "HTTP 400 Bad Request"


async def test_retry_after_from_the_receiver_is_honoured() -> None:
    store, clock = InMemoryOutbox(), FakeClock()
    worker = _worker(store, clock, ScriptedSender(SendResult.retry("HTTP 429", retry_after_s=600)))
    row_id = _hook_row(store)
    await worker.run_once()
    assert store.rows[row_id].next_attempt_at - clock.now >= timedelta(seconds=600)


async def test_sends_run_concurrently_but_bounded() -> None:
    store, clock = InMemoryOutbox(), FakeClock()
    sender = ScriptedSender(delay_s=0.02)
    worker = _worker(store, clock, sender, concurrency=3)
    for _ in range(10):
        _hook_row(store)
    report = await worker.run_once()
    assert report.sent == 10
    assert sender.max_in_flight == 3


async def test_a_crashing_sender_becomes_a_retry_and_other_rows_still_go() -> None:
    store, clock = InMemoryOutbox(), FakeClock()
    worker = _worker(store, clock, ScriptedSender(RuntimeError("boom")), concurrency=1)
    first, second = _hook_row(store), _hook_row(store)
    report = await worker.run_once()
    assert (report.pending, report.sent) == (1, 1)
    assert store.rows[first].last_error == "RuntimeError: boom"
    assert store.rows[second].status is DeliveryStatus.SENT


async def test_nothing_is_lost_while_both_notifiers_are_down_and_all_goes_once_they_recover() -> None:
    smtp = FakeSmtpServer()  # not started yet: connections are refused
    async with WebhookReceiver(secret="test-webhook-secret") as hook:
        hook.fail(times=6)  # two webhook rows, three passes
        store, clock = InMemoryOutbox(), FakeClock()
        profile = make_profile(
            [{"type": "email", "address": "owner@example.org"}, {"type": "webhook", "url": hook.url}]
        )
        for call_id in ("call-1", "call-2"):
            call = make_call()
            call.id = call_id
            for new in deliveries_for(profile, call, None):
                store.add(new, call_id=call_id)
        settings = make_settings(smtp_host=smtp.host, smtp_port=smtp.port, delivery_max_attempts=5)
        worker = OutboxWorker(store, settings, clock=clock, sleep=clock.sleep)

        for _ in range(3):
            report = await worker.run_once()
            assert report.pending == 4
            assert store.statuses() == [DeliveryStatus.PENDING] * 4
            assert all(r.next_attempt_at > clock.now for r in store.rows.values())
            clock.now = max(r.next_attempt_at for r in store.rows.values())

        smtp.start()
        try:
            report = await worker.run_once()
        finally:
            smtp.stop()

    assert report.sent == 4
    assert store.statuses() == [DeliveryStatus.SENT] * 4
    assert all(r.attempts == 4 for r in store.rows.values())
    assert sorted(m.message["Message-ID"] for m in smtp.messages) == [
        "<receptionist.call-1.1@example.org>",
        "<receptionist.call-2.3@example.org>",
    ]
    assert len(hook.delivered) == 2 and all(r.verified for r in hook.delivered)
    assert sorted(r.json["call_id"] for r in hook.delivered) == ["call-1", "call-2"]


async def test_run_forever_polls_and_survives_a_failing_store() -> None:
    class Stop(Exception):
        pass

    class FlakyOutbox(InMemoryOutbox):
        calls = 0

        def due(self, now: datetime, limit: int = 50) -> list[Delivery]:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("database is down")
            return super().due(now, limit)

    store, clock = FlakyOutbox(), FakeClock()
    row_id = _hook_row(store)

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds)
        if len(clock.sleeps) == 3:
            raise Stop

    worker = OutboxWorker(
        store, make_settings(), clock=clock, sleep=sleep, senders={DeliveryChannel.WEBHOOK: ScriptedSender()}
    )
    with pytest.raises(Stop):
        await worker.run_forever(poll_interval_s=5)
    assert clock.sleeps == [5, 5, 5]
    assert store.rows[row_id].status is DeliveryStatus.SENT


async def test_deliver_now_retries_briefly_until_sent(hook: WebhookReceiver) -> None:
    hook.fail(times=2)
    store, clock = InMemoryOutbox(), FakeClock()
    row_id = _hook_row(store, hook.url)

    report = await deliver_now(store, make_settings(), pause_s=0.5, clock=clock, sleep=clock.sleep)

    assert (report.attempted, report.sent, report.pending, report.dead) == (1, 1, 0, 0)
    assert clock.sleeps == [0.5, 0.5]
    assert store.rows[row_id].status is DeliveryStatus.SENT and store.rows[row_id].attempts == 3
    assert [r.status for r in hook.requests] == [500, 500, 200]


async def test_deliver_now_does_not_hurry_a_receiver_that_asked_for_a_pause(hook: WebhookReceiver) -> None:
    store, clock = InMemoryOutbox(), FakeClock()
    row_id = _hook_row(store, hook.url)
    sender = ScriptedSender(SendResult.retry("HTTP 429 Too Many Requests", retry_after_s=60))
    senders = {DeliveryChannel.WEBHOOK: sender}

    report = await deliver_now(store, make_settings(), clock=clock, sleep=clock.sleep, senders=senders)

    assert report.retried == 1 and len(sender.sent) == 1 and clock.sleeps == []
    assert store.rows[row_id].next_attempt_at - clock.now >= timedelta(seconds=60)


async def test_deliver_now_leaves_what_still_fails_pending_for_the_worker(hook: WebhookReceiver) -> None:
    hook.fail(times=3)
    store, clock = InMemoryOutbox(), FakeClock()
    row_id = _hook_row(store, hook.url)

    report = await deliver_now(
        store, make_settings(), attempts=3, pause_s=0.1, clock=clock, sleep=clock.sleep
    )

    assert (report.sent, report.pending) == (0, 1)
    row = store.rows[row_id]
    assert row.status is DeliveryStatus.PENDING and row.attempts == 3
    assert row.next_attempt_at > clock.now
    assert row.last_error == "HTTP 500 Internal Server Error"
