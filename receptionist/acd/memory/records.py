"""The in-process store's mutable records (never handed out: readers get snapshots)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from receptionist.acd.clock import seconds_to_ms
from receptionist.acd.config import AgentConfig, QueueConfig, QueueKey
from receptionist.acd.memory.index import SortedIndex
from receptionist.acd.model import AgentState, CallKind, CallResult, CallState
from receptionist.acd.scoring import RECENT_HANDLES, ageing_ms


@dataclass(slots=True, eq=False)
class QueueRec:
    config: QueueConfig
    key: QueueKey
    name: str  # str(key): how the queue is named in indexes and timers
    age_ms: int
    agents: SortedIndex = field(default_factory=SortedIndex)  # available, ready members by strategy score
    waiting: SortedIndex = field(default_factory=SortedIndex)  # calls waiting for an offer
    queued: SortedIndex = field(default_factory=SortedIndex)  # waiting + ringing calls (for positions)
    members: dict[str, int] = field(default_factory=dict)  # agent -> penalty
    positions: dict[str, int] = field(default_factory=dict)  # agent -> round-robin position
    answered: dict[str, int] = field(default_factory=dict)  # agent -> calls answered here
    rr_last: int = 0
    last_entry_ms: int = 0  # arrival order is the order calls reached the store (see scoring)
    next_position: int = 0
    logged_in: int = 0
    staffed: int = 0
    handles_ms: deque[int] = field(default_factory=lambda: deque(maxlen=RECENT_HANDLES))
    ring_ms: int = 0
    wrap_ms: int = 0
    max_wait_ms: int | None = None

    @classmethod
    def new(cls, config: QueueConfig) -> QueueRec:
        rec = cls(config=config, key=config.key, name=str(config.key), age_ms=0)
        rec.apply(config)
        return rec

    def apply(self, config: QueueConfig) -> None:
        self.config = config
        self.age_ms = ageing_ms(config)
        self.ring_ms = seconds_to_ms(config.ring_timeout_s)
        self.wrap_ms = seconds_to_ms(config.wrap_up_s)
        self.max_wait_ms = None if config.max_wait_s is None else seconds_to_ms(config.max_wait_s)


@dataclass(slots=True, eq=False)
class AgentRec:
    config: AgentConfig
    tenants: tuple[str, ...]  # sorted, for per-tenant events in a stable order
    state: AgentState = AgentState.LOGGED_OUT
    since_ms: int = 0
    reason: str | None = None
    idle_ms: int = 0  # when the agent last became free (login or end of wrap-up)
    ready_ms: int = 0  # a reject / no-answer delay keeps the agent out of indexes until then
    delayed: bool = False
    no_answers: int = 0
    call_id: str | None = None
    offer_id: str | None = None
    login_ms: int = 0
    wrap_queue: str | None = None  # the queue of the call being wrapped up
    queues: dict[str, int] = field(default_factory=dict)  # queue name -> penalty


@dataclass(slots=True, eq=False)
class CallRec:
    call_id: str
    tenant_id: str
    kind: CallKind
    priority: int
    attributes: dict[str, str]
    queue: str = ""  # queue name (str of its key)
    seq: int = 0
    member: str = ""
    score: int = 0
    entered_ms: int = 0
    original_position: int = 0
    hops: int = 0
    state: CallState = CallState.WAITING
    result: CallResult | None = None
    offer_id: str | None = None
    offered_ms: int = 0
    expires_ms: int = 0
    ringing: list[str] = field(default_factory=list)
    agent_id: str | None = None
    connected_ms: int = 0
    timed_out: bool = False
    origin: str | None = None  # callback task: the queue (name within the tenant) it was scheduled from
    parent: str | None = None  # callback task: the call it calls back
