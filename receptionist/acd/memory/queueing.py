"""The in-process store's steps for calls in queues: entering, leaving, overflowing, offers failing.

Mirrors the Redis store's ``lua_calls`` one for one.
"""

from __future__ import annotations

from receptionist.acd.clock import seconds_to_ms
from receptionist.acd.config import Overflow, OverflowAction
from receptionist.acd.events import QueueEventKind
from receptionist.acd.memory.records import CallRec, QueueRec
from receptionist.acd.memory.state import MemoryState
from receptionist.acd.model import CallKind, CallResult, CallState
from receptionist.acd.scoring import ENDED_KEEP, MAX_OVERFLOW_HOPS, call_id_of, call_member, call_score
from receptionist.acd.transitions import AgentAction

K = QueueEventKind


class QueueSteps(MemoryState):
    # -- calls in queues --------------------------------------------------------------------------

    def position_of(self, c: CallRec, q: QueueRec) -> int:
        return q.queued.rank(c.member) + 1

    def enter(self, c: CallRec, q: QueueRec, ms: int, source: str | None) -> None:
        """The call joins ``q`` behind every call of its effective priority already there."""
        self.seq += 1
        c.queue = q.name
        c.seq = self.seq
        c.member = call_member(self.seq, c.call_id)
        q.last_entry_ms = max(ms, q.last_entry_ms)
        c.score = call_score(q.last_entry_ms, c.priority, q.age_ms)
        c.entered_ms = ms
        c.state = CallState.WAITING
        c.result = None
        c.timed_out = False
        c.offer_id = None
        c.ringing = []
        c.agent_id = None
        self.calls[c.call_id] = c
        q.queued.add(c.member, c.score)
        position = self.position_of(c, q)
        c.original_position = position
        data: dict[str, object] = {"position": position, "priority": c.priority, "kind": c.kind.value}
        if source is not None:
            data["from"] = source
        if c.parent is not None:
            data["callback_for"] = c.parent
        self.emit(ms, q, K.ENTER, c.call_id, None, data)
        if c.kind is CallKind.CALL and q.config.on_empty is not None and q.logged_in == 0:
            self.exit_queue(c, q, ms, K.EXIT_EMPTY, q.config.on_empty)
            return
        q.waiting.add(c.member, c.score)
        if c.kind is CallKind.CALL and q.max_wait_ms is not None:
            self.set_timer(f"m|{c.call_id}", ms + q.max_wait_ms)
        self.refresh(q)

    def leave_queue(self, c: CallRec, q: QueueRec) -> None:
        q.waiting.discard(c.member)
        q.queued.discard(c.member)
        self.clear_timer(f"r|{c.call_id}")
        self.clear_timer(f"m|{c.call_id}")
        self.refresh(q)

    def end(self, c: CallRec, result: CallResult) -> None:
        c.state = CallState.ENDED
        c.result = result
        del self.calls[c.call_id]
        self.ended[c.call_id] = c
        if len(self.ended) > ENDED_KEEP:
            self.ended.popitem(last=False)

    def exit_queue(self, c: CallRec, q: QueueRec, ms: int, kind: QueueEventKind, overflow: Overflow) -> None:
        position = self.position_of(c, q)
        self.leave_queue(c, q)
        data = {"position": position, "wait_s": (ms - c.entered_ms) / 1000, "overflow": overflow.label}
        self.emit(ms, q, kind, c.call_id, None, data)
        self.overflow(c, q, ms, overflow)

    def overflow(self, c: CallRec, q: QueueRec, ms: int, overflow: Overflow) -> None:
        if overflow.action is OverflowAction.QUEUE:
            target = self.queues.get(f"{c.tenant_id}/{overflow.queue}")
            if target is not None and c.hops < MAX_OVERFLOW_HOPS:
                self.emit(ms, q, K.OVERFLOW, c.call_id, None, {"to": overflow.label})
                c.hops += 1
                self.enter(c, target, ms, q.key.name)
                return
            overflow = Overflow.message()
        if overflow.action is OverflowAction.MESSAGE:
            self.emit(ms, q, K.OVERFLOW, c.call_id, None, {"to": overflow.label})
            self.end(c, CallResult.MESSAGE)
            return
        task_id = f"{c.call_id}-cb"
        if task_id in self.calls:
            task_id = f"{task_id}{self.seq}"
        self.emit(ms, q, K.OVERFLOW, c.call_id, None, {"to": overflow.label, "task": task_id})
        self.end(c, CallResult.CALLBACK)
        name = overflow.queue or q.config.callback_queue or q.key.name
        target = self.queues.get(f"{c.tenant_id}/{name}", q)
        task = CallRec(
            call_id=task_id,
            tenant_id=c.tenant_id,
            kind=CallKind.CALLBACK,
            priority=c.priority,
            attributes=dict(c.attributes),
            origin=q.key.name,
            parent=c.call_id,
        )
        delay = seconds_to_ms(overflow.delay_s)
        if delay > 0:
            task.state = CallState.SCHEDULED
            task.queue = target.name
            task.entered_ms = ms + delay
            self.calls[task_id] = task
            self.set_timer(f"s|{task_id}", ms + delay)
        else:
            self.enter(task, target, ms, q.key.name)

    def empty_out(self, q: QueueRec, ms: int) -> None:
        """Nobody is logged in to ``q`` any more: its waiting callers leave by ``on_empty``."""
        if q.logged_in > 0 or q.config.on_empty is None:
            return
        for member in q.queued.members():
            c = self.calls[call_id_of(member)]
            if c.kind is CallKind.CALL and c.state is CallState.WAITING:
                self.exit_queue(c, q, ms, K.EXIT_EMPTY, q.config.on_empty)

    def withdraw(self, c: CallRec, q: QueueRec, ms: int, reason: str, keep: str | None = None) -> None:
        """Every agent the call rings (but ``keep``) stops ringing, with no delay and no penalty."""
        for agent_id in c.ringing:
            if agent_id == keep:
                continue
            a = self.agents[agent_id]
            self.emit(ms, q, K.WITHDRAW, c.call_id, agent_id, {"offer_id": c.offer_id, "reason": reason})
            self.move(a, AgentAction.WITHDRAW, ms)
            a.call_id = None
            a.offer_id = None
            self.make_available(a, ms, 0)
        c.ringing = []

    def offer_failed(self, c: CallRec, q: QueueRec, ms: int) -> None:
        """Nobody took the offer: back to its place in the queue, or out if its maximum wait has passed."""
        c.offer_id = None
        self.clear_timer(f"r|{c.call_id}")
        if c.timed_out:
            self.exit_queue(c, q, ms, K.EXIT_TIMEOUT, q.config.on_timeout)
            return
        c.state = CallState.WAITING
        q.waiting.add(c.member, c.score)
        self.refresh(q)
