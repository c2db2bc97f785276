"""The outbox: notifications stored with the call, delivered later by a worker that serves every tenant."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from receptionist.storage import _convert
from receptionist.storage.database import Database
from receptionist.storage.records import Delivery, DeliveryStatus
from receptionist.storage.tables import OutboxTable

log = logging.getLogger(__name__)

PENDING = DeliveryStatus.PENDING.value


class OutboxRepository:
    """Claims due deliveries and records what became of them.

    Claiming is a lease, not a lock held while sending: :meth:`due` sets ``claimed_until = now + lease`` on
    the rows it returns, in one short transaction, and other workers skip rows whose lease has not run
    out. The claim is a conditional ``UPDATE ... RETURNING`` (only rows still pending and unclaimed), so two
    workers never get the same row whatever the database; PostgreSQL also selects the candidates with
    ``FOR UPDATE SKIP LOCKED`` so concurrent workers pick different rows instead of waiting on each other.
    A worker that dies mid-send loses its lease and the row is due again. ``lease`` must exceed the
    longest a delivery can take, or a slow send could be repeated by another worker.

    ``attempts`` counts finished attempts: every ``mark_*`` adds one.
    """

    def __init__(self, db: Database, *, lease: timedelta = timedelta(minutes=5)) -> None:
        if lease <= timedelta(0):
            raise ValueError("lease must be positive")
        self._db = db
        self.lease = lease

    def due(self, now: datetime, limit: int = 50) -> list[Delivery]:
        """Claim up to ``limit`` pending deliveries whose time has come, oldest first."""
        _convert.check_page(limit, 0)
        claimable = (
            OutboxTable.status == PENDING,
            OutboxTable.next_attempt_at <= now,
            or_(OutboxTable.claimed_until.is_(None), OutboxTable.claimed_until <= now),
        )
        candidates = (
            select(OutboxTable.id)
            .where(*claimable)
            .order_by(OutboxTable.next_attempt_at, OutboxTable.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has no row locks and ignores it
        )
        with self._db.session() as session:
            ids = list(session.scalars(candidates))
            if not ids:
                return []
            claimed = session.scalars(
                update(OutboxTable)
                .where(OutboxTable.id.in_(ids), *claimable)
                .values(claimed_until=now + self.lease)
                .returning(OutboxTable)
                .execution_options(synchronize_session=False)
            )
            rows = sorted(claimed, key=lambda r: (r.next_attempt_at, r.id))
            return [_convert.delivery(r) for r in rows]

    def mark_sent(self, delivery_id: int, at: datetime) -> None:
        """The delivery went out."""
        self._settle(delivery_id, status=DeliveryStatus.SENT, sent_at=at, last_error=None)

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        """The attempt failed; try again at ``next_attempt_at``."""
        self._settle(
            delivery_id, status=DeliveryStatus.PENDING, last_error=error, next_attempt_at=next_attempt_at
        )

    def mark_dead(self, delivery_id: int, error: str) -> None:
        """Give up: the row stays, with its last error, for the owner to see."""
        self._settle(delivery_id, status=DeliveryStatus.DEAD, last_error=error)

    def for_call(self, tenant_id: str, call_id: str) -> list[Delivery]:
        with self._db.session() as session:
            rows = session.scalars(
                select(OutboxTable)
                .where(OutboxTable.tenant_id == tenant_id, OutboxTable.call_id == call_id)
                .order_by(OutboxTable.id)
            )
            return [_convert.delivery(r) for r in rows]

    def _settle(self, delivery_id: int, *, status: DeliveryStatus, **values: object) -> None:
        # Only a pending row changes: marking a row that is already sent or dead (its lease ran out and
        # another worker settled it) is logged and ignored rather than overwriting that worker's result.
        with self._db.session() as session:
            result = session.execute(
                update(OutboxTable)
                .where(OutboxTable.id == delivery_id, OutboxTable.status == PENDING)
                .values(status=status.value, attempts=OutboxTable.attempts + 1, claimed_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            if _convert.rowcount(result) == 0:
                log.warning(
                    "outbox row %s is not pending (or does not exist); not marked %s", delivery_id, status
                )
