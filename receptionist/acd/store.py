"""The one interface both ACD stores implement: a handful of atomic operations on shared state.

Every mutating operation is atomic (a lock in process; one Lua script call in Redis), takes ``now``
explicitly, writes its :class:`QueueEvent` records to the store's log and returns them. Nothing reads a
clock: time moves only through ``now`` arguments, and timers (ring timeouts, wrap-up, reject and no-answer
delays, maximum wait, empty queues, scheduled callbacks) fire only in :meth:`AcdStore.tick`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from receptionist.acd.config import AgentConfig, QueueConfig, QueueKey
from receptionist.acd.events import QueueEvent
from receptionist.acd.model import (
    AgentCommand,
    AgentSnapshot,
    CallCommand,
    CallSnapshot,
    EventPage,
    NewCall,
    Position,
    QueueStatus,
    Routed,
)

Events = tuple[QueueEvent, ...]


class AcdStore(Protocol):
    """Queues, agents and calls, changed only through these atomic operations."""

    def configure_queue(self, config: QueueConfig) -> None:
        """Create or replace a queue; agents' memberships follow (even for agents logged in now)."""
        ...

    def configure_agent(self, config: AgentConfig) -> None:
        """Create or replace an agent's tenants, skills and delays; memberships follow."""
        ...

    def enqueue(self, call: NewCall, now: datetime) -> Events:
        """The call enters its queue (or leaves at once by ``on_empty`` when no member is logged in)."""
        ...

    def route(self, now: datetime, queue: QueueKey | None = None) -> Routed | None:
        """One routing decision: the most urgent waiting call of a queue that has an available member
        (or of ``queue``) is offered to the member its strategy picks; None when nothing can be matched."""
        ...

    def agent_command(self, agent_id: str, command: AgentCommand, now: datetime) -> Events:
        """Log in/off, pause, unpause, end wrap-up, accept or decline an offer."""
        ...

    def call_command(self, call_id: str, command: CallCommand, now: datetime) -> Events:
        """Abandon, leave for a message or callback, complete, or transfer a call."""
        ...

    def tick(self, now: datetime) -> Events:
        """Fire every timer due at or before ``now``, each at its own due time, in due order."""
        ...

    def next_due(self) -> datetime | None:
        """When the earliest pending timer fires."""
        ...

    def get_call(self, call_id: str) -> CallSnapshot | None: ...

    def get_agent(self, agent_id: str) -> AgentSnapshot | None: ...

    def queue_status(self, key: QueueKey) -> QueueStatus: ...

    def position(self, call_id: str) -> Position | None:
        """Position and estimated wait of a queued call, for announcements; None once it has left."""
        ...

    def read_events(self, cursor: str = "0", limit: int = 1000) -> EventPage:
        """Events written after ``cursor`` ("0" = from the start), oldest first."""
        ...
