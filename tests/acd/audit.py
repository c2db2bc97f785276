"""Replays a queue log and checks, event by event, the invariants an ACD must never break:

- an agent is offered a call only when logged in, not paused, not in wrap-up and holding no other call
  (so no agent ever holds two calls);
- the call offered is the most urgent waiting call of its queue: higher priority first, then arrival order
  (ageing off);
- every visit to a queue (ENTERQUEUE) ends in exactly one of connected, abandoned or overflowed, and an
  overflow is followed by its OVERFLOW record; nothing happens to a visit after it ended but its completion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from receptionist.acd.events import QueueEvent, QueueEventKind

K = QueueEventKind
EXITS = {K.EXIT_TIMEOUT, K.EXIT_EMPTY, K.EXIT_CALLER}


@dataclass
class Visit:
    call_id: str
    queue: str
    priority: int
    seq: int
    state: str = "waiting"  # waiting | ringing | connected | done
    end: str | None = None  # connected | abandoned | overflowed
    ringing: set[str] = field(default_factory=set)


class AuditError(AssertionError):
    pass


class Auditor:
    def __init__(self, tenants_per_agent: Mapping[str, int]) -> None:
        self.tenants = dict(tenants_per_agent)
        self.agents: dict[str, str] = dict.fromkeys(
            self.tenants, "out"
        )  # out free ringing oncall wrap paused
        self.holding: dict[str, str | None] = dict.fromkeys(self.tenants)
        self.visits: dict[str, Visit] = {}  # call id -> its current visit
        self.pending_overflow: set[str] = set()
        self.pending_tasks: set[str] = set()
        self._skip: dict[str, tuple[QueueEventKind, int]] = {}
        self._seq = 0
        self.offers = 0
        self.connects = 0

    def feed(self, events: Iterable[QueueEvent]) -> None:
        for e in events:
            self.check(e)

    def fail(self, e: QueueEvent, why: str) -> None:
        raise AuditError(f"{why}: {e}")

    def check(self, e: QueueEvent) -> None:
        if e.queue is None:
            self._agent_event(e)
        else:
            self._call_event(e)

    # -- agents -----------------------------------------------------------------------------------

    def _agent_event(self, e: QueueEvent) -> None:
        agent = e.agent_id or ""
        kind, left = self._skip.get(agent, (e.kind, 0))
        if left and kind is e.kind:  # the same event for the agent's other tenants
            self._skip[agent] = (kind, left - 1)
            return
        self._skip[agent] = (e.kind, self.tenants[agent] - 1)
        state = self.agents[agent]
        allowed = {
            K.LOGIN: ({"out"}, "free"),
            K.LOGOFF: ({"free", "paused"}, "out"),
            K.PAUSE: ({"free", "paused"}, "paused"),
            K.UNPAUSE: ({"paused"}, "free"),
        }
        before, after = allowed[e.kind]
        if state not in before:
            self.fail(e, f"agent {agent} was {state}")
        self.agents[agent] = after

    # -- calls ------------------------------------------------------------------------------------

    def _visit(self, e: QueueEvent) -> Visit:
        v = self.visits.get(e.call_id or "")
        if v is None or v.queue != f"{e.tenant_id}/{e.queue}":
            self.fail(e, "no visit of this call to this queue")
        assert v is not None
        return v

    def _end(self, e: QueueEvent, v: Visit, end: str) -> None:
        if v.end is not None:
            self.fail(e, f"visit already ended {v.end}")
        v.end = end

    def _free(self, e: QueueEvent, v: Visit) -> None:
        agent = e.agent_id or ""
        if self.agents[agent] != "ringing" or self.holding[agent] != v.call_id or agent not in v.ringing:
            self.fail(e, f"agent {agent} was not ringing for this call")
        self.agents[agent] = "free"
        self.holding[agent] = None
        v.ringing.discard(agent)
        if not v.ringing and v.state == "ringing":
            v.state = "waiting"

    def _call_event(self, e: QueueEvent) -> None:
        call_id, agent = e.call_id or "", e.agent_id or ""
        if e.kind is K.ENTER:
            old = self.visits.get(call_id)
            if old is not None and old.state != "done" and old.end != "overflowed":
                self.fail(e, "entered again while still in a queue")
            if call_id in self.pending_overflow:
                self.fail(e, "entered another queue before its OVERFLOW record")
            self.pending_tasks.discard(call_id)
            self._seq += 1
            self.visits[call_id] = Visit(call_id, f"{e.tenant_id}/{e.queue}", e.data["priority"], self._seq)
        elif e.kind is K.OFFER:
            v = self._visit(e)
            if v.state == "waiting":
                self._check_order(e, v)
                v.state = "ringing"
            elif v.state != "ringing" or not v.ringing:
                self.fail(e, f"offered while {v.state}")
            if self.agents[agent] != "free":
                self.fail(e, f"offered to agent {agent} who was {self.agents[agent]}")
            self.agents[agent] = "ringing"
            self.holding[agent] = call_id
            v.ringing.add(agent)
            self.offers += 1
        elif e.kind in (K.RING_NO_ANSWER, K.DECLINE, K.WITHDRAW):
            self._free(e, self._visit(e))
        elif e.kind is K.CONNECT:
            v = self._visit(e)
            if agent not in v.ringing or v.state != "ringing":
                self.fail(e, "connected without ringing that agent")
            self._end(e, v, "connected")
            v.state = "connected"
            v.ringing.discard(agent)
            self.agents[agent] = "oncall"
            self.connects += 1
        elif e.kind is K.ABANDON:
            if call_id in self.pending_tasks:  # a scheduled callback cancelled before it was due
                self.pending_tasks.discard(call_id)
                return
            v = self._visit(e)
            if v.state != "waiting":
                self.fail(e, f"abandoned while {v.state}")
            self._end(e, v, "abandoned")
            v.state = "done"
        elif e.kind in EXITS:
            v = self._visit(e)
            if v.state != "waiting":
                self.fail(e, f"left the queue while {v.state}")
            self._end(e, v, "overflowed")
            v.state = "done"
            self.pending_overflow.add(call_id)
        elif e.kind is K.OVERFLOW:
            if call_id not in self.pending_overflow:
                self.fail(e, "OVERFLOW without an exit")
            self.pending_overflow.discard(call_id)
            if "task" in e.data:
                self.pending_tasks.add(e.data["task"])
        elif e.kind in (K.COMPLETE_CALLER, K.COMPLETE_AGENT, K.TRANSFER):
            v = self._visit(e)
            if v.state != "connected" or self.agents[agent] != "oncall" or self.holding[agent] != call_id:
                self.fail(e, "completed a call that was not connected to that agent")
            v.state = "done"
            self.agents[agent] = "wrap"
        elif e.kind is K.WRAPUP_END:
            if self.agents[agent] != "wrap":
                self.fail(e, f"wrap-up ended for agent {agent} who was {self.agents[agent]}")
            self.agents[agent] = "free"
            self.holding[agent] = None
        else:
            self.fail(e, "unexpected event")

    def _check_order(self, e: QueueEvent, offered: Visit) -> None:
        for v in self.visits.values():
            if v is offered or v.queue != offered.queue or v.state != "waiting":
                continue
            if (v.priority, -v.seq) > (offered.priority, -offered.seq):
                self.fail(e, f"call {v.call_id} (priority {v.priority}) was waiting ahead of it")

    # -- the end ----------------------------------------------------------------------------------

    def live(self) -> list[str]:
        """Calls still in a queue or on a call, and callbacks not yet due."""
        active = [v.call_id for v in self.visits.values() if v.state != "done"]
        return sorted(active) + sorted(self.pending_tasks)

    def finish(self) -> None:
        assert not self.pending_overflow, self.pending_overflow
        assert not self.pending_tasks, self.pending_tasks
        for v in self.visits.values():
            assert v.state == "done" and v.end is not None, v
