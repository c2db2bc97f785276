"""Typed values that storage hands out and takes in. ORM rows never leave ``receptionist.storage``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from receptionist.calls import CallSummary, Message, Outcome, Turn


class DeliveryChannel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # gave up after the configured attempts; kept for the owner to see


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A notification to queue in the outbox in the same transaction that stores the call."""

    channel: DeliveryChannel
    target: str  # email address or webhook URL
    payload: dict[str, Any]
    secret_env: str | None = None  # webhook: environment variable with the HMAC secret


@dataclass(frozen=True, slots=True)
class TenantRecord:
    """A business the receptionist answers for."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row."""

    id: int
    tenant_id: str
    call_id: str | None
    message_id: str | None
    channel: DeliveryChannel
    target: str
    payload: dict[str, Any]
    secret_env: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    queue: str
    priority: int
    reason: str
    trigger: str
    status: str  # HandoffStatus value
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: str
    call_id: str
    name: str
    phone: str
    reason: str
    urgency: str
    best_time: str | None
    created_at: datetime
    handled_at: datetime | None

    def as_message(self) -> Message:
        from receptionist.calls import Urgency

        return Message(
            id=self.id, name=self.name, phone=self.phone, reason=self.reason,
            urgency=Urgency(self.urgency), best_time=self.best_time,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class CallRow:
    """A call as listed (no turns)."""

    id: str
    tenant_id: str
    channel: str
    caller_number: str | None
    dialled_number: str | None
    started_at: datetime
    ended_at: datetime | None
    concern: str | None
    outcome: Outcome | None  # None while the call is in progress


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A call with everything stored about it."""

    call: CallRow
    turns: tuple[Turn, ...]
    message: MessageRecord | None
    escalations: tuple[EscalationRecord, ...]
    summary: CallSummary | None
    deliveries: tuple[Delivery, ...] = field(default=())
