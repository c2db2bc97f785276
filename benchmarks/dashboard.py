"""Owner dashboard API benchmark: p50/p95 of the dashboard routes over 100,000 calls, on SQLite and PostgreSQL.

    python benchmarks/dashboard.py [--json] [--calls N] [--days D] [--requests N] [--postgres-url URL]
                                   [--no-postgres] [--keep] [--no-docs]

Each database is filled fresh: a SQLite file in a temporary directory, and a PostgreSQL database
``receptionist_bench`` created (and dropped afterwards, unless ``--keep``) through the server's
``postgres`` database, so the tests' own database is never touched. One tenant gets ``--calls`` calls
spread over ``--days`` days (another tenant a twentieth as many), each with 6 turns and a summary; 20 % took
a message, 20 % were queued for a person (queue log: enter, ring, connect or abandon, complete, wrap-up;
escalations; wrap-up notes). Rows go in with bulk INSERTs of a few thousand rows each, then the database
is analysed (PostgreSQL: ``VACUUM ANALYZE``, the state autovacuum keeps a live table in; without it a
freshly loaded table has no visibility map and no index-only scan).

Requests go through the real ASGI app (``httpx.AsyncClient`` over ``ASGITransport``), signed in as the
tenant's owner with a real API token, so authentication, routing, validation, the tenant check, the
services, the SQL and the JSON encoding (or, for the pages, the HTML templates) are all timed. Each route is
warmed up, then requested ``--requests`` times one after another. Writes its section of
docs/benchmarks.md unless ``--no-docs``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import URL, Connection

from receptionist.acd.agents_file import AgentDirectory
from receptionist.acd.clock import FakeClock
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.dashboard.calls import encode_cursor
from receptionist.storage.accounts import UserRepository
from receptionist.storage.database import Database, normalise_url
from receptionist.storage.tables import (
    CallTable,
    EscalationTable,
    MessageTable,
    QueueEventTable,
    SummaryTable,
    TenantTable,
    TurnTable,
    WrapUpNoteTable,
)
from receptionist.web.app import create_app
from receptionist.web.auth.passwords import hash_password
from receptionist.web.auth.sessions import create_api_token

MAIN, OTHER = "bench-main", "bench-other"
NOW = datetime(2030, 7, 1, tzinfo=UTC)
CONCERNS = ("billing", "cleaning", "emergency", "appointment", "records", "insurance", "hours", "other")
OUTCOMES = (
    ("resolved", 0.45),
    ("message_taken", 0.2),
    ("transferred", 0.2),
    ("abandoned", 0.1),
    ("failed", 0.05),
)
CHUNK = 5_000
TARGET_P95_MS = 100.0
BENCH_DB = "receptionist_bench"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# -- filling ---------------------------------------------------------------------------------------------


def fill(db: Database, *, calls: int, days: int, say: Callable[[str], None]) -> None:
    """Insert the tenants and their calls with everything that hangs off them, in bulk."""
    rng = random.Random(7)
    with db.engine.begin() as conn:
        conn.execute(insert(TenantTable), [{"id": MAIN, "name": "Main"}, {"id": OTHER, "name": "Other"}])
    started = time.perf_counter()
    for tenant, n in ((MAIN, calls), (OTHER, max(1, calls // 20))):
        for first in range(0, n, CHUNK):
            rows = [_call(rng, tenant, days) for _ in range(min(CHUNK, n - first))]
            with db.engine.begin() as conn:
                _insert_call_rows(conn, rng, rows)
            say(f"{tenant}: {first + len(rows):,} calls ({time.perf_counter() - started:.0f} s)")
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _call(rng: random.Random, tenant: str, days: int) -> dict[str, Any]:
    day = rng.randrange(days)
    second = int(rng.triangular(7 * 3600, 19 * 3600, 11 * 3600))  # busiest mid-morning
    start = NOW - timedelta(days=day + 1, seconds=-second)
    outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    return {
        "id": uuid.UUID(int=rng.getrandbits(128)).hex, "tenant_id": tenant, "channel": "sip",
        "caller_number": f"+1617555{rng.randrange(10_000):04d}", "dialled_number": "+16175550199",
        "started_at": start, "ended_at": start + timedelta(seconds=rng.randint(20, 600)),
        "concern": rng.choice(CONCERNS), "outcome": outcome,
    }  # fmt: skip


def _insert_call_rows(conn: Connection, rng: random.Random, calls: list[dict[str, Any]]) -> None:
    turns, summaries, messages, escalations, events, notes = [], [], [], [], [], []
    for c in calls:
        key = {"call_id": c["id"], "tenant_id": c["tenant_id"]}
        for seq in range(6):
            role = "receptionist" if seq % 2 == 0 else "caller"
            turns.append(key | {"seq": seq, "role": role, "text": f"{role} says something about {c['concern']} "
                                "and a little more so the row has a realistic length.",
                                "at": c["started_at"] + timedelta(seconds=8 * seq)})  # fmt: skip
        summaries.append(key | {"text": f"Caller asked about {c['concern']}. " * 12, "source": "offline",
                                "reason": c["concern"], "action_items": ["call back"],
                                "created_at": c["ended_at"]})  # fmt: skip
        if c["outcome"] == "message_taken":
            messages.append(key | {"id": uuid.UUID(int=rng.getrandbits(128)).hex, "name": "Dana Whitfield",
                                   "phone": c["caller_number"], "reason": f"about {c['concern']}",
                                   "urgency": "normal", "best_time": None, "created_at": c["ended_at"],
                                   "handled_at": c["ended_at"] if rng.random() < 0.7 else None})  # fmt: skip
        if c["outcome"] in ("transferred", "abandoned") and rng.random() < 0.9:
            escalations.append(key | {"queue": "front-desk", "priority": 0, "reason": "asked for a person",
                                      "trigger": "caller_request", "status": "queued",
                                      "created_at": c["started_at"] + timedelta(seconds=30)})  # fmt: skip
            events += _visit(rng, c)
            if c["outcome"] == "transferred" and rng.random() < 0.5:
                notes.append({"tenant_id": c["tenant_id"], "call_id": c["id"], "agent_id": "ann",
                              "text": "Sorted it out.", "created_at": c["ended_at"]})  # fmt: skip
    conn.execute(insert(CallTable), calls)
    for table, rows in ((TurnTable, turns), (SummaryTable, summaries), (MessageTable, messages),
                        (EscalationTable, escalations), (QueueEventTable, events), (WrapUpNoteTable, notes)):  # fmt: skip
        if rows:
            conn.execute(insert(table), rows)


def _visit(rng: random.Random, c: dict[str, Any]) -> list[dict[str, Any]]:
    entered = c["started_at"] + timedelta(seconds=30)
    wait = timedelta(seconds=rng.randint(2, 60))
    base = {"tenant_id": c["tenant_id"], "queue": "front-desk", "call_id": c["id"], "data": {}}
    rows = [base | {"kind": "ENTERQUEUE", "agent_id": None, "at": entered},
            base | {"kind": "RINGING", "agent_id": "ann", "at": entered + timedelta(seconds=1)}]  # fmt: skip
    if c["outcome"] == "abandoned":
        return [*rows, base | {"kind": "ABANDON", "agent_id": None, "at": entered + wait}]
    end = c["ended_at"]
    return [*rows, base | {"kind": "CONNECT", "agent_id": "ann", "at": entered + wait},
            base | {"kind": "COMPLETECALLER", "agent_id": "ann", "at": end},
            base | {"kind": "WRAPUPEND", "agent_id": "ann", "at": end + timedelta(seconds=30)}]  # fmt: skip


# -- measuring -------------------------------------------------------------------------------------------


async def measure(
    db: Database, *, calls: int, requests: int, say: Callable[[str], None]
) -> dict[str, dict[str, float]]:
    app = create_app(
        service=AcdService(Acd(MemoryStore(), clock=FakeClock())), agents=AgentDirectory([]), db=db
    )
    headers = {"Authorization": f"Bearer {owner_token(db)}"}  # the real authentication path
    with db.engine.connect() as conn:
        ids = list(conn.scalars(select(CallTable.id).where(CallTable.tenant_id == MAIN).limit(2000)))
        deep = conn.execute(
            select(CallTable.started_at, CallTable.id)
            .where(CallTable.tenant_id == MAIN)
            .order_by(CallTable.started_at.desc(), CallTable.id.desc())
            .offset(int(calls * 0.9))
            .limit(1)
        ).one()
    deep_cursor = encode_cursor(deep.started_at, deep.id)
    to_day = (NOW - timedelta(days=1)).date()
    month = {"from": (to_day - timedelta(days=29)).isoformat(), "to": to_day.isoformat()}
    base = f"/api/tenants/{MAIN}"
    picks = iter(ids * (requests // len(ids) + 2))
    routes: dict[str, Callable[[], tuple[str, dict[str, Any]]]] = {
        "calls: first page": lambda: (f"{base}/calls", {}),
        "calls: concern + outcome + 30 days": lambda: (
            f"{base}/calls", {"concern": "billing", "outcome": "transferred", **month}),
        "calls: page 90 % deep (cursor)": lambda: (f"{base}/calls", {"cursor": deep_cursor}),
        "calls: caller digits": lambda: (f"{base}/calls", {"caller": "5550042"}),
        "calls: caller digits, every call matches": lambda: (f"{base}/calls", {"caller": "+1 617"}),
        "call detail": lambda: (f"{base}/calls/{next(picks)}", {}),
        "messages: open ones": lambda: (f"{base}/messages", {"handled": "false"}),
        "stats: 30 days": lambda: (f"{base}/stats", month),
        "page: calls": lambda: (f"/dashboard/{MAIN}/calls", {}),
        "page: calls, concern + outcome + 30 days": lambda: (
            f"/dashboard/{MAIN}/calls", {"concern": "billing", "outcome": "transferred", **month}),
        "page: call": lambda: (f"/dashboard/{MAIN}/calls/{next(picks)}", {}),
        "page: messages": lambda: (f"/dashboard/{MAIN}/messages", {}),
        "page: stats, 30 days": lambda: (f"/dashboard/{MAIN}/stats", {"period": "custom", **month}),
    }  # fmt: skip
    figures: dict[str, dict[str, float]] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
        for name, request in routes.items():
            for _ in range(3):
                path, params = request()
                warm = await client.get(path, params=params)
                if warm.status_code != 200:
                    raise RuntimeError(f"{name}: {warm.status_code} {warm.text}")
            times = []
            for _ in range(requests):
                path, params = request()
                started = time.perf_counter()
                response = await client.get(path, params=params)
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            cuts = statistics.quantiles(times, n=100, method="inclusive")
            figures[name] = {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(cuts[94], 2),
                             "max_ms": round(max(times), 2), "items": _items(response)}  # fmt: skip
            say(f"  {name}: {figures[name]}")
    return figures


def _items(response: httpx.Response) -> float:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return float(response.text.count('data-testid="call-row"'))  # a page: its rows
    body = response.json()
    return float(len(body["items"])) if "items" in body else float(body.get("calls", 1))


def owner_token(db: Database) -> str:
    """An API token of a real owner account of the main tenant (created once per database)."""
    users = UserRepository(db)
    user = users.by_email("owner@bench.example.com") or users.create(
        "owner@bench.example.com", "Owner", hash_password("bench-password-1"), "owner", tenant_id=MAIN
    )
    return create_api_token(db, user.id, "bench").token


# -- databases -------------------------------------------------------------------------------------------


def sqlite_database() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as scratch:
        db = Database(f"sqlite:///{Path(scratch) / 'bench.db'}")
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()


def postgres_database(admin_url: str, *, keep: bool) -> Iterator[Database]:
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    url: URL = normalise_url(admin_url).set(database=BENCH_DB)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
        db = Database(url)
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()
            if not keep:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
    finally:
        admin.dispose()


def table(result: dict[str, Any]) -> str:
    names = list(next(v for k, v in result.items() if k in ("sqlite", "postgresql")))
    dbs = [k for k in ("sqlite", "postgresql") if k in result]
    head = "| route | " + " | ".join(f"{d} p50 ms | {d} p95 ms" for d in dbs) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(dbs)]
    for name in names:
        cells = " | ".join(f"{result[d][name]['p50_ms']} | {result[d][name]['p95_ms']}" for d in dbs)
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines)


def write_docs(result: dict[str, Any], command: str) -> None:
    worst = max(f["p95_ms"] for d in ("sqlite", "postgresql") if d in result for f in result[d].values())
    verdict = "met" if worst < TARGET_P95_MS else "NOT met"
    slow = sorted({n for d in ("sqlite", "postgresql") if d in result for n, f in result[d].items()
                   if f["p95_ms"] >= TARGET_P95_MS})  # fmt: skip
    during = "; ".join(f"{d} {a} / {b}" for d, (a, b) in result.get("load_while_measuring", {}).items())
    load = f"1-minute load average before / after measuring: {during} (2 cores, shared).\n" if during else ""
    over = f"; over it: {', '.join(slow)}" if slow else ""
    period_calls = int(
        next(result[d] for d in ("sqlite", "postgresql") if d in result)["stats: 30 days"]["items"]
    )
    body = f"""
{result["calls"]:,} calls of one tenant over {result["days"]} days (plus {result["calls"] // 20:,} of another),
each with 6 turns and a summary; 20 % with a message, ~20 % queued for a person (queue log, escalations,
wrap-up notes), then analysed (PostgreSQL: `VACUUM ANALYZE`). Each route requested {result["requests"]} times
one after another through the ASGI app (httpx `ASGITransport`; authentication, routing, validation,
tenant check, services, SQL, JSON or the HTML templates), signed in as the owner with a real API token.
`page:` rows are the owner's HTML pages (server-rendered, times in the tenant's zone); the others the
REST API they share their services with. Lists are 50 calls; the 90 %-deep page starts from a cursor 90,000 calls down; the caller search
`5550042` (the last digits) matches about one call in ten thousand, `+1 617` (the first) every call; stats
cover 30 local days.

{table(result)}

Target: every route p95 < {TARGET_P95_MS:.0f} ms on both databases — {verdict} (worst p95 {worst} ms){over}.

The caller search (`?caller=`: the number, digits only, starts or ends with the typed digits) seeks
`calls (tenant_id, caller_digits)` and `(tenant_id, caller_digits_reversed)` when fewer than 2,000 calls
match (a bounded count on those indexes decides), and otherwise walks the calls newest first, where
matches are common enough to fill a page soon. The statistics cost grows with the calls and queue events
*in the period* (here {period_calls:,} calls in 30 days): two GROUP BYs read from the covering index
`ix_calls_tenant_started_concern_outcome`, and one query that pairs each ENTERQUEUE of the period with the
call's next visit-ending event (`LEAD() OVER (PARTITION BY call_id ORDER BY at, id)`) and aggregates the
queue figures; nothing is replayed in Python.
{load}"""
    from report import write_section  # benchmarks/ is on the path when run as a script

    write_section("dashboard", "Owner dashboard pages and API (`benchmarks/dashboard.py`)", body, command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="the server's maintenance database")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--from-json", type=Path, help="write the docs from a saved --json result instead")
    args = parser.parse_args()
    if args.from_json:
        write_docs(json.loads(args.from_json.read_text()), "python benchmarks/dashboard.py")
        return

    def say(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    result: dict[str, Any] = {"calls": args.calls, "days": args.days, "requests": args.requests}
    databases: list[tuple[str, Callable[[], Iterator[Database]]]] = [("sqlite", sqlite_database)]
    if not args.no_postgres:
        databases.append(("postgresql", lambda: postgres_database(args.postgres_url, keep=args.keep)))
    for name, open_db in databases:
        say(f"[{name}] filling")
        for db in open_db():
            fill(db, calls=args.calls, days=args.days, say=lambda m, n=name: say(f"[{n}] {m}"))
            say(f"[{name}] measuring")
            before = round(os.getloadavg()[0], 2)
            result[name] = asyncio.run(measure(db, calls=args.calls, requests=args.requests, say=say))
            result.setdefault("load_while_measuring", {})[name] = [before, round(os.getloadavg()[0], 2)]
    result["load_average"] = round(os.getloadavg()[0], 2)  # other work on the machine inflates the tail
    say(table(result))
    if args.json:
        print(json.dumps(result, indent=2))
    if not args.no_docs and args.calls == 100_000:
        write_docs(result, "python benchmarks/dashboard.py")


if __name__ == "__main__":
    main()
