"""The values every stage of a call shares: the call itself, its turns, what was collected, how it ended.

A :class:`Call` is created when a caller is connected and is mutated only through the brain's tools
(:mod:`receptionist.brain.tools`) and the session (:mod:`receptionist.session`). Everything on it is
plain data, so any brain backend can pick up a conversation another backend started.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


def utcnow() -> datetime:
    return datetime.now(UTC)


class Outcome(StrEnum):
    """How a call ended. Exactly one per call, the same words in storage, API, dashboard and evals."""

    RESOLVED = "resolved"
    MESSAGE_TAKEN = "message_taken"
    TRANSFERRED = "transferred"
    CALLBACK_SCHEDULED = "callback_scheduled"
    ABANDONED = "abandoned"
    FAILED = "failed"


class Role(StrEnum):
    CALLER = "caller"
    RECEPTIONIST = "receptionist"
    AGENT = "agent"  # the person the call was transferred to


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class EscalationTrigger(StrEnum):
    """Why the receptionist asked for a human."""

    CALLER_REQUEST = "caller_request"
    CONCERN = "concern"  # the concern's handling is "transfer"
    MISUNDERSTANDING = "misunderstanding"
    EMERGENCY = "emergency"
    RULE = "rule"  # a profile rule such as a VIP number


class HandoffStatus(StrEnum):
    """Where a request for a human stands."""

    QUEUED = "queued"  # waiting for an agent (the ACD owns the call now)
    CONNECTED = "connected"  # bridged to an agent
    UNAVAILABLE = "unavailable"  # nobody can take it: the receptionist takes a message instead


class Slot(StrEnum):
    """A piece of a message the receptionist can ask for."""

    NAME = "name"
    PHONE = "phone"
    PHONE_CONFIRM = "phone_confirm"
    REASON = "reason"
    BEST_TIME = "best_time"
    ANYTHING_ELSE = "anything_else"


@dataclass(frozen=True, slots=True)
class Turn:
    role: Role
    text: str
    at: datetime = field(default_factory=utcnow)


@dataclass(slots=True)
class MessageDraft:
    """What has been collected towards a message so far; fields fill in over several turns."""

    name: str | None = None
    phone: str | None = None  # E.164
    phone_confirmed: bool = False
    reason: str | None = None
    urgency: Urgency = Urgency.NORMAL
    best_time: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A message for the business, ready to store and deliver."""

    name: str
    phone: str  # E.164
    reason: str
    urgency: Urgency = Urgency.NORMAL
    best_time: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True, slots=True)
class Briefing:
    """What a human agent reads before accepting a transfer."""

    tenant_name: str
    caller_name: str | None
    caller_number: str | None
    concern: str | None
    reason: str
    summary: str
    transcript: tuple[Turn, ...]


@dataclass(frozen=True, slots=True)
class EscalationRequest:
    """The brain's decision that a human should take the call."""

    queue: str
    priority: int  # 0 normal; higher is served first
    reason: str
    trigger: EscalationTrigger
    briefing: Briefing


KEYPAD_CHANNELS = frozenset({"twilio", "sip"})
"""Channels whose callers have a keypad the receptionist hears (DTMF): a number can be keyed in."""


@dataclass(slots=True)
class Call:
    """One conversation with one caller, in one tenant."""

    tenant_id: str
    caller_number: str | None = None  # E.164 caller ID where the transport gives one
    dialled_number: str | None = None
    channel: str = "text"
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=utcnow)
    turns: list[Turn] = field(default_factory=list)
    concern: str | None = None
    draft: MessageDraft = field(default_factory=MessageDraft)
    awaiting: Slot | None = None  # what the receptionist last asked for
    message: Message | None = None
    escalation: EscalationRequest | None = None
    handoff_status: HandoffStatus | None = None
    misunderstandings: int = 0  # consecutive caller turns the brain could not place
    said: dict[str, int] = field(default_factory=dict)  # how often each kind of reply was given
    last_said: str | None = None  # the kind of the receptionist's latest templated reply
    pending_digits: str = ""  # digits of a phone number begun in an earlier turn, not yet whole
    answered_questions: int = 0
    ended: bool = False
    outcome: Outcome | None = None
    ended_at: datetime | None = None

    def add_turn(self, role: Role, text: str) -> Turn:
        turn = Turn(role=role, text=text)
        self.turns.append(turn)
        return turn

    @property
    def caller_text(self) -> str:
        return " ".join(t.text for t in self.turns if t.role is Role.CALLER)


@dataclass(frozen=True, slots=True)
class CallSummary:
    """A short account of the call for the owner and for agents."""

    text: str
    source: str  # "llm" or "offline"
    reason: str | None = None
    action_items: tuple[str, ...] = ()
