"""Several OS processes share one Redis ACD: nothing is assigned twice, and a killed router loses nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from receptionist.acd.clock import SystemClock
from receptionist.acd.config import AgentConfig, Overflow, QueueConfig, Strategy
from receptionist.acd.engine import Acd
from receptionist.acd.events import QueueEvent, QueueEventKind
from receptionist.acd.model import AgentState, CallResult, Login, Unpause
from receptionist.acd.redis_store import RedisStore
from tests.acd.audit import Auditor

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared(redis_url: str) -> Iterator[tuple[str, RedisStore]]:
    prefix = f"test-acd-{uuid.uuid4().hex[:12]}"
    store = RedisStore.from_url(redis_url, prefix=prefix)
    yield prefix, store
    store.clear()


def spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.acd.redis_worker", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def all_events(store: RedisStore) -> list[QueueEvent]:
    out: list[QueueEvent] = []
    cursor = "0"
    while page := store.read_events(cursor, limit=10_000):
        if not page.events:
            return out
        out.extend(page.events)
        cursor = page.cursor
    return out


def test_processes_routing_at_once_never_assign_a_call_or_an_agent_twice(
    redis_url: str, shared: tuple[str, RedisStore]
) -> None:
    prefix, store = shared
    rng = random.Random(4)
    store.configure_queue(QueueConfig(tenant_id="acme", name="sales", ring_timeout_s=0.5, max_wait_s=3.0))
    store.configure_queue(
        QueueConfig(
            tenant_id="acme",
            name="billing",
            strategy=Strategy.SKILLS,
            skills=frozenset({"billing"}),
            ring_timeout_s=0.5,
            max_wait_s=3.0,
            on_timeout=Overflow.to_queue("sales"),
        )
    )
    store.configure_queue(
        QueueConfig(
            tenant_id="globex", name="support", strategy=Strategy.RING_ALL, ring_timeout_s=0.5, max_wait_s=3.0
        )
    )
    tenants: dict[str, int] = {}
    now = SystemClock().now()
    for i in range(24):
        served = rng.choice([("acme",), ("globex",), ("acme", "globex")])
        tenants[f"a{i}"] = len(served)
        skills = {"billing": rng.randint(1, 10)} if rng.random() < 0.5 else {}
        store.configure_agent(AgentConfig(agent_id=f"a{i}", tenants=frozenset(served), skills=skills))
        store.agent_command(f"a{i}", Login(), now)
    workers = [spawn("stress", redis_url, prefix, f"p{n}", str(n), "4000", "24") for n in range(4)]
    reports = [json.loads(w.communicate(timeout=120)[0]) for w in workers]
    assert all(w.returncode == 0 for w in workers)

    events = all_events(store)
    auditor = Auditor(tenants)
    auditor.feed(
        events
    )  # no agent offered while holding a call, no call offered out of turn, one end per visit
    connects = Counter(e.call_id for e in events if e.kind is QueueEventKind.CONNECT)
    assert connects and max(connects.values()) == 1  # no call connected twice
    reported = [c for r in reports for c in r["connected"]]
    assert sorted(reported) == sorted(connects)  # each connect was won by exactly one process
    for agent_id, state in auditor.agents.items():
        snapshot = store.get_agent(agent_id)
        assert snapshot is not None and snapshot.state.value in _STATES[state]
    assert len(events) > 10_000 and auditor.offers > 2_000 and auditor.connects > 1_000
    assert sum(r["refused"] for r in reports) > 0  # illegal actions were tried, and refused
    assert sum(r["stale"] for r in reports) > 0  # processes lost races for offers another had settled


_STATES = {
    "out": {"logged_out"},
    "free": {"available"},
    "ringing": {"offered"},
    "oncall": {"on_call"},
    "wrap": {"wrap_up"},
    "paused": {"paused"},
}


def test_a_router_killed_while_calls_wait_loses_none_of_them(
    redis_url: str, shared: tuple[str, RedisStore]
) -> None:
    prefix, store = shared
    store.configure_queue(QueueConfig(tenant_id="acme", name="sales", ring_timeout_s=1.0))
    acd = Acd(store, clock=SystemClock())
    for i in range(3):
        acd.configure_agent(AgentConfig(agent_id=f"a{i}", tenants=frozenset({"acme"}), max_no_answer=0))
        acd.login(f"a{i}")
        acd.pause(f"a{i}", "not yet")
    router = spawn("route", redis_url, prefix, "k", "40")
    try:
        assert router.stdout is not None and router.stdout.readline().strip() == "ready"
        for i in range(3):  # the agents come back; the router offers them calls nobody answers yet
            store.agent_command(f"a{i}", Unpause(), SystemClock().now())
        deadline = time.monotonic() + 10
        while not all(_state(store, f"a{i}") is AgentState.OFFERED for i in range(3)):
            assert time.monotonic() < deadline, "the router made no offers"
            time.sleep(0.01)
    finally:
        router.send_signal(signal.SIGKILL)
        router.wait(timeout=10)
    assert router.returncode == -signal.SIGKILL
    waiting = [
        c for i in range(40) if (c := store.get_call(f"k-c{i}")) is not None and c.state.value == "waiting"
    ]
    assert len(waiting) >= 30
    # the dead router's open offers expire (their lease is the ring timeout) while nobody ticks
    time.sleep(1.1)

    rescuer = spawn("drain", redis_url, prefix, "k", "40", "3")
    report = json.loads(rescuer.communicate(timeout=60)[0])
    assert rescuer.returncode == 0
    results = [store.get_call(f"k-c{i}") for i in range(40)]
    assert all(r is not None and r.result is CallResult.CONNECTED for r in results)
    assert sorted(report["connected"]) == sorted(f"k-c{i}" for i in range(40))
    events = all_events(store)
    Auditor(dict.fromkeys((f"a{i}" for i in range(3)), 1)).feed(events)
    connects = Counter(e.call_id for e in events if e.kind is QueueEventKind.CONNECT)
    assert connects == Counter({f"k-c{i}": 1 for i in range(40)})
    assert any(e.kind is QueueEventKind.RING_NO_ANSWER for e in events)  # the dead router's offers rang out


def _state(store: RedisStore, agent_id: str) -> AgentState | None:
    snapshot = store.get_agent(agent_id)
    return None if snapshot is None else snapshot.state
