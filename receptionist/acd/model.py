"""The ACD's runtime values: agent and call states, the commands that change them, and read-only snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from receptionist.acd.config import MAX_PRIORITY, QueueKey, check_id
from receptionist.acd.errors import InvalidConfig
from receptionist.acd.events import QueueEvent
from receptionist.calls import Outcome


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    OFFERED = "offered"  # ringing: an offer is open
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"  # with a reason ("lunch", "max-no-answer", ...)


class CallKind(StrEnum):
    CALL = "call"  # a caller on the line
    CALLBACK = "callback"  # a scheduled callback: a task agents take and complete like a call


class CallState(StrEnum):
    SCHEDULED = "scheduled"  # a callback task not yet due
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"
    ENDED = "ended"


class CallResult(StrEnum):
    """How a call left the ACD. Each entry into a queue ends in exactly one of these (or another queue)."""

    CONNECTED = "connected"
    ABANDONED = "abandoned"
    MESSAGE = "message"
    CALLBACK = "callback"

    @property
    def outcome(self) -> Outcome:
        return _OUTCOMES[self]


_OUTCOMES = {
    CallResult.CONNECTED: Outcome.TRANSFERRED,
    CallResult.ABANDONED: Outcome.ABANDONED,
    CallResult.MESSAGE: Outcome.MESSAGE_TAKEN,
    CallResult.CALLBACK: Outcome.CALLBACK_SCHEDULED,
}


class Party(StrEnum):
    CALLER = "caller"
    AGENT = "agent"


class CallerChoice(StrEnum):
    """What a waiting caller may ask for instead of holding on."""

    MESSAGE = "message"
    CALLBACK = "callback"


AUTO_PAUSE_REASON = "max-no-answer"


# -- commands -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Login:
    pass


@dataclass(frozen=True, slots=True)
class Logoff:
    pass


@dataclass(frozen=True, slots=True)
class Pause:
    reason: str = "break"


@dataclass(frozen=True, slots=True)
class Unpause:
    pass


@dataclass(frozen=True, slots=True)
class Ready:
    """End wrap-up early."""


@dataclass(frozen=True, slots=True)
class Accept:
    offer_id: str


@dataclass(frozen=True, slots=True)
class Decline:
    offer_id: str


AgentCommand = Login | Logoff | Pause | Unpause | Ready | Accept | Decline


@dataclass(frozen=True, slots=True)
class Abandon:
    """The caller hung up while queued (or a callback task was cancelled)."""


@dataclass(frozen=True, slots=True)
class Leave:
    """The caller chose a message or a callback instead of waiting."""

    choice: CallerChoice


@dataclass(frozen=True, slots=True)
class Complete:
    """A connected call ended; ``by`` says who hung up."""

    by: Party


@dataclass(frozen=True, slots=True)
class Transfer:
    """The agent passed a connected call on to another queue of the same tenant."""

    queue: str


CallCommand = Abandon | Leave | Complete | Transfer


# -- inputs and results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCall:
    """A call (or callback task) entering a queue. ``attributes`` travel with it, e.g. the briefing."""

    call_id: str
    tenant_id: str
    queue: str
    priority: int = 0  # 0 normal ... 10; higher is served first
    kind: CallKind = CallKind.CALL
    attributes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_id("call", self.call_id)
        check_id("tenant", self.tenant_id)
        check_id("queue", self.queue)
        if not 0 <= self.priority <= MAX_PRIORITY:
            raise InvalidConfig(f"priority must be 0..{MAX_PRIORITY}")

    @property
    def key(self) -> QueueKey:
        return QueueKey(self.tenant_id, self.queue)


@dataclass(frozen=True, slots=True)
class Offer:
    """A call offered to one agent (or, in a ring-all queue, to several at once)."""

    offer_id: str
    call_id: str
    queue: QueueKey
    kind: CallKind
    priority: int
    agent_ids: tuple[str, ...]
    offered_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Routed:
    """One routing decision: the offer made and the events it wrote."""

    offer: Offer
    events: tuple[QueueEvent, ...]


@dataclass(frozen=True, slots=True)
class CallSnapshot:
    call_id: str
    queue: QueueKey
    kind: CallKind
    priority: int
    state: CallState
    result: CallResult | None
    entered_at: datetime  # entered the current queue
    original_position: int
    offer_id: str | None
    ringing: tuple[str, ...]  # agents the open offer rings
    agent_id: str | None  # the agent connected to it
    attributes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    agent_id: str
    state: AgentState
    since: datetime
    pause_reason: str | None
    call_id: str | None  # offered, connected, or (in wrap-up) last handled
    offer_id: str | None
    offer_expires_at: datetime | None
    ready_at: datetime | None  # set while a reject / no-answer delay keeps an available agent out
    no_answers: int
    queues: tuple[QueueKey, ...]


@dataclass(frozen=True, slots=True)
class QueueStatus:
    key: QueueKey
    queued: int  # calls in the queue, waiting or ringing
    waiting: int  # calls waiting for an offer
    available: int  # members ready for an offer now
    staffed: int  # members logged in and not paused
    logged_in: int
    avg_handle_s: float  # recent talk + wrap-up, or the queue's default before any call


@dataclass(frozen=True, slots=True)
class Position:
    """What to announce to a waiting caller."""

    call_id: str
    queue: QueueKey
    position: int  # 1 = next
    estimated_wait_s: float | None  # None when no agent is staffed


@dataclass(frozen=True, slots=True)
class EventPage:
    events: tuple[QueueEvent, ...]
    cursor: str  # pass back to read what comes after
