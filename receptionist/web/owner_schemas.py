"""What the owner's dashboard API sends and takes. Instants are UTC (ISO 8601 with ``Z``); list and detail
responses carry the tenant's ``timezone`` so pages can show local times."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from receptionist.calls import CallSummary
from receptionist.dashboard.calls import CallDetail, CallItem, CallPage
from receptionist.dashboard.profiles import MAX_YAML_CHARS
from receptionist.dashboard.stats import OutcomeCounts, QueueFigures, TenantStats
from receptionist.dashboard.usage import TenantUsage
from receptionist.storage.records import EscalationRecord, MessageRecord
from receptionist.web.schemas import TurnOut


class TenantOut(BaseModel):
    id: str
    name: str
    timezone: str


class CallItemOut(BaseModel):
    id: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    caller_number: str | None
    concern: str | None
    outcome: str | None
    summary: str | None = Field(description="the first 200 characters of the after-call summary")
    has_message: bool

    @classmethod
    def of(cls, c: CallItem) -> CallItemOut:
        return cls(
            id=c.id, started_at=c.started_at, ended_at=c.ended_at, duration_s=c.duration_s,
            caller_number=c.caller_number, concern=c.concern, outcome=c.outcome.value if c.outcome else None,
            summary=c.summary, has_message=c.has_message,
        )  # fmt: skip


class CallPageOut(BaseModel):
    items: list[CallItemOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")
    timezone: str

    @classmethod
    def of(cls, page: CallPage, timezone: str) -> CallPageOut:
        return cls(
            items=[CallItemOut.of(c) for c in page.items], next_cursor=page.next_cursor, timezone=timezone
        )


class SummaryOut(BaseModel):
    text: str
    source: str
    reason: str | None
    action_items: list[str]

    @classmethod
    def of(cls, s: CallSummary) -> SummaryOut:
        return cls(text=s.text, source=s.source, reason=s.reason, action_items=list(s.action_items))


class MessageOut(BaseModel):
    id: str
    call_id: str
    name: str
    phone: str
    reason: str
    urgency: str
    best_time: str | None
    created_at: datetime
    handled_at: datetime | None

    @classmethod
    def of(cls, m: MessageRecord) -> MessageOut:
        return cls(
            id=m.id, call_id=m.call_id, name=m.name, phone=m.phone, reason=m.reason, urgency=m.urgency,
            best_time=m.best_time, created_at=m.created_at, handled_at=m.handled_at,
        )  # fmt: skip


class MessagePageOut(BaseModel):
    items: list[MessageOut]
    next_offset: int | None = Field(description="pass as ?offset= for the next page; null on the last page")
    timezone: str


class EscalationOut(BaseModel):
    queue: str
    priority: int
    reason: str
    trigger: str
    status: str
    at: datetime

    @classmethod
    def of(cls, e: EscalationRecord) -> EscalationOut:
        return cls(
            queue=e.queue, priority=e.priority, reason=e.reason, trigger=e.trigger, status=e.status,
            at=e.created_at,
        )  # fmt: skip


class QueueEventOut(BaseModel):
    kind: str
    queue: str | None
    agent_id: str | None
    at: datetime
    data: dict[str, Any]


class WrapUpNoteOut(BaseModel):
    agent_id: str
    text: str
    at: datetime


class CallDetailOut(BaseModel):
    id: str
    channel: str
    caller_number: str | None
    dialled_number: str | None
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    concern: str | None
    outcome: str | None
    timezone: str
    turns: list[TurnOut]
    summary: SummaryOut | None
    message: MessageOut | None
    escalations: list[EscalationOut]
    queue_events: list[QueueEventOut]
    notes: list[WrapUpNoteOut]

    @classmethod
    def of(cls, d: CallDetail, timezone: str) -> CallDetailOut:
        return cls(
            id=d.id, channel=d.channel, caller_number=d.caller_number, dialled_number=d.dialled_number,
            started_at=d.started_at, ended_at=d.ended_at, duration_s=d.duration_s, concern=d.concern,
            outcome=d.outcome.value if d.outcome else None, timezone=timezone,
            turns=[TurnOut(role=t.role.value, text=t.text, at=t.at) for t in d.turns],
            summary=SummaryOut.of(d.summary) if d.summary else None,
            message=MessageOut.of(d.message) if d.message else None,
            escalations=[EscalationOut.of(e) for e in d.escalations],
            queue_events=[
                QueueEventOut(kind=e.kind, queue=e.queue, agent_id=e.agent_id, at=e.at, data=e.data)
                for e in d.queue_events
            ],
            notes=[WrapUpNoteOut(agent_id=n.agent_id, text=n.text, at=n.at) for n in d.notes],
        )  # fmt: skip


class ConcernCount(BaseModel):
    concern: str | None
    calls: int


class DayCount(BaseModel):
    date: date
    calls: int


class OutcomesOut(BaseModel):
    ai_resolved: int = Field(description="resolved + message_taken: handled by the receptionist alone")
    transferred: int
    callback_scheduled: int
    abandoned: int
    failed: int
    in_progress: int

    @classmethod
    def of(cls, o: OutcomeCounts) -> OutcomesOut:
        return cls(
            ai_resolved=o.ai_resolved, transferred=o.transferred, callback_scheduled=o.callback_scheduled,
            abandoned=o.abandoned, failed=o.failed, in_progress=o.in_progress,
        )  # fmt: skip


class QueueFiguresOut(BaseModel):
    offered: int
    answered: int
    answered_within_sl: int
    abandoned: int
    service_level_s: float
    service_level: float | None = Field(description="answered within service_level_s / offered")
    average_speed_of_answer_s: float | None
    abandonment_rate: float | None = Field(description="abandoned / offered")

    @classmethod
    def of(cls, q: QueueFigures) -> QueueFiguresOut:
        return cls(
            offered=q.offered, answered=q.answered, answered_within_sl=q.answered_within_sl,
            abandoned=q.abandoned, service_level_s=q.service_level_s, service_level=q.service_level,
            average_speed_of_answer_s=q.average_speed_of_answer_s, abandonment_rate=q.abandonment_rate,
        )  # fmt: skip


class StatsOut(BaseModel):
    tenant_id: str
    timezone: str
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    start: datetime
    end: datetime
    calls: int
    by_concern: list[ConcernCount]
    by_outcome: dict[str, int]
    outcomes: OutcomesOut
    by_hour: list[int] = Field(description="calls by local hour of day, 0..23")
    by_day: list[DayCount]
    queue: QueueFiguresOut

    @classmethod
    def of(cls, s: TenantStats, first: date, last: date) -> StatsOut:
        return cls(
            tenant_id=s.tenant_id, timezone=s.timezone, from_date=first, to_date=last, start=s.start,
            end=s.end, calls=s.calls,
            by_concern=[ConcernCount(concern=c, calls=n) for c, n in s.by_concern],
            by_outcome=dict(s.by_outcome), outcomes=OutcomesOut.of(s.outcomes), by_hour=list(s.by_hour),
            by_day=[DayCount(date=d, calls=n) for d, n in s.by_day], queue=QueueFiguresOut.of(s.queue),
        )  # fmt: skip


class ProfileOut(BaseModel):
    yaml: str
    version: int = Field(description="send it back with a save; 0: never edited (the file's profile)")


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(min_length=1, max_length=MAX_YAML_CHARS)
    version: int = Field(ge=0, description="the version this edit started from")


class TenantUsageOut(BaseModel):
    tenant_id: str
    name: str
    calls: int
    minutes: int = Field(description="each call's length rounded up to the minute, summed")

    @classmethod
    def of(cls, u: TenantUsage) -> TenantUsageOut:
        return cls(tenant_id=u.tenant_id, name=u.name, calls=u.calls, minutes=u.minutes)


class UsageOut(BaseModel):
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    start: datetime
    end: datetime
    tenants: list[TenantUsageOut]
