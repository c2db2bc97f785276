from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from receptionist.calls import Outcome, utcnow
from receptionist.storage.database import Database
from receptionist.storage.records import Delivery, DeliveryStatus
from receptionist.storage.repository import CallRepository, OutboxRepository

from .factories import call, ended, message, webhook


def queue(db: Database, tenant: str, n: int) -> list[int]:
    """One finished call with ``n`` deliveries; their ids in insertion order."""
    c = call(tenant, message=message())
    CallRepository(db, tenant).finish(ended(c, Outcome.MESSAGE_TAKEN), None, [webhook(i) for i in range(n)])
    return [d.id for d in OutboxRepository(db).for_call(tenant, c.id)]


def soon() -> timedelta:
    return timedelta(seconds=1)


def test_due_returns_pending_rows_oldest_first_up_to_the_limit(
    db: Database, tenants: tuple[str, str]
) -> None:
    acme, globex = tenants
    ids = queue(db, acme, 3) + queue(db, globex, 2)
    outbox = OutboxRepository(db)

    first = outbox.due(utcnow() + soon(), limit=4)
    assert [d.id for d in first] == ids[:4]
    assert [d.tenant_id for d in first] == [acme, acme, acme, globex]  # the worker serves every tenant
    assert all(d.status is DeliveryStatus.PENDING for d in first)
    assert [d.id for d in outbox.due(utcnow() + soon())] == ids[4:]  # the first four are claimed


def test_rows_are_not_due_before_their_time(db: Database, tenants: tuple[str, str]) -> None:
    ids = queue(db, tenants[0], 1)
    outbox = OutboxRepository(db)
    now = utcnow()
    (claimed,) = outbox.due(now + soon())
    outbox.mark_retry(claimed.id, "connection refused", now + timedelta(minutes=10))
    assert outbox.due(now + timedelta(minutes=9)) == []
    assert [d.id for d in outbox.due(now + timedelta(minutes=10))] == ids


def test_a_claim_hides_the_row_until_its_lease_runs_out(db: Database, tenants: tuple[str, str]) -> None:
    ids = queue(db, tenants[0], 2)
    outbox = OutboxRepository(db, lease=timedelta(minutes=5))
    now = utcnow() + soon()
    assert [d.id for d in outbox.due(now)] == ids
    assert outbox.due(now + timedelta(minutes=4)) == []
    # the worker died without marking anything: the rows come back
    assert [d.id for d in outbox.due(now + timedelta(minutes=5))] == ids


def test_retry_then_sent(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    (delivery_id,) = queue(db, acme, 1)
    outbox = OutboxRepository(db)
    now = utcnow() + soon()

    (d,) = outbox.due(now)
    outbox.mark_retry(d.id, "503 Service Unavailable", now + timedelta(seconds=30))
    (again,) = outbox.due(now + timedelta(seconds=30))
    assert (again.attempts, again.last_error) == (1, "503 Service Unavailable")
    assert again.next_attempt_at == now + timedelta(seconds=30)

    outbox.mark_sent(again.id, now + timedelta(seconds=31))
    (sent,) = [x for x in all_rows(db, acme) if x.id == delivery_id]
    assert sent.status is DeliveryStatus.SENT
    assert sent.attempts == 2 and sent.sent_at == now + timedelta(seconds=31)
    assert outbox.due(now + timedelta(days=1)) == []


def test_dead_rows_stay_with_their_error_and_are_never_due(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    queue(db, acme, 1)
    outbox = OutboxRepository(db)
    (d,) = outbox.due(utcnow() + soon())
    outbox.mark_dead(d.id, "410 Gone")
    (dead,) = all_rows(db, acme)
    assert (dead.status, dead.last_error, dead.attempts) == (DeliveryStatus.DEAD, "410 Gone", 1)
    assert outbox.due(utcnow() + timedelta(days=1)) == []


def test_settled_rows_are_not_changed_by_a_late_mark(db: Database, tenants: tuple[str, str]) -> None:
    """A worker whose lease ran out must not undo what the worker that took over recorded."""
    acme, _ = tenants
    queue(db, acme, 1)
    outbox = OutboxRepository(db)
    (d,) = outbox.due(utcnow() + soon())
    outbox.mark_sent(d.id, utcnow())
    outbox.mark_retry(d.id, "timeout", utcnow())
    outbox.mark_dead(d.id, "timeout")
    (row,) = all_rows(db, acme)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, None)


def all_rows(db: Database, tenant: str) -> list[Delivery]:
    outbox = OutboxRepository(db)
    return [d for r in CallRepository(db, tenant).list(limit=500) for d in outbox.for_call(tenant, r.id)]


def test_for_call_is_tenant_scoped(db: Database, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    c = call(acme)
    CallRepository(db, acme).finish(ended(c), None, [webhook(1), webhook(2)])
    assert [d.payload for d in OutboxRepository(db).for_call(acme, c.id)] == [{"n": 1}, {"n": 2}]
    assert OutboxRepository(db).for_call(globex, c.id) == []


def test_lease_and_limit_are_validated(db: Database) -> None:
    with pytest.raises(ValueError):
        OutboxRepository(db, lease=timedelta(0))
    with pytest.raises(ValueError):
        OutboxRepository(db).due(utcnow(), limit=0)


@pytest.mark.timeout(120)
def test_concurrent_workers_never_claim_the_same_row(db: Database, tenants: tuple[str, str]) -> None:
    """Several workers, each with its own engine (as separate processes would have), drain one outbox."""
    acme, globex = tenants
    ids = queue(db, acme, 60) + queue(db, globex, 60)
    workers = 6
    start = threading.Barrier(workers)
    claimed: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []
    now = utcnow() + soon()

    def work(slot: int) -> None:
        own = Database(db.url)
        try:
            outbox = OutboxRepository(own)
            start.wait()
            while batch := outbox.due(now, limit=3):
                claimed[slot].extend(d.id for d in batch)
                time.sleep(0.002)  # "sending": lets the others in, as real sends would
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    every_claim = Counter(i for batch in claimed for i in batch)
    assert [i for i, n in every_claim.items() if n > 1] == []
    assert sorted(every_claim) == sorted(ids)
    assert sum(1 for batch in claimed if batch) > 1  # the work really was shared
