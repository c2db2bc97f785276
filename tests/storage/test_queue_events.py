"""The queue event log on SQLite and PostgreSQL: order, filters, tenants, and statistics from what is stored."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta, timezone

import pytest

from receptionist.acd.events import QueueEvent, QueueEventKind
from receptionist.acd.stats import queue_stats
from receptionist.storage.database import MIGRATIONS_DIR, Database
from receptionist.storage.errors import UnknownTenant
from receptionist.storage.queue_events import QueueEventRepository, QueueEventWriter
from tests.acd.test_stats import morning

K = QueueEventKind
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def event(tenant: str, s: float, kind: K = K.ENTER, *, call: str | None = "c1", queue: str | None = "support",
          agent: str | None = None, **data: object) -> QueueEvent:  # fmt: skip
    return QueueEvent(at(s), tenant, queue, kind, call, agent, dict(data))


def test_events_come_back_as_appended_in_time_order(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    log = QueueEventRepository(db, acme)
    later = event(acme, 30, K.CONNECT, agent="ann", wait_s=30, ring_s=4)
    tied = [event(acme, 10, K.OFFER, agent=a, offer_id=f"o-{a}") for a in ("bob", "ann", "cy")]
    first = event(acme, 0, position=1, priority=2)
    log.append([later, *tied])
    log.append([first])
    assert log.list() == [first, *tied, later]  # same instant: the order they were appended in


def test_instants_are_stored_as_utc_and_data_round_trips(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    paris = timezone(timedelta(hours=1))
    e = QueueEvent(
        T0.astimezone(paris), acme, None, K.LOGOFF, None, "ann", {"logged_in_s": 3600, "why": ["x"]}
    )
    QueueEventRepository(db, acme).append([e])
    (stored,) = QueueEventRepository(db, acme).list()
    assert stored == e
    assert stored.at.tzinfo == UTC and stored.kind is K.LOGOFF


def test_filters(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    log = QueueEventRepository(db, acme)
    events = [
        event(acme, 0, call="c1"),
        event(acme, 10, call="c2", queue="billing"),
        event(acme, 20, K.CONNECT, call="c1", agent="ann"),
        event(acme, 30, K.LOGIN, call=None, queue=None, agent="bob"),
        event(acme, 40, K.COMPLETE_CALLER, call="c1", agent="ann"),
    ]
    log.append(events)
    assert log.list(since=at(10), until=at(40)) == events[1:4]  # since inclusive, until exclusive
    assert log.list(queue="billing") == [events[1]]
    assert log.list(call_id="c1") == [events[0], events[2], events[4]]
    assert log.list(agent_id="ann", since=at(21)) == [events[4]]
    assert log.list(limit=2) == events[:2]
    for bad in (0, 10_001):
        with pytest.raises(ValueError, match="limit"):
            log.list(limit=bad)


def test_scan_pages_through_everything_in_order(db: Database, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    events = [event(acme, s // 2, call=f"c{s}") for s in range(7)]  # pairs share an instant
    QueueEventRepository(db, acme).append(events)
    QueueEventRepository(db, globex).append([event(globex, 1)])
    log = QueueEventRepository(db, acme)
    assert list(log.scan(batch_size=2)) == events
    assert list(log.scan(batch_size=3, since=at(1), until=at(3))) == events[2:6]
    assert list(log.scan(batch_size=7)) == events
    assert list(log.scan(queue="billing")) == []


def test_another_tenant_cannot_read_or_write_the_log(db: Database, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    QueueEventRepository(db, acme).append([event(acme, 0), event(acme, 5, K.ABANDON)])
    theirs = QueueEventRepository(db, globex)
    assert theirs.list() == []
    assert theirs.list(call_id="c1") == []
    assert list(theirs.scan()) == []
    with pytest.raises(ValueError, match="acme"):
        theirs.append([event(globex, 9), event(acme, 10)])
    assert theirs.list() == []  # nothing of the batch was written
    assert len(QueueEventRepository(db, acme).list()) == 2


def test_unstorable_events_are_refused_before_anything_is_written(
    db: Database, tenants: tuple[str, str]
) -> None:
    acme, _ = tenants
    log = QueueEventRepository(db, acme)
    naive = QueueEvent(datetime(2030, 3, 4, 9), acme, "support", K.ENTER, "c1")
    not_json = event(acme, 1, when=T0)
    bad_kind = QueueEvent(at(2), acme, "support", "HANGUP", "c1")  # type: ignore[arg-type]
    for bad in (naive, not_json, bad_kind):
        with pytest.raises(ValueError):
            log.append([event(acme, 0), bad])
    with pytest.raises(UnknownTenant):
        QueueEventRepository(db, "initech").append([event("initech", 0)])
    assert log.list() == []
    log.append([])  # nothing to do
    with pytest.raises(ValueError):
        QueueEventRepository(db, "")


def test_the_worker_appends_several_tenants_at_once(db: Database, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    batch = [event(acme, 0), event(globex, 0), event(acme, 3, K.ABANDON), event(globex, 8, K.ABANDON)]
    QueueEventWriter(db).append_many(batch)
    assert QueueEventRepository(db, acme).list() == [batch[0], batch[2]]
    assert QueueEventRepository(db, globex).list() == [batch[1], batch[3]]
    with pytest.raises(UnknownTenant, match="initech"):
        QueueEventWriter(db).append_many([event(acme, 20), event("initech", 20)])
    assert len(QueueEventRepository(db, acme).list()) == 2


def test_statistics_from_the_stored_log_equal_those_from_the_events(
    db: Database, tenants: tuple[str, str]
) -> None:
    acme, _ = tenants
    timeline = morning()
    assert {e.tenant_id for e in timeline.events} == {acme}
    QueueEventRepository(db, acme).append(timeline.events)
    stored = list(QueueEventRepository(db, acme).scan(since=at(-3600), batch_size=5))
    assert len(stored) == len(timeline.events)
    assert queue_stats(stored, tenant_id=acme, start=T0, end=at(3600)) == timeline.stats()


def test_the_migration_allows_exactly_the_event_kinds() -> None:
    """The migration spells the kinds out (history must not move); a new kind needs a new migration."""
    path = MIGRATIONS_DIR / "versions" / "0002_queue_events.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.KINDS) == sorted(k.value for k in QueueEventKind)
