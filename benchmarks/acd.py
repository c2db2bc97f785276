"""ACD routing benchmark: decisions per second and p99 latency, in process and on Redis.

    python benchmarks/acd.py [--json] [--redis-url URL] [--decisions N] [--redis-decisions N] [--no-docs]

10,000 agents serve 200 queues (20 tenants x 10 concerns); each agent serves 1-3 tenants and has 3-5 of the
10 skills at levels 1-10, so each is a member of several queues and each queue has a few hundred members.
The queues use longest-idle, skills-first, round-robin and fewest-calls strategies (ring-all offers a call
to many agents at once, so it is not one decision). 90 % of agents are on calls the whole time.

One *decision* is one ``store.route(now)``: the queue whose waiting call is most urgent is found, its head
call is matched to the member its strategy picks among the available ones, and everything is updated (call
and agent state, every index the agent is in, the ring timer, the event log) — one at a time, never in
batches. Around each decision, untimed: a call enters a random queue before, and after, the agent accepts
and completes it, so 10 % of agents stay available. Exits 2 if Redis cannot be reached. Writes its section
of docs/benchmarks.md unless ``--no-docs``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from receptionist.acd.clock import FakeClock
from receptionist.acd.config import AgentConfig, QueueConfig, Strategy
from receptionist.acd.memory import MemoryStore
from receptionist.acd.model import Accept, Complete, Login, NewCall, Party
from receptionist.acd.store import AcdStore

AGENTS = 10_000
TENANTS = 20
QUEUES_PER_TENANT = 10
BUSY = 0.9
STRATEGIES = (Strategy.LONGEST_IDLE, Strategy.SKILLS, Strategy.ROUND_ROBIN, Strategy.FEWEST_CALLS)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
START, END = "<!-- acd:start -->", "<!-- acd:end -->"


def queues() -> list[QueueConfig]:
    return [
        QueueConfig(
            tenant_id=f"t{t:02d}",
            name=f"q{q}",
            strategy=STRATEGIES[(t * QUEUES_PER_TENANT + q) % len(STRATEGIES)],
            skills=frozenset({f"s{q}"}),
        )
        for t in range(TENANTS)
        for q in range(QUEUES_PER_TENANT)
    ]


def agents(rng: random.Random) -> list[AgentConfig]:
    out = []
    for i in range(AGENTS):
        tenants = frozenset(f"t{t:02d}" for t in rng.sample(range(TENANTS), rng.randint(1, 3)))
        skills = {
            f"s{s}": rng.randint(1, 10) for s in rng.sample(range(QUEUES_PER_TENANT), rng.randint(3, 5))
        }
        out.append(AgentConfig(agent_id=f"a{i:05d}", tenants=tenants, skills=skills))
    return out


class Bench:
    """Drives one store through the setup and the timed decisions."""

    def __init__(self, store: AcdStore, seed: int = 7) -> None:
        self.store = store
        self.clock = FakeClock(datetime(2025, 1, 6, 9, 0, tzinfo=UTC))
        self.rng = random.Random(seed)
        self.queues = queues()
        self.n = 0

    def tick_ms(self) -> datetime:
        return self.clock.advance(0.001)

    def new_call(self) -> NewCall:
        q = self.rng.choice(self.queues)
        self.n += 1
        return NewCall(
            call_id=f"c{self.n}", tenant_id=q.tenant_id, queue=q.name, priority=self.rng.choice((0, 0, 0, 5))
        )

    def setup(self, progress: Callable[[str], None]) -> None:
        for q in self.queues:
            self.store.configure_queue(q)
        progress("queues configured")
        configs = agents(self.rng)
        for a in configs:
            self.store.configure_agent(a)
        progress("agents configured")
        for a in configs:
            self.store.agent_command(a.agent_id, Login(), self.tick_ms())
        progress("agents logged in")
        busy, target = 0, int(AGENTS * BUSY)
        while busy < target:
            call = self.new_call()
            now = self.tick_ms()
            self.store.enqueue(call, now)
            routed = self.store.route(now)
            if routed is None:
                continue
            self.store.agent_command(routed.offer.agent_ids[0], Accept(routed.offer.offer_id), now)
            busy += 1
        progress(f"{busy} agents on calls")

    def run(self, decisions: int) -> dict[str, float]:
        latencies: list[int] = []
        misses = 0
        started = time.perf_counter()
        while len(latencies) < decisions:
            call = self.new_call()
            now = self.tick_ms()
            self.store.enqueue(call, now)
            t0 = time.perf_counter_ns()
            routed = self.store.route(now)
            elapsed = time.perf_counter_ns() - t0
            if routed is None:  # every member of that queue is busy: the call waits (not a decision)
                misses += 1
                continue
            latencies.append(elapsed)
            agent_id, offer_id = routed.offer.agent_ids[0], routed.offer.offer_id
            self.store.agent_command(agent_id, Accept(offer_id), now)
            self.store.call_command(routed.offer.call_id, Complete(Party.CALLER), now)
        wall = time.perf_counter() - started
        latencies.sort()
        total_s = sum(latencies) / 1e9
        return {
            "decisions": decisions,
            "decisions_per_s": round(decisions / total_s),
            "p50_ms": round(latencies[len(latencies) // 2] / 1e6, 4),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] / 1e6, 4),
            "max_ms": round(latencies[-1] / 1e6, 3),
            "mean_ms": round(statistics.fmean(latencies) / 1e6, 4),
            "cycles_per_s": round(decisions / wall),  # enqueue + decision + accept + complete, end to end
            "calls_left_waiting": misses,
        }


def redis_store(url: str) -> AcdStore:
    try:
        import redis

        from receptionist.acd.redis_store import RedisStore
    except ImportError as exc:
        sys.exit(f"Redis benchmark needs redis-py: pip install 'receptionist[redis]' ({exc})")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except (redis.RedisError, OSError) as exc:
        print(f"Redis not reachable at {url}: {exc}", file=sys.stderr)
        sys.exit(2)
    return RedisStore.from_url(url, prefix=f"bench-acd-{uuid.uuid4().hex[:8]}")


def ping_ms(url: str, n: int = 2000) -> float:
    """Median round trip of a bare PING through redis-py: the floor under any one-call decision."""
    import redis

    client = redis.Redis.from_url(url)
    times = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        client.ping()
        times.append(time.perf_counter_ns() - t0)
    client.close()
    return round(statistics.median(times) / 1e6, 4)


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def write_docs(result: dict[str, Any], command: str) -> None:
    inp, red = result["inprocess"], result["redis"]
    section = f"""{START}
## ACD routing (`benchmarks/acd.py`)

A decision is one waiting call matched to one agent with every index, timer and log record updated, one
at a time. 10,000 agents with 3-5 skills each, serving 1-3 of 20 tenants, across 200 queues (longest-idle,
skills-first, round-robin, fewest-calls); 90 % of agents on calls throughout.

Reproduce: `{command}` — measured {result["date"]} on {result["machine"]["cpus"]} cores,
Python {result["machine"]["python"]}, {result["machine"]["platform"]}; Redis on loopback.

| store | decisions/s | p50 ms | p99 ms | max ms | target |
|---|---:|---:|---:|---:|---|
| in-process | {inp["decisions_per_s"]:,} | {inp["p50_ms"]} | {inp["p99_ms"]} | {inp["max_ms"]} | ≥ 20,000/s, p99 ≤ 1 ms |
| Redis (one Lua call) | {red["decisions_per_s"]:,} | {red["p50_ms"]} | {red["p99_ms"]} | {red["max_ms"]} | ≥ 2,000/s |

A bare PING through redis-py takes {red["ping_p50_ms"]} ms here, the floor under any one-call decision; the
rest is the Lua function (a few dozen commands inside Redis) and decoding its reply. The in-process
maximum is a garbage-collector pause.
End to end (enqueue + decision + accept + complete, each a separate store call): in-process
{inp["cycles_per_s"]:,} calls/s, Redis {red["cycles_per_s"]:,} calls/s.
{END}"""
    text = (
        DOCS.read_text()
        if DOCS.exists()
        else (
            "# Benchmarks\n\nMeasured figures for the parts of the receptionist where speed matters, each with the command "
            "that reproduces it. Each section is written by its own benchmark script.\n"
        )
    )
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)


def progress(say: Callable[[str], None], name: str, started: float) -> Callable[[str], None]:
    def report(message: str) -> None:
        say(f"[{name}] {message} ({time.perf_counter() - started:.1f} s)")

    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--redis-url", default=os.environ.get("RECEPTIONIST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--redis-decisions", type=int, default=10_000)
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    def say(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout)

    shared = redis_store(args.redis_url)  # exits 2 before any work if Redis is unreachable

    result: dict[str, Any] = {"date": datetime.now(UTC).date().isoformat(), "machine": machine()}
    for name, store, decisions in (
        ("inprocess", MemoryStore(), args.decisions),
        ("redis", shared, args.redis_decisions),
    ):
        bench = Bench(store)
        started = time.perf_counter()
        bench.setup(progress(say, name, started))
        figures = bench.run(decisions)
        if name == "redis":
            figures["ping_p50_ms"] = ping_ms(args.redis_url)
        result[name] = figures
        say(f"[{name}] {figures}")
        clear = getattr(store, "clear", None)
        if clear is not None:
            clear()
    if args.json:
        print(json.dumps(result, indent=2))
    if not args.no_docs:
        write_docs(result, "python benchmarks/acd.py")


if __name__ == "__main__":
    main()
