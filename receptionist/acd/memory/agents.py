"""Agent operations and configuration of the in-process store."""

from __future__ import annotations

from receptionist.acd.config import AgentConfig, QueueConfig
from receptionist.acd.events import QueueEventKind
from receptionist.acd.memory.queueing import QueueSteps
from receptionist.acd.memory.records import AgentRec, QueueRec
from receptionist.acd.model import AgentState
from receptionist.acd.transitions import AgentAction, transition

K = QueueEventKind


class AgentOps(QueueSteps):
    def do_configure_queue(self, config: QueueConfig) -> None:
        name = str(config.key)
        q = self.queues.get(name)
        if q is None:
            q = QueueRec.new(config)
            self.queues[name] = q
            self.tenant_queues.setdefault(config.tenant_id, {})[name] = q
        else:
            rescore = q.config.strategy is not config.strategy
            q.apply(config)
            if rescore:
                self.rescore(q)
        wanted = self.queue_penalties(config)
        for agent_id in [m for m in q.members if m not in wanted]:
            self.drop_member(self.agents[agent_id], q)
        for agent_id, pen in wanted.items():
            self.set_member(self.agents[agent_id], q, pen)

    def rescore(self, q: QueueRec) -> None:
        for agent_id in q.agents.members():
            q.agents.add(agent_id, self.score(q, agent_id, self.agents[agent_id].idle_ms))
        self.refresh(q)

    def do_configure_agent(self, config: AgentConfig) -> None:
        agent_id = config.agent_id
        a = self.agents.get(agent_id)
        if a is None:
            a = AgentRec(config=config, tenants=tuple(sorted(config.tenants)))
            self.agents[agent_id] = a
        else:
            for tenant in a.tenants:
                self.tenant_agents[tenant].discard(agent_id)
            a.config = config
            a.tenants = tuple(sorted(config.tenants))
        for tenant in a.tenants:
            self.tenant_agents.setdefault(tenant, set()).add(agent_id)
        wanted = self.member_penalties(config)
        for name in [n for n in a.queues if n not in wanted]:
            self.drop_member(a, self.queues[name])
        for name, pen in wanted.items():
            self.set_member(a, self.queues[name], pen)

    def do_login(self, a: AgentRec, ms: int) -> None:
        self.move(a, AgentAction.LOGIN, ms)
        a.login_ms = ms
        a.idle_ms = ms
        a.no_answers = 0
        a.reason = None
        for name in a.queues:
            q = self.queues[name]
            q.logged_in += 1
            q.staffed += 1
        self.agent_event(ms, a, K.LOGIN, {})
        self.make_available(a, ms, 0)

    def do_logoff(self, a: AgentRec, ms: int) -> None:
        transition(a.config.agent_id, a.state, AgentAction.LOGOFF)  # refuse before changing anything
        if a.state is AgentState.WRAP_UP:
            self.wrap_end(a, ms)
        staffed = a.state is not AgentState.PAUSED
        self.unindex_agent(a)
        self.clear_timer(f"d|{a.config.agent_id}")
        a.delayed = False
        for name in a.queues:
            q = self.queues[name]
            q.logged_in -= 1
            if staffed:
                q.staffed -= 1
        self.move(a, AgentAction.LOGOFF, ms)
        a.reason = None
        self.agent_event(ms, a, K.LOGOFF, {"logged_in_s": (ms - a.login_ms) / 1000})
        for name in sorted(a.queues):
            self.empty_out(self.queues[name], ms)

    def do_pause(self, a: AgentRec, reason: str, ms: int) -> None:
        transition(a.config.agent_id, a.state, AgentAction.PAUSE)
        self.pause_agent(a, ms, reason)

    def do_unpause(self, a: AgentRec, ms: int) -> None:
        self.move(a, AgentAction.UNPAUSE, ms)
        a.reason = None
        a.no_answers = 0
        for name in a.queues:
            self.queues[name].staffed += 1
        self.agent_event(ms, a, K.UNPAUSE, {})
        self.make_available(a, ms, 0)

    def do_ready(self, a: AgentRec, ms: int) -> None:
        transition(a.config.agent_id, a.state, AgentAction.READY)
        self.wrap_end(a, ms)
