"""Table rows to records. Private to storage: the only place that knows both shapes."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult

from receptionist.calls import CallSummary, Outcome, Role, Turn
from receptionist.storage.records import (
    CallRow,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    EscalationRecord,
    MessageRecord,
    TenantRecord,
)
from receptionist.storage.tables import (
    CallTable,
    EscalationTable,
    MessageTable,
    OutboxTable,
    SummaryTable,
    TenantTable,
    TurnTable,
)

MAX_PAGE = 500


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}, not {limit}")
    if offset < 0:
        raise ValueError(f"offset must be >= 0, not {offset}")


def rowcount(result: object) -> int:
    """Rows an UPDATE matched (``Session.execute`` is typed as returning a plain ``Result``)."""
    return cast(CursorResult[Any], result).rowcount


def tenant(row: TenantTable) -> TenantRecord:
    return TenantRecord(id=row.id, name=row.name, created_at=row.created_at)


def call(row: CallTable) -> CallRow:
    return CallRow(
        id=row.id, tenant_id=row.tenant_id, channel=row.channel, caller_number=row.caller_number,
        dialled_number=row.dialled_number, started_at=row.started_at, ended_at=row.ended_at,
        concern=row.concern, outcome=Outcome(row.outcome) if row.outcome is not None else None,
    )  # fmt: skip


def turn(row: TurnTable) -> Turn:
    return Turn(role=Role(row.role), text=row.text, at=row.at)


def message(row: MessageTable) -> MessageRecord:
    return MessageRecord(
        id=row.id, call_id=row.call_id, name=row.name, phone=row.phone, reason=row.reason,
        urgency=row.urgency, best_time=row.best_time, created_at=row.created_at, handled_at=row.handled_at,
    )  # fmt: skip


def escalation(row: EscalationTable) -> EscalationRecord:
    return EscalationRecord(
        queue=row.queue, priority=row.priority, reason=row.reason, trigger=row.trigger,
        status=row.status, created_at=row.created_at,
    )  # fmt: skip


def summary(row: SummaryTable) -> CallSummary:
    return CallSummary(
        text=row.text, source=row.source, reason=row.reason, action_items=tuple(row.action_items)
    )


def delivery(row: OutboxTable) -> Delivery:
    return Delivery(
        id=row.id, tenant_id=row.tenant_id, call_id=row.call_id, message_id=row.message_id,
        channel=DeliveryChannel(row.channel), target=row.target, payload=dict(row.payload),
        secret_env=row.secret_env, status=DeliveryStatus(row.status), attempts=row.attempts,
        next_attempt_at=row.next_attempt_at, last_error=row.last_error, created_at=row.created_at,
        sent_at=row.sent_at,
    )  # fmt: skip
