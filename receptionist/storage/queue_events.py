"""The ACD's queue event log: appended as things happen, read back in order to compute statistics.

- :class:`QueueEventRepository`: one tenant's log, for the ACD writing that tenant's events and for
  reports (``receptionist.acd.stats.queue_stats``) reading them.
- :class:`QueueEventWriter`: the routing worker's writer, which serves every tenant. It stores a batch
  of events of several tenants in one transaction (each event carries its tenant), so a worker can flush
  its buffer in one round trip. It cannot read: reading stays tenant-scoped.

Rows are never updated or deleted here. Reading order is ``(at, id)``: events with the same instant come
back in the order they were appended.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select
from sqlalchemy.orm import Session

from receptionist.acd.events import QueueEvent, QueueEventKind
from receptionist.storage.database import Database
from receptionist.storage.errors import UnknownTenant
from receptionist.storage.tables import QueueEventTable, TenantTable

MAX_LIST = 10_000
LOG_ORDER = (QueueEventTable.at, QueueEventTable.id)  # the order the log was written in


class QueueEventRepository:
    """Every read and write of one tenant's queue log. Built for a tenant, so no query can forget it."""

    def __init__(self, db: Database, tenant_id: str) -> None:
        if not tenant_id:
            raise ValueError("tenant_id must not be empty")
        self._db = db
        self.tenant_id = tenant_id

    def append(self, events: Sequence[QueueEvent]) -> None:
        """Store ``events`` in one transaction, in the order given.

        Raises ValueError if an event belongs to another tenant or cannot be stored (naive ``at``,
        unknown kind, ``data`` that is not JSON), before anything is written; :class:`UnknownTenant` if
        this tenant is not stored.
        """
        for event in events:
            if event.tenant_id != self.tenant_id:
                raise ValueError(
                    f"a {event.kind} event of tenant {event.tenant_id!r} cannot go in {self.tenant_id!r}'s log"
                )
        _append(self._db, events)

    def scan(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        queue: str | None = None,
        batch_size: int = 1000,
    ) -> Iterator[QueueEvent]:
        """Every matching event in ``(at, id)`` order, read ``batch_size`` at a time (keyset paging).

        For statistics over long periods; each batch is its own short transaction, so events appended
        while scanning show up if they sort after the last batch read.
        """
        _check_limit(batch_size)
        after: tuple[datetime, int] | None = None
        while True:
            where = self._where(since=since, until=until, queue=queue, call_id=None, agent_id=None)
            if after is not None:
                at, row_id = after
                t = QueueEventTable
                where.append(or_(t.at > at, and_(t.at == at, t.id > row_id)))
            query = select(QueueEventTable).where(*where).order_by(*LOG_ORDER).limit(batch_size)
            with self._db.session() as session:
                rows = [(r.id, _event(r)) for r in session.scalars(query)]
            yield from (event for _, event in rows)
            if len(rows) < batch_size:
                return
            after = (rows[-1][1].at, rows[-1][0])

    def list(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        queue: str | None = None,
        call_id: str | None = None,
        agent_id: str | None = None,
        limit: int = 1000,
    ) -> builtins.list[QueueEvent]:
        """Up to ``limit`` events, oldest first. ``since`` is inclusive and ``until`` exclusive, on ``at``."""
        _check_limit(limit)
        where = self._where(since=since, until=until, queue=queue, call_id=call_id, agent_id=agent_id)
        query = select(QueueEventTable).where(*where).order_by(*LOG_ORDER).limit(limit)
        with self._db.session() as session:
            return [_event(r) for r in session.scalars(query)]

    def _where(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        queue: str | None,
        call_id: str | None,
        agent_id: str | None,
    ) -> builtins.list[ColumnElement[bool]]:
        t = QueueEventTable
        where = [t.tenant_id == self.tenant_id]
        for column, value in ((t.queue, queue), (t.call_id, call_id), (t.agent_id, agent_id)):
            if value is not None:
                where.append(column == value)
        if since is not None:
            where.append(t.at >= since)
        if until is not None:
            where.append(t.at < until)
        return where


class QueueEventWriter:
    """Appends events of any tenants at once, for the routing worker that serves them all."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def append_many(self, events: Sequence[QueueEvent]) -> None:
        """Store ``events`` in one transaction, in the order given, each under its own tenant.

        Raises ValueError (an event cannot be stored) or :class:`UnknownTenant` before anything is written.
        """
        _append(self._db, events)


def _append(db: Database, events: Sequence[QueueEvent]) -> None:
    rows = [_row(e) for e in events]
    if not rows:
        return
    with db.session() as session:
        _require_tenants(session, {e.tenant_id for e in events})
        session.execute(insert(QueueEventTable), rows)


def _require_tenants(session: Session, tenant_ids: Iterable[str]) -> None:
    wanted = set(tenant_ids)
    found = set(session.scalars(select(TenantTable.id).where(TenantTable.id.in_(wanted))))
    if missing := sorted(wanted - found):
        raise UnknownTenant(missing[0])


def _row(event: QueueEvent) -> dict[str, Any]:
    if event.at.tzinfo is None or event.at.utcoffset() is None:
        raise ValueError(f"naive datetime {event.at!r}: queue events need timezone-aware instants")
    kind = QueueEventKind(event.kind)  # ValueError for anything else
    try:
        json.dumps(event.data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the data of a {kind} event is not JSON: {exc}") from exc
    return {
        "tenant_id": event.tenant_id, "queue": event.queue, "kind": kind.value, "call_id": event.call_id,
        "agent_id": event.agent_id, "at": event.at, "data": dict(event.data),
    }  # fmt: skip


def _event(row: QueueEventTable) -> QueueEvent:
    return QueueEvent(
        at=row.at, tenant_id=row.tenant_id, queue=row.queue, kind=QueueEventKind(row.kind),
        call_id=row.call_id, agent_id=row.agent_id, data=dict(row.data),
    )  # fmt: skip


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIST:
        raise ValueError(f"limit must be between 1 and {MAX_LIST}, not {limit}")
