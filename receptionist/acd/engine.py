"""The ACD as the application uses it: one store, one clock, and routing after every change.

Every method reads the clock once, applies one atomic store operation, then routes until no waiting call
can be matched to an available agent, and returns everything that happened as an :class:`Activity`.
A routing worker calls :meth:`Acd.tick` periodically (see :mod:`receptionist.acd.worker`), which fires due
timers and routes; with a Redis store any number of workers may do so at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from receptionist.acd.briefing import escalation_attributes
from receptionist.acd.clock import Clock
from receptionist.acd.config import AgentConfig, QueueConfig, QueueKey
from receptionist.acd.events import QueueEvent
from receptionist.acd.model import (
    Abandon,
    Accept,
    AgentCommand,
    AgentSnapshot,
    CallCommand,
    CallerChoice,
    CallSnapshot,
    Complete,
    Decline,
    Leave,
    Login,
    Logoff,
    NewCall,
    Offer,
    Party,
    Pause,
    Position,
    QueueStatus,
    Ready,
    Transfer,
    Unpause,
)
from receptionist.acd.store import AcdStore
from receptionist.calls import Call, EscalationRequest


@dataclass(frozen=True, slots=True)
class Activity:
    """What one call to the ACD did: the events written and the offers made, in order."""

    events: tuple[QueueEvent, ...] = ()
    offers: tuple[Offer, ...] = ()

    def __add__(self, other: Activity) -> Activity:
        return Activity(self.events + other.events, self.offers + other.offers)


class Acd:
    """Queues, agents and routing over an :class:`AcdStore` (in-process or Redis)."""

    def __init__(self, store: AcdStore, *, clock: Clock, max_routes_per_call: int = 100_000) -> None:
        self.store = store
        self.clock = clock
        self._max_routes = max_routes_per_call

    # -- configuration ----------------------------------------------------------------------------

    def configure_queue(self, config: QueueConfig) -> None:
        self.store.configure_queue(config)

    def configure_agent(self, config: AgentConfig) -> None:
        self.store.configure_agent(config)

    # -- calls ------------------------------------------------------------------------------------

    def enqueue(self, call: NewCall) -> Activity:
        now = self.clock.now()
        return Activity(self.store.enqueue(call, now)) + self.route_all(now)

    def enqueue_escalation(self, call: Call, request: EscalationRequest) -> Activity:
        """Queue a receptionist's call for a human, carrying the briefing the agent will read."""
        new = NewCall(
            call_id=call.id,
            tenant_id=call.tenant_id,
            queue=request.queue,
            priority=request.priority,
            attributes=escalation_attributes(request),
        )
        return self.enqueue(new)

    def abandon(self, call_id: str) -> Activity:
        return self._call(call_id, Abandon())

    def leave(self, call_id: str, choice: CallerChoice) -> Activity:
        return self._call(call_id, Leave(choice))

    def complete(self, call_id: str, by: Party) -> Activity:
        return self._call(call_id, Complete(by))

    def transfer(self, call_id: str, queue: str) -> Activity:
        return self._call(call_id, Transfer(queue))

    # -- agents -----------------------------------------------------------------------------------

    def login(self, agent_id: str) -> Activity:
        return self._agent(agent_id, Login())

    def logoff(self, agent_id: str) -> Activity:
        return self._agent(agent_id, Logoff())

    def pause(self, agent_id: str, reason: str = "break") -> Activity:
        return self._agent(agent_id, Pause(reason))

    def unpause(self, agent_id: str) -> Activity:
        return self._agent(agent_id, Unpause())

    def ready(self, agent_id: str) -> Activity:
        return self._agent(agent_id, Ready())

    def accept(self, agent_id: str, offer_id: str) -> Activity:
        return self._agent(agent_id, Accept(offer_id))

    def decline(self, agent_id: str, offer_id: str) -> Activity:
        return self._agent(agent_id, Decline(offer_id))

    # -- time and routing -------------------------------------------------------------------------

    def tick(self) -> Activity:
        """Fire the timers due by now, then route."""
        now = self.clock.now()
        return Activity(self.store.tick(now)) + self.route_all(now)

    def route_all(self, now: datetime) -> Activity:
        events: list[QueueEvent] = []
        offers: list[Offer] = []
        for _ in range(self._max_routes):
            routed = self.store.route(now)
            if routed is None:
                break
            events.extend(routed.events)
            offers.append(routed.offer)
        return Activity(tuple(events), tuple(offers))

    # -- reads ------------------------------------------------------------------------------------

    def position(self, call_id: str) -> Position | None:
        return self.store.position(call_id)

    def queue_status(self, key: QueueKey) -> QueueStatus:
        return self.store.queue_status(key)

    def call(self, call_id: str) -> CallSnapshot | None:
        return self.store.get_call(call_id)

    def agent(self, agent_id: str) -> AgentSnapshot | None:
        return self.store.get_agent(agent_id)

    def _call(self, call_id: str, command: CallCommand) -> Activity:
        now = self.clock.now()
        return Activity(self.store.call_command(call_id, command, now)) + self.route_all(now)

    def _agent(self, agent_id: str, command: AgentCommand) -> Activity:
        now = self.clock.now()
        return Activity(self.store.agent_command(agent_id, command, now)) + self.route_all(now)
