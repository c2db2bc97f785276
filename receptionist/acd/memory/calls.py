"""Call operations of the in-process store: enqueue, route, accept/decline, abandon, leave, complete, transfer."""

from __future__ import annotations

from receptionist.acd.clock import from_ms, seconds_to_ms
from receptionist.acd.config import Overflow, QueueKey, Strategy
from receptionist.acd.errors import DuplicateCall, IllegalCallState, StaleOffer, UnknownQueue
from receptionist.acd.events import QueueEventKind
from receptionist.acd.memory.queueing import QueueSteps
from receptionist.acd.memory.records import AgentRec, CallRec, QueueRec
from receptionist.acd.model import (
    AgentState,
    CallerChoice,
    CallKind,
    CallResult,
    CallState,
    NewCall,
    Offer,
    Party,
)
from receptionist.acd.scoring import call_id_of
from receptionist.acd.transitions import AgentAction

K = QueueEventKind


class CallOps(QueueSteps):
    def queue(self, tenant_id: str, name: str) -> QueueRec:
        q = self.queues.get(f"{tenant_id}/{name}")
        if q is None:
            raise UnknownQueue(f"{tenant_id}/{name}")
        return q

    def do_enqueue(self, new: NewCall, ms: int) -> None:
        q = self.queue(new.tenant_id, new.queue)
        if new.call_id in self.calls:
            raise DuplicateCall(new.call_id)
        c = CallRec(
            call_id=new.call_id,
            tenant_id=new.tenant_id,
            kind=new.kind,
            priority=new.priority,
            attributes=dict(new.attributes),
        )
        self.enter(c, q, ms, None)

    def do_route(self, ms: int, key: QueueKey | None) -> Offer | None:
        if key is None:
            while True:
                top = self.routable.first()
                if top is None:
                    return None
                q = self.queues[top[1]]
                if len(q.agents):
                    break
                self.routable.discard(q.name)  # its last available member left since
        else:
            q = self.queue(key.tenant_id, key.name)
            if not (len(q.waiting) and len(q.agents)):
                return None
        head = q.waiting.first()
        assert head is not None
        c = self.calls[call_id_of(head[1])]
        agent_ids = self.choose(q)
        self.seq += 1
        offer_id = f"o{self.seq}"
        q.waiting.discard(c.member)
        c.state = CallState.OFFERED
        c.offer_id = offer_id
        c.offered_ms = ms
        c.expires_ms = ms + q.ring_ms
        c.ringing = list(agent_ids)
        for agent_id in agent_ids:
            a = self.agents[agent_id]
            self.move(a, AgentAction.OFFER, ms)
            a.call_id = c.call_id
            a.offer_id = offer_id
            self.unindex_agent(a)
            self.emit(ms, q, K.OFFER, c.call_id, agent_id, {"offer_id": offer_id})
        self.set_timer(f"r|{c.call_id}", c.expires_ms)
        self.refresh(q)
        return Offer(
            offer_id=offer_id,
            call_id=c.call_id,
            queue=q.key,
            kind=c.kind,
            priority=c.priority,
            agent_ids=agent_ids,
            offered_at=from_ms(ms),
            expires_at=from_ms(c.expires_ms),
        )

    def choose(self, q: QueueRec) -> tuple[str, ...]:
        strategy = q.config.strategy
        if strategy is Strategy.RING_ALL:
            return tuple(q.agents.members())
        if strategy is Strategy.ROUND_ROBIN:
            pick = q.agents.first_above(q.rr_last) or q.agents.first()
            assert pick is not None
            q.rr_last = pick[0]
            return (pick[1],)
        pick = q.agents.first()
        assert pick is not None
        return (pick[1],)

    def open_offer(self, a: AgentRec, offer_id: str, ms: int) -> tuple[CallRec, QueueRec]:
        agent_id = a.config.agent_id
        if a.state is not AgentState.OFFERED or a.offer_id != offer_id or a.call_id is None:
            raise StaleOffer(agent_id, offer_id, "not open")
        c = self.calls[a.call_id]
        if ms >= c.expires_ms:
            raise StaleOffer(agent_id, offer_id, "expired")
        return c, self.queues[c.queue]

    def do_accept(self, a: AgentRec, offer_id: str, ms: int) -> None:
        c, q = self.open_offer(a, offer_id, ms)
        agent_id = a.config.agent_id
        self.move(a, AgentAction.ACCEPT, ms)
        a.no_answers = 0
        a.offer_id = None
        q.answered[agent_id] = q.answered.get(agent_id, 0) + 1
        self.leave_queue(c, q)
        c.state = CallState.CONNECTED
        c.result = CallResult.CONNECTED
        c.agent_id = agent_id
        c.connected_ms = ms
        data = {
            "wait_s": (ms - c.entered_ms) / 1000,
            "ring_s": (ms - c.offered_ms) / 1000,
            "offer_id": offer_id,
        }
        self.emit(ms, q, K.CONNECT, c.call_id, agent_id, data)
        self.withdraw(c, q, ms, "answered_elsewhere", keep=agent_id)
        c.offer_id = None

    def do_decline(self, a: AgentRec, offer_id: str, ms: int) -> None:
        c, q = self.open_offer(a, offer_id, ms)
        agent_id = a.config.agent_id
        self.emit(
            ms,
            q,
            K.DECLINE,
            c.call_id,
            agent_id,
            {"offer_id": offer_id, "ring_s": (ms - c.offered_ms) / 1000},
        )
        self.move(a, AgentAction.DECLINE, ms)
        a.call_id = None
        a.offer_id = None
        c.ringing.remove(agent_id)
        self.make_available(a, ms, seconds_to_ms(a.config.reject_delay_s))
        if not c.ringing:
            self.offer_failed(c, q, ms)

    def do_abandon(self, c: CallRec, ms: int) -> None:
        if c.state is CallState.CONNECTED:
            raise IllegalCallState(c.call_id, c.state.value, "abandon")
        q = self.queues[c.queue]
        if c.state is CallState.SCHEDULED:
            self.clear_timer(f"s|{c.call_id}")
            data = {"position": 0, "original_position": 0, "wait_s": 0.0}
        else:
            position = self.position_of(c, q)
            self.leave_queue(c, q)
            self.withdraw(c, q, ms, "abandoned")
            wait_s = (ms - c.entered_ms) / 1000
            data = {"position": position, "original_position": c.original_position, "wait_s": wait_s}
        self.emit(ms, q, K.ABANDON, c.call_id, None, data)
        self.end(c, CallResult.ABANDONED)

    def do_leave(self, c: CallRec, choice: CallerChoice, ms: int) -> None:
        if c.kind is not CallKind.CALL or c.state not in (CallState.WAITING, CallState.OFFERED):
            raise IllegalCallState(c.call_id, c.state.value, f"leave for a {choice.value}")
        q = self.queues[c.queue]
        position = self.position_of(c, q)
        self.leave_queue(c, q)
        self.withdraw(c, q, ms, "caller_left")
        data = {"choice": choice.value, "position": position, "wait_s": (ms - c.entered_ms) / 1000}
        self.emit(ms, q, K.EXIT_CALLER, c.call_id, None, data)
        if choice is CallerChoice.MESSAGE:
            overflow = Overflow.message()
        else:
            overflow = Overflow.callback(queue=q.config.callback_queue)
        self.overflow(c, q, ms, overflow)

    def connected(self, c: CallRec, action: str) -> tuple[QueueRec, AgentRec]:
        if c.state is not CallState.CONNECTED or c.agent_id is None:
            raise IllegalCallState(c.call_id, c.state.value, action)
        return self.queues[c.queue], self.agents[c.agent_id]

    def do_complete(self, c: CallRec, by: Party, ms: int) -> None:
        q, a = self.connected(c, "complete")
        kind = K.COMPLETE_CALLER if by is Party.CALLER else K.COMPLETE_AGENT
        talk_ms = ms - c.connected_ms
        data = {"wait_s": (c.connected_ms - c.entered_ms) / 1000, "talk_s": talk_ms / 1000}
        self.emit(ms, q, kind, c.call_id, a.config.agent_id, data)
        self.end(c, CallResult.CONNECTED)
        self.finish_agent(a, q, ms, talk_ms)

    def do_transfer(self, c: CallRec, to: str, ms: int) -> None:
        q, a = self.connected(c, "transfer")
        target = self.queue(c.tenant_id, to)
        talk_ms = ms - c.connected_ms
        data = {"to": to, "wait_s": (c.connected_ms - c.entered_ms) / 1000, "talk_s": talk_ms / 1000}
        self.emit(ms, q, K.TRANSFER, c.call_id, a.config.agent_id, data)
        self.finish_agent(a, q, ms, talk_ms)
        self.enter(c, target, ms, q.key.name)
