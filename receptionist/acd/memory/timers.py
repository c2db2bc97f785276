"""Timers of the in-process store, each fired at its own due time by ``tick``."""

from __future__ import annotations

from receptionist.acd.clock import seconds_to_ms
from receptionist.acd.events import QueueEventKind
from receptionist.acd.memory.calls import CallOps
from receptionist.acd.model import AUTO_PAUSE_REASON, AgentState, CallState
from receptionist.acd.transitions import AgentAction

K = QueueEventKind


class TimerOps(CallOps):
    def do_tick(self, ms: int) -> None:
        while (due_member := self.pop_due(ms)) is not None:
            due, member = due_member
            kind, name = member[0], member[2:]
            if kind == "r":
                self.ring_timeout(name, due)
            elif kind == "w":
                self.wrap_timeout(name, due)
            elif kind == "d":
                self.delay_over(name)
            elif kind == "m":
                self.max_wait(name, due)
            elif kind == "s":
                self.scheduled(name, due)

    def ring_timeout(self, call_id: str, due: int) -> None:
        c = self.calls.get(call_id)
        if c is None or c.state is not CallState.OFFERED:
            return
        q = self.queues[c.queue]
        ring_s = (due - c.offered_ms) / 1000
        for agent_id in c.ringing:
            a = self.agents[agent_id]
            self.emit(due, q, K.RING_NO_ANSWER, call_id, agent_id, {"offer_id": c.offer_id, "ring_s": ring_s})
            self.move(a, AgentAction.NO_ANSWER, due)
            a.call_id = None
            a.offer_id = None
            a.no_answers += 1
            if a.config.max_no_answer and a.no_answers >= a.config.max_no_answer:
                self.pause_agent(a, due, AUTO_PAUSE_REASON)
            else:
                self.make_available(a, due, seconds_to_ms(a.config.no_answer_delay_s))
        c.ringing = []
        self.offer_failed(c, q, due)

    def wrap_timeout(self, agent_id: str, due: int) -> None:
        a = self.agents.get(agent_id)
        if a is not None and a.state is AgentState.WRAP_UP:
            self.wrap_end(a, due)

    def delay_over(self, agent_id: str) -> None:
        a = self.agents.get(agent_id)
        if a is not None and a.state is AgentState.AVAILABLE and a.delayed:
            a.delayed = False
            a.ready_ms = 0
            self.index_agent(a)

    def max_wait(self, call_id: str, due: int) -> None:
        c = self.calls.get(call_id)
        if c is None:
            return
        if c.state is CallState.WAITING:
            q = self.queues[c.queue]
            self.exit_queue(c, q, due, K.EXIT_TIMEOUT, q.config.on_timeout)
        elif c.state is CallState.OFFERED:
            c.timed_out = True  # leaves when the open offer fails

    def scheduled(self, call_id: str, due: int) -> None:
        c = self.calls.get(call_id)
        if c is not None and c.state is CallState.SCHEDULED:
            self.enter(c, self.queues[c.queue], due, c.origin)
