"""What the agent API sends and takes. Requests forbid unknown fields; responses are built from ACD values."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from receptionist.acd.agents_file import AgentAccount
from receptionist.acd.model import AgentSnapshot, QueueStatus
from receptionist.acd.offers import OfferView
from receptionist.calls import Briefing
from receptionist.storage.wrapup_notes import MAX_NOTE_CHARS, WrapUpNote


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_Request):
    paused: bool = Field(default=False, description="log in paused, to go ready later")
    reason: str = Field(default="login", min_length=1, max_length=64)


class PauseRequest(_Request):
    reason: str = Field(default="break", min_length=1, max_length=64, pattern=r"^[\w .:-]+$")


class NoteRequest(_Request):
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class TurnOut(BaseModel):
    role: str
    text: str
    at: datetime


class BriefingOut(BaseModel):
    tenant_name: str
    caller_name: str | None
    caller_number: str | None
    concern: str | None
    reason: str
    summary: str
    transcript: list[TurnOut]

    @classmethod
    def of(cls, b: Briefing) -> BriefingOut:
        return cls(
            tenant_name=b.tenant_name,
            caller_name=b.caller_name,
            caller_number=b.caller_number,
            concern=b.concern,
            reason=b.reason,
            summary=b.summary,
            transcript=[TurnOut(role=t.role.value, text=t.text, at=t.at) for t in b.transcript],
        )


class OfferOut(BaseModel):
    offer_id: str
    call_id: str
    tenant_id: str
    queue: str
    kind: str
    priority: int
    expires_at: datetime | None
    reason: str | None
    briefing: BriefingOut | None

    @classmethod
    def of(cls, o: OfferView) -> OfferOut:
        return cls(
            offer_id=o.offer_id,
            call_id=o.call_id,
            tenant_id=o.queue.tenant_id,
            queue=o.queue.name,
            kind=o.kind.value,
            priority=o.priority,
            expires_at=o.expires_at,
            reason=o.reason,
            briefing=BriefingOut.of(o.briefing) if o.briefing is not None else None,
        )


class AgentOut(BaseModel):
    agent_id: str
    name: str
    tenants: list[str]
    state: str
    since: datetime | None
    pause_reason: str | None
    call_id: str | None
    offer: OfferOut | None = None

    @classmethod
    def of(cls, account: AgentAccount, s: AgentSnapshot | None, offer: OfferView | None = None) -> AgentOut:
        return cls(
            agent_id=account.agent_id,
            name=account.name,
            tenants=sorted(account.tenants),
            state=s.state.value if s else "logged_out",
            since=s.since if s else None,
            pause_reason=s.pause_reason if s else None,
            call_id=s.call_id if s else None,
            offer=OfferOut.of(offer) if offer is not None else None,
        )


class QueueOut(BaseModel):
    tenant_id: str
    queue: str
    queued: int
    waiting: int
    available: int
    staffed: int
    logged_in: int
    avg_handle_s: float

    @classmethod
    def of(cls, q: QueueStatus) -> QueueOut:
        return cls(
            tenant_id=q.key.tenant_id,
            queue=q.key.name,
            queued=q.queued,
            waiting=q.waiting,
            available=q.available,
            staffed=q.staffed,
            logged_in=q.logged_in,
            avg_handle_s=q.avg_handle_s,
        )


class CallOut(BaseModel):
    call_id: str
    tenant_id: str
    queue: str
    state: str


class NoteOut(BaseModel):
    id: int
    call_id: str
    agent_id: str
    text: str
    created_at: datetime

    @classmethod
    def of(cls, n: WrapUpNote) -> NoteOut:
        return cls(id=n.id, call_id=n.call_id, agent_id=n.agent_id, text=n.text, created_at=n.created_at)
