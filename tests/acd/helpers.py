"""A scripted day in a call centre: move the fake clock to second ``t``, act, and read back the queue log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from receptionist.acd.clock import FakeClock
from receptionist.acd.config import AgentConfig, QueueConfig
from receptionist.acd.engine import Acd, Activity
from receptionist.acd.events import QueueEvent
from receptionist.acd.model import CallerChoice, CallKind, NewCall, Party
from receptionist.acd.simulation import advance

TENANT = "acme"
Row = tuple[float, str, str | None, str | None, str | None]  # (t, kind, queue, call, agent)


def queue(name: str = "sales", **options: Any) -> QueueConfig:
    options.setdefault("tenant_id", TENANT)
    return QueueConfig(name=name, **options)


def agent(agent_id: str, *, tenants: Iterable[str] = (TENANT,), **options: Any) -> AgentConfig:
    return AgentConfig(agent_id=agent_id, tenants=frozenset(tenants), **options)


class Scenario:
    """Drives an :class:`Acd` on a :class:`FakeClock` measured in seconds from the start."""

    def __init__(self, acd: Acd, clock: FakeClock) -> None:
        self.acd = acd
        self.clock = clock
        self.start = clock.now()

    def setup(self, *configs: QueueConfig | AgentConfig) -> Scenario:
        for config in configs:
            if isinstance(config, QueueConfig):
                self.acd.configure_queue(config)
            else:
                self.acd.configure_agent(config)
        return self

    @property
    def t(self) -> float:
        return (self.clock.now() - self.start).total_seconds()

    def at(self, t: float) -> Scenario:
        """Move to second ``t``, firing every timer on the way at its due time."""
        advance(self.acd, self.clock, t - self.t)
        return self

    def enqueue(
        self, call_id: str, queue: str = "sales", *, priority: int = 0, tenant: str = TENANT
    ) -> Activity:
        return self.acd.enqueue(NewCall(call_id=call_id, tenant_id=tenant, queue=queue, priority=priority))

    def offer_of(self, agent_id: str) -> str:
        snapshot = self.acd.agent(agent_id)
        assert snapshot is not None and snapshot.offer_id is not None, f"{agent_id} has no open offer"
        return snapshot.offer_id

    def accept(self, agent_id: str) -> Activity:
        return self.acd.accept(agent_id, self.offer_of(agent_id))

    def decline(self, agent_id: str) -> Activity:
        return self.acd.decline(agent_id, self.offer_of(agent_id))

    def complete(self, call_id: str, by: Party = Party.CALLER) -> Activity:
        return self.acd.complete(call_id, by)

    def leave(self, call_id: str, choice: CallerChoice) -> Activity:
        return self.acd.leave(call_id, choice)

    def events(self) -> list[QueueEvent]:
        out: list[QueueEvent] = []
        cursor = "0"
        while True:
            page = self.acd.store.read_events(cursor)
            if not page.events:
                return out
            out.extend(page.events)
            cursor = page.cursor

    def log(self) -> list[Row]:
        return [
            ((e.at - self.start) / timedelta(seconds=1), e.kind.value, e.queue, e.call_id, e.agent_id)
            for e in self.events()
        ]

    def find(self, kind: str, call_id: str | None = None, agent_id: str | None = None) -> QueueEvent:
        for e in self.events():
            if e.kind.value == kind and call_id in (None, e.call_id) and agent_id in (None, e.agent_id):
                return e
        raise AssertionError(f"no {kind} event for call {call_id} agent {agent_id}")


def rows(text: str) -> list[Row]:
    """A hand-worked timeline, one event per line: ``t KIND queue call agent`` with ``-`` for none."""
    out: list[Row] = []
    for line in text.strip().splitlines():
        t, kind, q, call, ag = line.split()
        out.append(
            (
                float(t),
                kind,
                None if q == "-" else q,
                None if call == "-" else call,
                None if ag == "-" else ag,
            )
        )
    return out


__all__ = ["TENANT", "CallKind", "Row", "Scenario", "agent", "queue", "rows"]
