"""The delivery worker: sends due outbox rows and records each attempt (sent, retry later, or dead).

Rows are written by storage in the same transaction as the call, so a message is never stored without
its notifications. The worker reads due rows, sends them concurrently (bounded), and marks each:

- sent: done;
- transient failure (notifier down, timeout, 5xx, SMTP 4xx): the row stays *pending* with
  ``next_attempt_at`` pushed back by exponential backoff with jitter (:func:`backoff_delay`), so a down
  notifier loses nothing and is not hammered;
- permanent failure (HTTP 4xx, SMTP 5xx), or ``Settings.delivery_max_attempts`` attempts used up:
  the row is *dead*, kept with its last error for the owner to see.

Delivery is at least once: a crash between sending and marking sends the row again. Receivers
deduplicate on ``X-Receptionist-Delivery`` (webhooks) or ``Message-ID`` (email); both are stable per row.

:class:`OutboxWorker` is the long-running ``receptionist worker``; :func:`deliver_now` is for the CLI
at the end of a chat, trying immediately with a few short retries before leaving the rest to the worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from receptionist.calls import utcnow
from receptionist.config.settings import Settings
from receptionist.notify.email import EmailSender
from receptionist.notify.result import Sender, SendResult, SendStatus, short_error
from receptionist.notify.webhook import WebhookSender
from receptionist.storage.records import Delivery, DeliveryChannel, DeliveryStatus

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

MAX_BACKOFF_S = 6 * 3600.0  # however many attempts are configured, never wait more than this between two
JITTER = 0.2  # each delay is scaled by a random factor in [1 - JITTER, 1 + JITTER]


class OutboxStore(Protocol):
    """The outbox as storage provides it (sync: call from async code through ``asyncio.to_thread``).

    Every ``mark_*`` call records one attempt (``attempts`` goes up by one).
    """

    def due(self, now: datetime, limit: int = 50) -> list[Delivery]: ...
    def mark_sent(self, delivery_id: int, at: datetime) -> None: ...
    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None: ...
    def mark_dead(self, delivery_id: int, error: str) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What one attempt did to one row. ``status`` is the row's status afterwards."""

    delivery_id: int
    channel: DeliveryChannel
    target: str
    status: DeliveryStatus
    attempts: int  # including this one
    error: str | None = None
    next_attempt_at: datetime | None = None  # when pending
    retry_after_s: float | None = None  # when the receiver asked for a pause (HTTP Retry-After)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """The outcomes of one pass over the outbox, one per row attempted."""

    outcomes: tuple[DeliveryOutcome, ...] = ()

    def _count(self, status: DeliveryStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def attempted(self) -> int:
        return len(self.outcomes)

    @property
    def sent(self) -> int:
        return self._count(DeliveryStatus.SENT)

    @property
    def pending(self) -> int:
        """Rows that failed this time and will be tried again."""
        return self._count(DeliveryStatus.PENDING)

    retried = pending  # the same count, under the name the CLI uses

    @property
    def dead(self) -> int:
        return self._count(DeliveryStatus.DEAD)


def backoff_delay(attempt: int, base_s: float, *, rng: random.Random, cap_s: float = MAX_BACKOFF_S) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): ``base_s · 2^(attempt-1)``,
    capped at ``cap_s``, times a jitter factor in [0.8, 1.2] so failed rows do not retry in lockstep.
    With ±20 % jitter each delay is still longer than the one before, until the cap."""
    raw = min(cap_s, base_s * 2.0 ** min(max(attempt, 1) - 1, 40))
    return raw * rng.uniform(1 - JITTER, 1 + JITTER)


def default_senders(settings: Settings) -> dict[DeliveryChannel, Sender]:
    return {DeliveryChannel.EMAIL: EmailSender(settings), DeliveryChannel.WEBHOOK: WebhookSender(settings)}


class OutboxWorker:
    """Sends due outbox rows and records every attempt in ``store``."""

    def __init__(
        self,
        store: OutboxStore,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
        senders: Mapping[DeliveryChannel, Sender] | None = None,
        rng: random.Random | None = None,
        concurrency: int = 8,
        batch_size: int = 50,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._senders = dict(senders) if senders is not None else default_senders(settings)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._concurrency = max(1, concurrency)
        self.batch_size = batch_size

    async def run_once(self) -> DeliveryReport:
        """One pass: every row due now (up to ``batch_size``) attempted once and marked."""
        rows = await asyncio.to_thread(self._store.due, self._clock(), self.batch_size)
        return DeliveryReport(tuple(await self.attempt_all(rows)))

    async def run_forever(self, poll_interval_s: float = 5.0) -> None:
        """Pass after pass until cancelled; a full batch is followed at once by the next one.

        A failing store (database down) is logged and retried after ``poll_interval_s``.
        """
        while True:
            try:
                report = await self.run_once()
            except Exception:
                log.exception("outbox pass failed; trying again in %gs", poll_interval_s)
                report = DeliveryReport()
            if len(report.outcomes) < self.batch_size:
                await self._sleep(poll_interval_s)

    async def attempt_all(self, rows: Sequence[Delivery]) -> list[DeliveryOutcome]:
        """Attempt ``rows`` concurrently (at most ``concurrency`` at once), outcomes in the same order.

        Every row is attempted and marked even if marking another fails; then the first error is raised.
        """
        gate = asyncio.Semaphore(self._concurrency)

        async def one(row: Delivery) -> DeliveryOutcome:
            async with gate:
                return await self.attempt(row)

        results = await asyncio.gather(*(one(r) for r in rows), return_exceptions=True)
        outcomes = [r for r in results if isinstance(r, DeliveryOutcome)]
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            for e in errors[1:]:
                log.error("outbox: could not record a delivery attempt: %s", short_error(e))
            raise errors[0]
        return outcomes

    async def attempt(self, row: Delivery) -> DeliveryOutcome:
        """Send ``row`` once and record the result in the store."""
        result = await self._send(row)
        attempts = row.attempts + 1
        now = self._clock()
        base = DeliveryOutcome(row.id, row.channel, row.target, DeliveryStatus.SENT, attempts)
        if result.ok:
            await asyncio.to_thread(self._store.mark_sent, row.id, now)
            return base
        error = result.error or "failed"
        max_attempts = max(1, self._settings.delivery_max_attempts)
        if result.status is SendStatus.PERMANENT or attempts >= max_attempts:
            if result.status is SendStatus.RETRY:
                error = f"gave up after {attempts} attempts: {error}"
            await asyncio.to_thread(self._store.mark_dead, row.id, error)
            log.warning("delivery %s (%s) is dead after %d attempt(s)", row.id, row.channel.value, attempts)
            return dataclasses.replace(base, status=DeliveryStatus.DEAD, error=error)
        delay = backoff_delay(attempts, self._settings.delivery_backoff_s, rng=self._rng)
        if result.retry_after_s is not None:
            delay = max(delay, min(result.retry_after_s, MAX_BACKOFF_S))
        next_at = now + timedelta(seconds=delay)
        await asyncio.to_thread(self._store.mark_retry, row.id, error, next_at)
        return dataclasses.replace(
            base,
            status=DeliveryStatus.PENDING,
            error=error,
            next_attempt_at=next_at,
            retry_after_s=result.retry_after_s,
        )

    async def _send(self, row: Delivery) -> SendResult:
        sender = self._senders.get(row.channel)
        if sender is None:
            return SendResult.permanent(f"no sender for channel {row.channel.value!r}")
        try:
            return await sender.send(row)
        except Exception as e:  # a bug in one sender must not stop the other deliveries
            log.error("delivery %s: sender failed unexpectedly (%s)", row.id, type(e).__name__, exc_info=True)
            return SendResult.retry(short_error(e))


async def deliver_now(
    store: OutboxStore,
    settings: Settings,
    *,
    attempts: int = 3,
    pause_s: float = 1.0,
    clock: Clock = utcnow,
    sleep: Sleep = asyncio.sleep,
    senders: Mapping[DeliveryChannel, Sender] | None = None,
) -> DeliveryReport:
    """Send what is due now, retrying transient failures up to ``attempts`` tries in all, ``pause_s``
    apart — for the CLI at the end of a chat, so a message goes out before the user walks away.

    Everything due is attempted, not only the last call's rows: ``due`` claims what it returns, and a
    claimed row left unsent would wait for its lease to run out. Every try counts towards
    ``delivery_max_attempts``; a receiver that sent ``Retry-After`` is not tried again here. Rows still
    failing stay pending on the normal backoff schedule for ``OutboxWorker``. The report has each row's
    final outcome.
    """
    worker = OutboxWorker(store, settings, clock=clock, sleep=sleep, senders=senders)
    rows = await asyncio.to_thread(store.due, clock(), worker.batch_size)
    final: dict[int, DeliveryOutcome] = {}
    for round_no in range(max(1, attempts)):
        outcomes = await worker.attempt_all(rows)
        final.update((o.delivery_id, o) for o in outcomes)
        rows = [
            dataclasses.replace(r, attempts=o.attempts)
            for r, o in zip(rows, outcomes, strict=True)
            if o.status is DeliveryStatus.PENDING and o.retry_after_s is None
        ]
        if not rows or round_no == attempts - 1:
            break
        await sleep(pause_s)
    return DeliveryReport(tuple(final.values()))
