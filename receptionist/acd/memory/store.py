"""The in-process ACD store: every operation runs under one lock, so it is atomic across threads too."""

from __future__ import annotations

import threading
from datetime import datetime

from receptionist.acd.clock import from_ms, to_ms
from receptionist.acd.config import AgentConfig, QueueConfig, QueueKey
from receptionist.acd.errors import UnknownQueue
from receptionist.acd.memory.agents import AgentOps
from receptionist.acd.memory.records import AgentRec, CallRec, QueueRec
from receptionist.acd.memory.timers import TimerOps
from receptionist.acd.model import (
    Abandon,
    Accept,
    AgentCommand,
    AgentSnapshot,
    AgentState,
    CallCommand,
    CallSnapshot,
    CallState,
    Complete,
    Decline,
    EventPage,
    Leave,
    Login,
    Logoff,
    NewCall,
    Pause,
    Position,
    QueueStatus,
    Ready,
    Routed,
    Transfer,
    Unpause,
)
from receptionist.acd.scoring import estimated_wait_s
from receptionist.acd.store import Events


class MemoryStore(AgentOps, TimerOps):
    """The embedded ACD store (:class:`receptionist.acd.store.AcdStore`), for one process."""

    def __init__(self, *, max_events: int = 200_000) -> None:
        super().__init__(max_events=max_events)
        self._lock = threading.Lock()

    def _commit(self) -> Events:
        out = tuple(self.out)
        self.out = []
        self.log.extend(out)
        if len(self.log) > self.max_events:
            drop = len(self.log) - self.max_events // 2
            del self.log[:drop]
            self.log_offset += drop
        return out

    # -- configuration ----------------------------------------------------------------------------

    def configure_queue(self, config: QueueConfig) -> None:
        with self._lock:
            self.do_configure_queue(config)

    def configure_agent(self, config: AgentConfig) -> None:
        with self._lock:
            self.do_configure_agent(config)

    # -- operations -------------------------------------------------------------------------------

    def enqueue(self, call: NewCall, now: datetime) -> Events:
        ms = to_ms(now)
        with self._lock:
            self.out = []
            self.do_enqueue(call, ms)
            return self._commit()

    def route(self, now: datetime, queue: QueueKey | None = None) -> Routed | None:
        ms = to_ms(now)
        with self._lock:
            self.out = []
            offer = self.do_route(ms, queue)
            events = self._commit()
        return None if offer is None else Routed(offer, events)

    def agent_command(self, agent_id: str, command: AgentCommand, now: datetime) -> Events:
        ms = to_ms(now)
        with self._lock:
            self.out = []
            a = self.agent(agent_id)
            match command:
                case Accept(offer_id):
                    self.do_accept(a, offer_id, ms)
                case Decline(offer_id):
                    self.do_decline(a, offer_id, ms)
                case Login():
                    self.do_login(a, ms)
                case Logoff():
                    self.do_logoff(a, ms)
                case Pause(reason):
                    self.do_pause(a, reason, ms)
                case Unpause():
                    self.do_unpause(a, ms)
                case Ready():
                    self.do_ready(a, ms)
            return self._commit()

    def call_command(self, call_id: str, command: CallCommand, now: datetime) -> Events:
        ms = to_ms(now)
        with self._lock:
            self.out = []
            c = self.call(call_id)
            match command:
                case Abandon():
                    self.do_abandon(c, ms)
                case Leave(choice):
                    self.do_leave(c, choice, ms)
                case Complete(by):
                    self.do_complete(c, by, ms)
                case Transfer(queue):
                    self.do_transfer(c, queue, ms)
            return self._commit()

    def tick(self, now: datetime) -> Events:
        ms = to_ms(now)
        with self._lock:
            self.out = []
            self.do_tick(ms)
            return self._commit()

    def next_due(self) -> datetime | None:
        with self._lock:
            due = self.next_due_ms()
        return None if due is None else from_ms(due)

    # -- reads ------------------------------------------------------------------------------------

    def get_call(self, call_id: str) -> CallSnapshot | None:
        with self._lock:
            c = self.calls.get(call_id) or self.ended.get(call_id)
            return None if c is None else _call_snapshot(c)

    def get_agent(self, agent_id: str) -> AgentSnapshot | None:
        with self._lock:
            a = self.agents.get(agent_id)
            if a is None:
                return None
            expires = None
            if a.state is AgentState.OFFERED and a.call_id in self.calls:
                expires = from_ms(self.calls[a.call_id].expires_ms)
            return _agent_snapshot(a, expires, tuple(self.queues[n].key for n in sorted(a.queues)))

    def queue_status(self, key: QueueKey) -> QueueStatus:
        with self._lock:
            q = self.queues.get(str(key))
            if q is None:
                raise UnknownQueue(str(key))
            return _queue_status(q)

    def position(self, call_id: str) -> Position | None:
        with self._lock:
            c = self.calls.get(call_id)
            if c is None or c.state not in (CallState.WAITING, CallState.OFFERED):
                return None
            q = self.queues[c.queue]
            status = _queue_status(q)
            position = self.position_of(c, q)
            waiting = q.waiting.rank(c.member) + 1 if c.state is CallState.WAITING else 0
            wait = estimated_wait_s(
                waiting_position=waiting,
                available=status.available,
                staffed=status.staffed,
                avg_handle_s=status.avg_handle_s,
            )
            return Position(call_id=call_id, queue=q.key, position=position, estimated_wait_s=wait)

    def read_events(self, cursor: str = "0", limit: int = 1000) -> EventPage:
        with self._lock:
            start = max(int(cursor), self.log_offset) - self.log_offset
            events = tuple(self.log[start : start + limit])
            return EventPage(events=events, cursor=str(self.log_offset + start + len(events)))


def _call_snapshot(c: CallRec) -> CallSnapshot:
    return CallSnapshot(
        call_id=c.call_id,
        queue=QueueKey.parse(c.queue),
        kind=c.kind,
        priority=c.priority,
        state=c.state,
        result=c.result,
        entered_at=from_ms(c.entered_ms),
        original_position=c.original_position,
        offer_id=c.offer_id,
        ringing=tuple(c.ringing),
        agent_id=c.agent_id,
        attributes=dict(c.attributes),
    )


def _agent_snapshot(a: AgentRec, expires: datetime | None, queues: tuple[QueueKey, ...]) -> AgentSnapshot:
    return AgentSnapshot(
        agent_id=a.config.agent_id,
        state=a.state,
        since=from_ms(a.since_ms),
        pause_reason=a.reason,
        call_id=a.call_id,
        offer_id=a.offer_id,
        offer_expires_at=expires,
        ready_at=from_ms(a.ready_ms) if a.delayed else None,
        no_answers=a.no_answers,
        queues=queues,
    )


def _queue_status(q: QueueRec) -> QueueStatus:
    handles = q.handles_ms
    avg = sum(handles) / len(handles) / 1000 if handles else q.config.default_handle_s
    return QueueStatus(
        key=q.key,
        queued=len(q.queued),
        waiting=len(q.waiting),
        available=len(q.agents),
        staffed=q.staffed,
        logged_in=q.logged_in,
        avg_handle_s=avg,
    )
