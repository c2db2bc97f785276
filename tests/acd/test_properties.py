"""Random days in a call centre (Hypothesis state machines), checked event by event by the auditor,
on the in-process store and (fewer, shorter days) on Redis."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from receptionist.acd.clock import FakeClock
from receptionist.acd.config import AgentConfig, Overflow, QueueConfig, Strategy
from receptionist.acd.engine import Acd
from receptionist.acd.errors import (
    AcdError,
    IllegalCallState,
    IllegalTransition,
    StaleOffer,
    UnknownCall,
    UnknownQueue,
)
from receptionist.acd.memory import MemoryStore
from receptionist.acd.model import AgentState, CallerChoice, CallState, NewCall, Party
from receptionist.acd.simulation import advance
from receptionist.acd.store import AcdStore
from tests.acd.audit import Auditor

AGENTS = ("a1", "a2", "a3", "a4")
QUEUES = (("acme", "sales"), ("acme", "billing"), ("acme", "callbacks"), ("globex", "support"))
AUDIT_STATES = {
    AgentState.LOGGED_OUT: "out",
    AgentState.AVAILABLE: "free",
    AgentState.OFFERED: "ringing",
    AgentState.ON_CALL: "oncall",
    AgentState.WRAP_UP: "wrap",
    AgentState.PAUSED: "paused",
}
EXPECTED = (IllegalTransition, IllegalCallState, StaleOffer, UnknownCall, UnknownQueue)

strategies = st.sampled_from(list(Strategy))
overflows = st.sampled_from(
    [
        Overflow.message(),
        Overflow.callback(queue="callbacks"),
        Overflow.callback(delay_s=60),
        Overflow.to_queue("billing"),
    ]
)


class AcdDay(RuleBasedStateMachine):
    make_store: Callable[[], AcdStore] = MemoryStore

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.store = self.make_store()
        self.acd = Acd(self.store, clock=self.clock)
        self.cursor = "0"
        self.calls: list[str] = []
        self.auditor = Auditor({})

    @initialize(data=st.data())
    def configure(self, data: st.DataObject) -> None:
        draw = data.draw
        sales_timeout = draw(overflows)
        self.acd.configure_queue(
            QueueConfig(
                tenant_id="acme",
                name="sales",
                strategy=draw(strategies),
                ring_timeout_s=draw(st.sampled_from([5.0, 15.0])),
                wrap_up_s=draw(st.sampled_from([0.0, 10.0])),
                max_wait_s=draw(st.sampled_from([None, 30.0, 90.0])),
                on_timeout=sales_timeout,
                on_empty=draw(st.sampled_from([None, Overflow.message(), Overflow.to_queue("billing")])),
            )
        )
        self.acd.configure_queue(
            QueueConfig(
                tenant_id="acme",
                name="billing",
                strategy=draw(strategies),
                skills=frozenset({"billing"}),
                max_wait_s=draw(st.sampled_from([None, 40.0])),
                on_timeout=Overflow.to_queue("sales"),
                on_empty=None,
            )
        )
        self.acd.configure_queue(QueueConfig(tenant_id="acme", name="callbacks", strategy=draw(strategies)))
        self.acd.configure_queue(
            QueueConfig(tenant_id="globex", name="support", strategy=draw(strategies), max_wait_s=60.0)
        )
        tenants = {}
        for agent_id in AGENTS:
            served = draw(st.sampled_from([("acme",), ("globex",), ("acme", "globex")]))
            level = draw(st.sampled_from([None, 3, 9]))
            tenants[agent_id] = len(served)
            self.acd.configure_agent(
                AgentConfig(
                    agent_id=agent_id,
                    tenants=frozenset(served),
                    skills={} if level is None else {"billing": level},
                    reject_delay_s=draw(st.sampled_from([0.0, 5.0])),
                    no_answer_delay_s=draw(st.sampled_from([0.0, 10.0])),
                    max_no_answer=draw(st.sampled_from([0, 1, 3])),
                )
            )
        self.auditor = Auditor(tenants)
        for agent_id in AGENTS:
            if draw(st.booleans()):
                self.acd.login(agent_id)

    # -- callers ----------------------------------------------------------------------------------

    @rule(q=st.sampled_from([0, 0, 1, 3]), priority=st.integers(0, 2))
    def enqueue(self, q: int, priority: int) -> None:
        call_id = f"c{len(self.calls)}"
        self.calls.append(call_id)
        tenant, name = QUEUES[q]
        self.acd.enqueue(NewCall(call_id=call_id, tenant_id=tenant, queue=name, priority=priority))

    def _call(self, i: int) -> str | None:
        live = self.auditor.live()
        return live[i % len(live)] if live else None

    @rule(
        i=st.integers(0, 20),
        action=st.sampled_from(["abandon", "message", "callback", "complete", "transfer"]),
    )
    def caller_or_anyone(self, i: int, action: str) -> None:
        """Something happens to a live call; often not allowed in the call's state (then refused)."""
        if (call_id := self._call(i)) is None:
            return
        if action == "abandon":
            self.attempt(lambda: self.acd.abandon(call_id))
        elif action in ("message", "callback"):
            self.attempt(lambda: self.acd.leave(call_id, CallerChoice(action)))
        elif action == "complete":
            self.attempt(lambda: self.acd.complete(call_id, Party.CALLER))
        else:
            self.attempt(lambda: self.acd.transfer(call_id, "billing"))

    # -- agents -----------------------------------------------------------------------------------

    @rule(
        agent=st.sampled_from(AGENTS),
        action=st.sampled_from(["login", "logoff", "pause", "unpause", "ready"]),
    )
    def agent_action(self, agent: str, action: str) -> None:
        act = getattr(self.acd, action)
        self.attempt(lambda: act(agent))

    @rule(rolls=st.tuples(*[st.integers(0, 9)] * len(AGENTS)))
    def agents_work(self, rolls: tuple[int, ...]) -> None:
        for agent, roll in zip(AGENTS, rolls, strict=True):
            self.agent_works(agent, roll)

    def agent_works(self, agent: str, roll: int) -> None:
        """What an agent in that state would most likely do next (or nothing, for a while)."""
        a = self.acd.agent(agent)
        assert a is not None
        state, offer_id, call_id = a.state, a.offer_id or "", a.call_id or ""
        if state is AgentState.LOGGED_OUT and roll < 8:
            self.acd.login(agent)
        elif state is AgentState.AVAILABLE and roll < 3:
            self.acd.pause(agent, "break") if roll < 2 else self.acd.logoff(agent)
        elif state is AgentState.OFFERED and roll < 8:
            self.attempt(lambda: (self.acd.accept if roll < 6 else self.acd.decline)(agent, offer_id))
        elif state is AgentState.ON_CALL and roll < 7:
            if roll == 6:
                call = self.acd.call(call_id)
                assert call is not None
                self.acd.transfer(call_id, "sales" if call.queue.tenant_id == "acme" else "support")
            else:
                self.acd.complete(call_id, Party.CALLER if roll < 3 else Party.AGENT)
        elif state is AgentState.WRAP_UP and roll < 5:
            self.acd.ready(agent)
        elif state is AgentState.PAUSED and roll < 7:
            self.acd.unpause(agent) if roll < 6 else self.acd.logoff(agent)

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 45.0]))
    def wait(self, seconds: float) -> None:
        advance(self.acd, self.clock, seconds)

    def attempt(self, action: Callable[[], object]) -> None:
        """Refused actions must be refused with an expected type and leave no trace in the log."""
        before = self.store.read_events(self.cursor).events
        try:
            action()
        except EXPECTED:
            assert self.store.read_events(self.cursor).events == before
        except AcdError as exc:  # pragma: no cover - a failure to report
            raise AssertionError(f"unexpected {exc!r}") from exc

    # -- checks -----------------------------------------------------------------------------------

    @invariant()
    def the_log_keeps_every_rule(self) -> None:
        page = self.store.read_events(self.cursor, limit=100_000)
        self.auditor.feed(page.events)
        self.cursor = page.cursor
        for agent_id, state in self.auditor.agents.items():
            snapshot = self.store.get_agent(agent_id)
            assert snapshot is not None and AUDIT_STATES[snapshot.state] == state, (agent_id, snapshot, state)
        for v in self.auditor.visits.values():
            if v.state in ("waiting", "ringing"):
                call = self.store.get_call(v.call_id)
                assert call is not None and call.state is (
                    CallState.WAITING if v.state == "waiting" else CallState.OFFERED
                )

    def teardown(self) -> None:
        try:
            if self.auditor.tenants:
                self.drain()
                self.auditor.finish()
        finally:
            clear = getattr(self.store, "clear", None)
            if clear is not None:
                clear()

    def drain(self) -> None:
        """Everyone answers everything until the queues are empty; calls no agent can ever take hang up."""
        for _ in range(300):
            if not self.auditor.live():
                return
            for agent in AGENTS:
                snapshot = self.acd.agent(agent)
                assert snapshot is not None
                if snapshot.state is AgentState.LOGGED_OUT:
                    self.acd.login(agent)
                elif snapshot.state is AgentState.PAUSED:
                    self.acd.unpause(agent)
                elif snapshot.state is AgentState.WRAP_UP:
                    self.acd.ready(agent)
                elif snapshot.state is AgentState.OFFERED and snapshot.offer_id:
                    self.acd.accept(agent, snapshot.offer_id)
                elif snapshot.state is AgentState.ON_CALL and snapshot.call_id:
                    self.acd.complete(snapshot.call_id, Party.AGENT)
            advance(self.acd, self.clock, 2)
            self.the_log_keeps_every_rule()
        for call_id in self.auditor.live():
            call = self.store.get_call(call_id)
            if call is not None and call.state is not CallState.CONNECTED:
                self.acd.abandon(call_id)
        self.the_log_keeps_every_rule()


def test_random_days_in_process() -> None:
    run_state_machine_as_test(
        AcdDay,
        settings=settings(
            max_examples=400, stateful_step_count=60, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )


@pytest.mark.redis
def test_random_days_on_redis(redis_url: str) -> None:
    from receptionist.acd.redis_store import RedisStore

    class RedisDay(AcdDay):
        make_store = staticmethod(
            lambda: RedisStore.from_url(redis_url, prefix=f"test-acd-{uuid.uuid4().hex[:12]}")
        )

    run_state_machine_as_test(
        RedisDay,
        settings=settings(
            max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
