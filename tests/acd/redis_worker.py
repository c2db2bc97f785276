"""A separate OS process working one Redis ACD store, for the concurrency tests.

``python -m tests.acd.redis_worker stress URL PREFIX NAME SEED OPS AGENTS``: random callers and agents a0..
(shared with the other processes) for OPS operations; prints what this process connected, as JSON.
``... route URL PREFIX NAME CALLS``: enqueues CALLS calls, prints "ready", then ticks and routes forever.
``... drain URL PREFIX NAME CALLS AGENTS``: acts as every agent (accepts, completes) and routes until the
calls NAME-c0..c(CALLS-1) are all connected; prints what it connected, as JSON.
"""

from __future__ import annotations

import json
import random
import sys
import time

from receptionist.acd.clock import SystemClock
from receptionist.acd.engine import Acd
from receptionist.acd.errors import IllegalCallState, IllegalTransition, StaleOffer, UnknownCall
from receptionist.acd.model import AgentState, CallResult, NewCall, Party
from receptionist.acd.redis_store import RedisStore

REFUSED = (IllegalTransition, IllegalCallState, StaleOffer, UnknownCall)
QUEUES = (("acme", "sales"), ("acme", "billing"), ("globex", "support"))


def roster(n: int) -> list[str]:
    return [f"a{i}" for i in range(n)]


def stress(acd: Acd, name: str, seed: int, ops: int, n_agents: int) -> dict[str, object]:
    rng = random.Random(seed)
    agents = roster(n_agents)
    connected: list[str] = []
    mine: list[str] = []
    refused = stale = 0
    for i in range(ops):
        r = rng.random()
        agent = rng.choice(agents)
        try:
            if r < 0.25:
                tenant, queue = rng.choice(QUEUES)
                call_id = f"{name}-c{i}"
                acd.enqueue(
                    NewCall(call_id=call_id, tenant_id=tenant, queue=queue, priority=rng.randint(0, 2))
                )
                mine.append(call_id)
            elif r < 0.55:
                snap = acd.agent(agent)
                if snap is not None and snap.offer_id is not None:
                    if rng.random() < 0.8:
                        acd.accept(agent, snap.offer_id)
                        connected.append(snap.call_id or "")
                    else:
                        acd.decline(agent, snap.offer_id)
            elif r < 0.75:
                snap = acd.agent(agent)
                if snap is not None and snap.state is AgentState.ON_CALL and snap.call_id:
                    acd.complete(snap.call_id, rng.choice(list(Party)))
            elif r < 0.85:
                getattr(acd, rng.choice(["login", "logoff", "pause", "unpause", "ready"]))(agent)
            elif r < 0.9 and mine:
                acd.abandon(rng.choice(mine))
            else:
                acd.tick()
        except StaleOffer:
            stale += 1  # another process (or a timer) got to the offer first
        except REFUSED:
            refused += 1
    return {"connected": connected, "refused": refused, "stale": stale}


def route(acd: Acd, name: str, calls: int) -> None:
    for i in range(calls):
        acd.enqueue(NewCall(call_id=f"{name}-c{i}", tenant_id="acme", queue="sales"))
    print("ready", flush=True)
    while True:
        acd.tick()
        time.sleep(0.005)


def drain(acd: Acd, name: str, calls: int, n_agents: int, timeout_s: float = 40.0) -> dict[str, object]:
    wanted = {f"{name}-c{i}" for i in range(calls)}
    connected: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        acd.tick()
        for agent in roster(n_agents):
            snap = acd.agent(agent)
            assert snap is not None
            try:
                if snap.state is AgentState.PAUSED:
                    acd.unpause(agent)
                elif snap.state is AgentState.OFFERED and snap.offer_id:
                    acd.accept(agent, snap.offer_id)
                    connected.append(snap.call_id or "")
                elif snap.state is AgentState.ON_CALL and snap.call_id:
                    acd.complete(snap.call_id, Party.AGENT)
            except REFUSED:
                pass
        if all(_result(acd, c) is CallResult.CONNECTED for c in wanted):
            break
        time.sleep(0.01)
    return {"connected": connected}


def _result(acd: Acd, call_id: str) -> CallResult | None:
    call = acd.call(call_id)
    return None if call is None else call.result


def main(argv: list[str]) -> None:
    mode, url, prefix, name, *rest = argv
    acd = Acd(RedisStore.from_url(url, prefix=prefix), clock=SystemClock())
    if mode == "stress":
        print(json.dumps(stress(acd, name, int(rest[0]), int(rest[1]), int(rest[2]))))
    elif mode == "route":
        route(acd, name, int(rest[0]))
    elif mode == "drain":
        print(json.dumps(drain(acd, name, int(rest[0]), int(rest[1]))))


if __name__ == "__main__":
    main(sys.argv[1:])
