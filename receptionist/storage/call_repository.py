"""One tenant's calls: started when the caller connects, turns as they happen, finished atomically."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from receptionist.calls import (
    Call,
    CallSummary,
    EscalationRequest,
    HandoffStatus,
    Message,
    Outcome,
    Turn,
    utcnow,
)
from receptionist.storage import _convert
from receptionist.storage.database import Database
from receptionist.storage.errors import UnknownCall, UnknownTenant
from receptionist.storage.records import CallRecord, CallRow, DeliveryStatus, NewDelivery
from receptionist.storage.tables import (
    CallTable,
    EscalationTable,
    MessageTable,
    OutboxTable,
    SummaryTable,
    TenantTable,
    TurnTable,
    phone_digits,
    reversed_phone_digits,
)

log = logging.getLogger(__name__)


class CallRepository:
    """Every read and write of one tenant's calls. Built for a tenant, so no query can forget to filter.

    Writes are safe to repeat: starting a started call, storing a turn already stored (same ``seq``) or
    finishing a finished call changes nothing, so a caller may retry after an ambiguous failure.
    """

    def __init__(self, db: Database, tenant_id: str) -> None:
        if not tenant_id:
            raise ValueError("tenant_id must not be empty")
        self._db = db
        self.tenant_id = tenant_id

    def start(self, call: Call) -> None:
        """Store a call as in progress (``outcome`` NULL). Raises :class:`UnknownTenant`."""
        self._check_tenant(call)
        with self._db.session() as session:
            if self._find(session, call.id) is not None:
                return
            self._require_tenant(session)
            session.add(_call_row(call, outcome=None, ended_at=None))

    def add_turn(self, call_id: str, seq: int, turn: Turn) -> None:
        """Store turn number ``seq`` (its index in ``Call.turns``); a no-op if it is already stored."""
        if seq < 0:
            raise ValueError(f"seq must be >= 0, not {seq}")
        with self._db.session() as session:
            self._require_call(session, call_id)
            if session.scalar(select(TurnTable.id).where(*self._turn_key(call_id), TurnTable.seq == seq)):
                return
            session.add(self._turn_row(call_id, seq, turn))

    def record_escalation(self, call_id: str, request: EscalationRequest, status: HandoffStatus) -> None:
        """Append one step of a request for a human (queued, connected, unavailable)."""
        with self._db.session() as session:
            self._require_call(session, call_id)
            row = EscalationTable(
                call_id=call_id, tenant_id=self.tenant_id, queue=request.queue, priority=request.priority,
                reason=request.reason, trigger=request.trigger.value, status=status.value,
            )  # fmt: skip
            session.add(row)

    def finish(self, call: Call, summary: CallSummary | None, deliveries: Sequence[NewDelivery]) -> None:
        """Store how the call ended, with its remaining turns, message, summary and outbox rows, atomically.

        Works whether or not :meth:`start` was called. If the call was already finished (by an earlier
        ``finish`` or by :meth:`fail_stale`) nothing changes and a warning is logged: the first account wins.
        Escalations are not written here; :meth:`record_escalation` stores them as they happen.
        """
        self._check_tenant(call)
        if call.outcome is None:
            raise ValueError(f"call {call.id} has no outcome: set one before finishing it")
        outcome, ended_at = call.outcome, call.ended_at or utcnow()
        with self._db.session() as session:
            updated = session.execute(
                update(CallTable)
                .where(*self._call_key(call.id), CallTable.outcome.is_(None))
                .values(outcome=outcome.value, ended_at=ended_at, concern=call.concern)
                .execution_options(synchronize_session=False)
            )
            if _convert.rowcount(updated) == 0:
                if self._find(session, call.id) is not None:
                    log.warning(
                        "call %s of %s was already finished; keeping the first account",
                        call.id,
                        self.tenant_id,
                    )
                    return
                self._require_tenant(session)
                session.add(_call_row(call, outcome=outcome, ended_at=ended_at))
                session.flush()
            self._add_missing_turns(session, call)
            if call.message is not None:
                session.add(_message_row(call.id, self.tenant_id, call.message))
            if summary is not None:
                session.add(_summary_row(call.id, self.tenant_id, summary))
            session.flush()  # the message row before outbox rows that point at it
            message_id = call.message.id if call.message is not None else None
            session.add_all(self._outbox_row(call.id, message_id, d, now=utcnow()) for d in deliveries)

    def get(self, call_id: str) -> CallRecord | None:
        """Everything stored about one call; None if it is not this tenant's."""
        with self._db.session() as session:
            row = self._find(session, call_id)
            if row is None:
                return None
            turns = session.scalars(select(TurnTable).where(*self._turn_key(call_id)).order_by(TurnTable.seq))
            message = session.scalar(
                select(MessageTable).where(
                    MessageTable.call_id == call_id, MessageTable.tenant_id == self.tenant_id
                )
            )
            escalations = session.scalars(
                select(EscalationTable)
                .where(EscalationTable.call_id == call_id, EscalationTable.tenant_id == self.tenant_id)
                .order_by(EscalationTable.created_at, EscalationTable.id)
            )
            summary = session.scalar(
                select(SummaryTable).where(
                    SummaryTable.call_id == call_id, SummaryTable.tenant_id == self.tenant_id
                )
            )
            deliveries = session.scalars(
                select(OutboxTable)
                .where(OutboxTable.call_id == call_id, OutboxTable.tenant_id == self.tenant_id)
                .order_by(OutboxTable.id)
            )
            return CallRecord(
                call=_convert.call(row),
                turns=tuple(_convert.turn(t) for t in turns),
                message=_convert.message(message) if message is not None else None,
                escalations=tuple(_convert.escalation(e) for e in escalations),
                summary=_convert.summary(summary) if summary is not None else None,
                deliveries=tuple(_convert.delivery(d) for d in deliveries),
            )

    def list(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        concern: str | None = None,
        outcome: Outcome | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[CallRow]:
        """Calls newest first. ``since`` is inclusive and ``until`` exclusive, both on ``started_at``."""
        _convert.check_page(limit, offset)
        query = select(CallTable).where(CallTable.tenant_id == self.tenant_id)
        if concern is not None:
            query = query.where(CallTable.concern == concern)
        if outcome is not None:
            query = query.where(CallTable.outcome == Outcome(outcome).value)
        if since is not None:
            query = query.where(CallTable.started_at >= since)
        if until is not None:
            query = query.where(CallTable.started_at < until)
        query = query.order_by(CallTable.started_at.desc(), CallTable.id.desc()).limit(limit).offset(offset)
        with self._db.session() as session:
            return [_convert.call(r) for r in session.scalars(query)]

    def fail_stale(self, started_before: datetime) -> int:
        """Mark calls still in progress that started before ``started_before`` as failed; their turns stay.

        For calls a crashed process never finished. ``ended_at`` becomes the last stored turn's time (or
        the start). The cut-off must be older than the longest possible call, or a live call gets failed
        and its own ``finish`` then changes nothing.
        """
        last_turn = (
            select(func.max(TurnTable.at))
            .where(TurnTable.call_id == CallTable.id, TurnTable.tenant_id == CallTable.tenant_id)
            .scalar_subquery()
        )
        with self._db.session() as session:
            result = session.execute(
                update(CallTable)
                .where(
                    CallTable.tenant_id == self.tenant_id,
                    CallTable.outcome.is_(None),
                    CallTable.started_at < started_before,
                )
                .values(outcome=Outcome.FAILED.value, ended_at=func.coalesce(last_turn, CallTable.started_at))
                .execution_options(synchronize_session=False)
            )
            return _convert.rowcount(result)

    # -- helpers -------------------------------------------------------------------------------------

    def _check_tenant(self, call: Call) -> None:
        if call.tenant_id != self.tenant_id:
            raise ValueError(f"call {call.id} belongs to tenant {call.tenant_id!r}, not {self.tenant_id!r}")

    def _call_key(self, call_id: str) -> tuple[Any, ...]:
        return CallTable.id == call_id, CallTable.tenant_id == self.tenant_id

    def _turn_key(self, call_id: str) -> tuple[Any, ...]:
        return TurnTable.call_id == call_id, TurnTable.tenant_id == self.tenant_id

    def _find(self, session: Session, call_id: str) -> CallTable | None:
        return session.scalar(select(CallTable).where(*self._call_key(call_id)))

    def _require_call(self, session: Session, call_id: str) -> None:
        if not session.scalar(select(exists().where(*self._call_key(call_id)))):
            raise UnknownCall(call_id)

    def _require_tenant(self, session: Session) -> None:
        if session.get(TenantTable, self.tenant_id) is None:
            raise UnknownTenant(self.tenant_id)

    def _turn_row(self, call_id: str, seq: int, turn: Turn) -> TurnTable:
        return TurnTable(
            call_id=call_id, tenant_id=self.tenant_id, seq=seq, role=turn.role.value, text=turn.text,
            at=turn.at,
        )  # fmt: skip

    def _add_missing_turns(self, session: Session, call: Call) -> None:
        stored = set(session.scalars(select(TurnTable.seq).where(*self._turn_key(call.id))))
        session.add_all(
            self._turn_row(call.id, seq, turn) for seq, turn in enumerate(call.turns) if seq not in stored
        )

    def _outbox_row(
        self, call_id: str, message_id: str | None, delivery: NewDelivery, *, now: datetime
    ) -> OutboxTable:
        return OutboxTable(
            tenant_id=self.tenant_id, call_id=call_id, message_id=message_id,
            channel=delivery.channel.value, target=delivery.target, payload=dict(delivery.payload),
            secret_env=delivery.secret_env, status=DeliveryStatus.PENDING.value, attempts=0,
            next_attempt_at=now,
        )  # fmt: skip


def _call_row(call: Call, *, outcome: Outcome | None, ended_at: datetime | None) -> CallTable:
    return CallTable(
        id=call.id, tenant_id=call.tenant_id, channel=call.channel, caller_number=call.caller_number,
        caller_digits=phone_digits(call.caller_number),
        caller_digits_reversed=reversed_phone_digits(call.caller_number),
        dialled_number=call.dialled_number, started_at=call.started_at, ended_at=ended_at,
        concern=call.concern, outcome=outcome.value if outcome is not None else None,
    )  # fmt: skip


def _message_row(call_id: str, tenant_id: str, m: Message) -> MessageTable:
    return MessageTable(
        id=m.id, call_id=call_id, tenant_id=tenant_id, name=m.name, phone=m.phone, reason=m.reason,
        urgency=m.urgency.value, best_time=m.best_time,
    )  # fmt: skip


def _summary_row(call_id: str, tenant_id: str, summary: CallSummary) -> SummaryTable:
    return SummaryTable(
        call_id=call_id, tenant_id=tenant_id, text=summary.text, source=summary.source,
        reason=summary.reason, action_items=list(summary.action_items),
    )  # fmt: skip
