"""The in-process store's data and the small steps every operation is built from.

Each public operation validates first and mutates after, so a refused operation changes nothing. The
steps mirror the Redis store's Lua functions one for one (same names), and the scenario tests run on both.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from typing import Any

from receptionist.acd.clock import from_ms
from receptionist.acd.config import AgentConfig, QueueConfig, penalty
from receptionist.acd.errors import UnknownAgent, UnknownCall
from receptionist.acd.events import QueueEvent, QueueEventKind
from receptionist.acd.memory.index import SortedIndex
from receptionist.acd.memory.records import AgentRec, CallRec, QueueRec
from receptionist.acd.model import AgentState
from receptionist.acd.scoring import (
    agent_score,
)
from receptionist.acd.transitions import AgentAction, transition

K = QueueEventKind


class MemoryState:
    def __init__(self, *, max_events: int) -> None:
        self.queues: dict[str, QueueRec] = {}
        self.agents: dict[str, AgentRec] = {}
        self.calls: dict[str, CallRec] = {}
        self.ended: OrderedDict[str, CallRec] = OrderedDict()
        self.tenant_queues: dict[str, dict[str, QueueRec]] = {}
        self.tenant_agents: dict[str, set[str]] = {}
        # queues with a waiting call (and, unless stale, an available member), by their head call's score;
        # kept exact when calls come and go, cleaned lazily by routing when a queue's last member leaves
        self.routable = SortedIndex()
        self.timers: list[tuple[int, str]] = []
        self.timer_due: dict[str, int] = {}
        self.log: list[QueueEvent] = []
        self.log_offset = 0
        self.max_events = max_events
        self.seq = 0
        self.out: list[QueueEvent] = []

    # -- lookups ----------------------------------------------------------------------------------

    def agent(self, agent_id: str) -> AgentRec:
        a = self.agents.get(agent_id)
        if a is None:
            raise UnknownAgent(agent_id)
        return a

    def call(self, call_id: str) -> CallRec:
        c = self.calls.get(call_id)
        if c is None:
            raise UnknownCall(call_id)
        return c

    # -- events and timers ------------------------------------------------------------------------

    def emit(
        self,
        ms: int,
        q: QueueRec,
        kind: QueueEventKind,
        call_id: str | None,
        agent_id: str | None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.out.append(
            QueueEvent(
                at=from_ms(ms),
                tenant_id=q.key.tenant_id,
                queue=q.key.name,
                kind=kind,
                call_id=call_id,
                agent_id=agent_id,
                data=data if data is not None else {},
            )
        )

    def agent_event(self, ms: int, a: AgentRec, kind: QueueEventKind, data: dict[str, Any]) -> None:
        """Agent-wide events (login, pause...) are written once per tenant the agent serves."""
        at = from_ms(ms)
        for tenant in a.tenants:
            self.out.append(
                QueueEvent(
                    at=at, tenant_id=tenant, queue=None, kind=kind, agent_id=a.config.agent_id, data=data
                )
            )

    def set_timer(self, member: str, due: int) -> None:
        self.timer_due[member] = due
        heapq.heappush(self.timers, (due, member))

    def clear_timer(self, member: str) -> None:
        self.timer_due.pop(member, None)

    def _clean_top(self) -> None:
        while self.timers and self.timer_due.get(self.timers[0][1]) != self.timers[0][0]:
            heapq.heappop(self.timers)

    def next_due_ms(self) -> int | None:
        self._clean_top()
        return self.timers[0][0] if self.timers else None

    def pop_due(self, ms: int) -> tuple[int, str] | None:
        self._clean_top()
        if not self.timers or self.timers[0][0] > ms:
            return None
        due, member = heapq.heappop(self.timers)
        del self.timer_due[member]
        return due, member

    # -- agents -----------------------------------------------------------------------------------

    def move(self, a: AgentRec, action: AgentAction, ms: int) -> None:
        a.state = transition(a.config.agent_id, a.state, action)
        a.since_ms = ms

    def score(self, q: QueueRec, agent_id: str, idle_ms: int) -> int:
        return agent_score(
            q.config.strategy,
            idle_ms=idle_ms,
            penalty=q.members[agent_id],
            answered=q.answered.get(agent_id, 0),
            position=q.positions[agent_id],
        )

    def refresh(self, q: QueueRec) -> None:
        head = q.waiting.first()
        if head is not None and len(q.agents):
            self.routable.add(q.name, head[0])
        else:
            self.routable.discard(q.name)

    def index_agent(self, a: AgentRec) -> None:
        agent_id = a.config.agent_id
        for name in a.queues:
            q = self.queues[name]
            q.agents.add(agent_id, self.score(q, agent_id, a.idle_ms))
            if len(q.agents) == 1:  # the queue may have become routable
                self.refresh(q)

    def unindex_agent(self, a: AgentRec) -> None:
        """Routing skips (and drops) a routable queue left without members, so no refresh here."""
        agent_id = a.config.agent_id
        for name in a.queues:
            self.queues[name].agents.discard(agent_id)

    def make_available(self, a: AgentRec, ms: int, delay_ms: int) -> None:
        """The agent (now AVAILABLE) is offered calls again, at once or after ``delay_ms``."""
        if delay_ms > 0:
            a.delayed = True
            a.ready_ms = ms + delay_ms
            self.set_timer(f"d|{a.config.agent_id}", a.ready_ms)
        else:
            a.delayed = False
            a.ready_ms = 0
            self.index_agent(a)

    def wrap_end(self, a: AgentRec, ms: int) -> None:
        q = self.queues[a.wrap_queue] if a.wrap_queue else None
        if q is not None:
            self.emit(ms, q, K.WRAPUP_END, a.call_id, a.config.agent_id, {"wrap_s": (ms - a.since_ms) / 1000})
        self.clear_timer(f"w|{a.config.agent_id}")
        self.move(a, AgentAction.READY, ms)
        a.call_id = None
        a.wrap_queue = None
        a.idle_ms = ms
        self.make_available(a, ms, 0)

    def pause_agent(self, a: AgentRec, ms: int, reason: str) -> None:
        if a.state is AgentState.WRAP_UP:
            self.wrap_end(a, ms)
        if a.state is not AgentState.PAUSED:
            for name in a.queues:
                self.queues[name].staffed -= 1
        self.unindex_agent(a)
        self.clear_timer(f"d|{a.config.agent_id}")
        a.delayed = False
        self.move(a, AgentAction.PAUSE, ms)
        a.reason = reason
        self.agent_event(ms, a, K.PAUSE, {"reason": reason})

    def finish_agent(self, a: AgentRec, q: QueueRec, ms: int, talk_ms: int) -> None:
        """The agent's call ended (or was transferred on): record the handle time, start wrap-up."""
        q.handles_ms.append(talk_ms + q.wrap_ms)
        self.move(a, AgentAction.COMPLETE, ms)
        a.wrap_queue = q.name
        if q.wrap_ms > 0:
            self.set_timer(f"w|{a.config.agent_id}", ms + q.wrap_ms)
        else:
            self.wrap_end(a, ms)

    # -- memberships ------------------------------------------------------------------------------

    def set_member(self, a: AgentRec, q: QueueRec, pen: int) -> None:
        agent_id = a.config.agent_id
        old = q.members.get(agent_id)
        if old == pen:
            return
        q.members[agent_id] = pen
        a.queues[q.name] = pen
        if old is None:
            q.next_position += 1
            q.positions[agent_id] = q.next_position
            if a.state is not AgentState.LOGGED_OUT:
                q.logged_in += 1
                if a.state is not AgentState.PAUSED:
                    q.staffed += 1
        if a.state is AgentState.AVAILABLE and not a.delayed:
            q.agents.add(agent_id, self.score(q, agent_id, a.idle_ms))
            self.refresh(q)

    def drop_member(self, a: AgentRec, q: QueueRec) -> None:
        agent_id = a.config.agent_id
        del q.members[agent_id]
        del a.queues[q.name]
        q.positions.pop(agent_id, None)
        if a.state is not AgentState.LOGGED_OUT:
            q.logged_in -= 1
            if a.state is not AgentState.PAUSED:
                q.staffed -= 1
        if q.agents.discard(agent_id):
            self.refresh(q)

    def member_penalties(self, config: AgentConfig) -> dict[str, int]:
        wanted: dict[str, int] = {}
        for tenant in config.tenants:
            for name, q in self.tenant_queues.get(tenant, {}).items():
                pen = penalty(config, q.config)
                if pen is not None:
                    wanted[name] = pen
        return wanted

    def queue_penalties(self, config: QueueConfig) -> dict[str, int]:
        wanted: dict[str, int] = {}
        for agent_id in sorted(self.tenant_agents.get(config.tenant_id, ())):
            pen = penalty(self.agents[agent_id].config, config)
            if pen is not None:
                wanted[agent_id] = pen
        return wanted
