"""The Redis ACD store (:class:`receptionist.acd.store.AcdStore`).

Every operation is one call of one Lua function, so it is atomic however many workers share the Redis:
a call is never offered twice and an agent never holds two calls. The code is loaded once as a Redis 7
function library named after a hash of its source (so workers of different releases never run each other's
code; delete old ``acd_*`` libraries with ``FUNCTION DELETE`` after an upgrade), or run with EVALSHA on older
Redis. Nothing lives in a worker: waiting calls, open offers and timers are all in Redis, so when a worker
dies any other one fires the timers (an open offer is a lease that expires with its ring timeout) and
routes the calls it left.

Keys all carry the hash tag ``{prefix}`` and each call declares one of them, so a cluster keeps them in one
slot and sends the call there. Per queue, ``qa`` is a sorted set of available members scored by the queue's
strategy, so a decision reads its head instead of scanning agents; ``qw`` / ``qc`` hold waiting / queued
calls by priority-and-arrival score; ``routable`` holds the queues with a waiting call (and, cleaned lazily,
an available member) by their head call. The event log is a capped stream (``events_maxlen`` operations):
a buffer for whoever persists it, not the archive.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

try:
    import redis
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("the Redis ACD store needs redis-py: pip install 'receptionist[redis]'") from exc

from receptionist.acd.clock import from_ms, seconds_to_ms, to_ms
from receptionist.acd.config import AgentConfig, QueueConfig, QueueKey
from receptionist.acd.errors import InvalidConfig, StoreUnavailable, UnknownQueue
from receptionist.acd.model import (
    Abandon,
    Accept,
    AgentCommand,
    AgentSnapshot,
    CallCommand,
    CallSnapshot,
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
from receptionist.acd.redis_store import codec
from receptionist.acd.redis_store.script import as_library, as_script, function_name, lua_code
from receptionist.acd.scoring import ageing_ms, estimated_wait_s
from receptionist.acd.store import Events


class RedisStore:
    """ACD state in Redis, changed only by one Lua script."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "acd",
        ended_ttl_s: int = 3600,
        events_maxlen: int = 100_000,
        tick_batch: int = 200,
    ) -> None:
        if not client.connection_pool.connection_kwargs.get("decode_responses"):
            raise InvalidConfig("the Redis ACD store needs a client made with decode_responses=True")
        self._r = client
        self.prefix = "{" + prefix + "}"
        self._anchor = f"{self.prefix}:seq"  # declared key: sends each call to the node holding the hash tag
        self._tick_batch = tick_batch
        code = lua_code(ended_ttl_s=ended_ttl_s, events_maxlen=events_maxlen)
        self._library = as_library(code)
        self._function = function_name(code)
        self._script = client.register_script(as_script(code))
        self._use_functions = True
        self._loaded = False

    def _call_function(self, args: list[str | int]) -> object:
        if not self._loaded:
            try:
                self._r.function_load(self._library)
            except redis.ResponseError as exc:
                if "unknown command" in str(exc).lower():
                    self._use_functions = False  # Redis < 7: the same code through EVALSHA
                    return self._script(keys=[self._anchor], args=args)
                if "already exists" not in str(exc):
                    raise
            self._loaded = True
        try:
            return self._r.fcall(self._function, 1, self._anchor, *args)
        except redis.ResponseError as exc:
            if "function not found" not in str(exc).lower():
                raise
            self._loaded = False  # functions flushed (FUNCTION FLUSH, a new server): load again
            return self._call_function(args)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisStore:
        client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
        return cls(client, **options)

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}:{kind}:{name}"

    def _run(self, op: str, ms: int, *args: str | int) -> tuple[Events, Any]:
        call_args: list[str | int] = [self.prefix, op, ms, *args]
        try:
            if self._use_functions:
                raw = self._call_function(call_args)
            else:
                raw = self._script(keys=[self._anchor], args=call_args)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"Redis: {exc}") from exc
        reply = json.loads(cast(str, raw))
        if "acd_error" in reply:
            raise codec.error(reply)
        return codec.events(reply.get("ev")), reply.get("r")

    def clear(self) -> None:
        """Delete every key of this store (tests, resets)."""
        batch: list[str] = []
        for k in self._r.scan_iter(match=f"{self.prefix}:*", count=1000):
            batch.append(k)
            if len(batch) >= 1000:
                self._r.delete(*batch)
                batch = []
        if batch:
            self._r.delete(*batch)

    # -- configuration ----------------------------------------------------------------------------

    def configure_queue(self, config: QueueConfig) -> None:
        timeout, empty = config.on_timeout, config.on_empty
        fields: list[str | int] = [
            "tenant", config.tenant_id, "name", config.name, "strategy", config.strategy.value,
            "ring", seconds_to_ms(config.ring_timeout_s), "wrap", seconds_to_ms(config.wrap_up_s),
            "maxwait", -1 if config.max_wait_s is None else seconds_to_ms(config.max_wait_s),
            "age", ageing_ms(config),
            "to_a", timeout.action.value, "to_q", timeout.queue or "", "to_d", seconds_to_ms(timeout.delay_s),
            "em_a", empty.action.value if empty else "", "em_q", (empty.queue if empty else None) or "",
            "em_d", seconds_to_ms(empty.delay_s) if empty else 0,
            "cbq", config.callback_queue or "", "dh", seconds_to_ms(config.default_handle_s),
            "skills", ",".join(sorted(config.skills)),
            "maxpen", -1 if config.max_penalty is None else config.max_penalty,
        ]  # fmt: skip
        self._run("configure_queue", 0, str(config.key), *fields)

    def configure_agent(self, config: AgentConfig) -> None:
        fields: list[str | int] = [
            "tenants", ",".join(sorted(config.tenants)), "skills", json.dumps(dict(config.skills)),
            "name", config.name or "", "rd", seconds_to_ms(config.reject_delay_s),
            "nd", seconds_to_ms(config.no_answer_delay_s), "mna", config.max_no_answer,
        ]  # fmt: skip
        self._run("configure_agent", 0, config.agent_id, *fields)

    # -- operations -------------------------------------------------------------------------------

    def enqueue(self, call: NewCall, now: datetime) -> Events:
        attrs = json.dumps(dict(call.attributes))
        args = (call.call_id, call.tenant_id, call.queue, call.priority, call.kind.value, attrs)
        return self._run("enqueue", to_ms(now), *args)[0]

    def route(self, now: datetime, queue: QueueKey | None = None) -> Routed | None:
        events, result = self._run("route", to_ms(now), "" if queue is None else str(queue))
        return Routed(codec.offer(result), events) if result else None

    def agent_command(self, agent_id: str, command: AgentCommand, now: datetime) -> Events:
        match command:
            case Accept(offer_id):
                args: tuple[str, ...] = ("accept", offer_id)
            case Decline(offer_id):
                args = ("decline", offer_id)
            case Login():
                args = ("login",)
            case Logoff():
                args = ("logoff",)
            case Pause(reason):
                args = ("pause", reason)
            case Unpause():
                args = ("unpause",)
            case Ready():
                args = ("ready",)
        return self._run("agent", to_ms(now), agent_id, *args)[0]

    def call_command(self, call_id: str, command: CallCommand, now: datetime) -> Events:
        match command:
            case Abandon():
                args: tuple[str, ...] = ("abandon",)
            case Leave(choice):
                args = ("leave", choice.value)
            case Complete(by):
                args = ("complete", by.value)
            case Transfer(queue):
                args = ("transfer", queue)
        return self._run("call", to_ms(now), call_id, *args)[0]

    def tick(self, now: datetime) -> Events:
        ms = to_ms(now)
        out: list[Events] = []
        more = True
        while more:
            events, more = self._run("tick", ms, self._tick_batch)
            out.append(events)
        return tuple(e for batch in out for e in batch)

    def next_due(self) -> datetime | None:
        top = self._r.zrange(f"{self.prefix}:timers", 0, 0, withscores=True)
        return from_ms(int(top[0][1])) if top else None

    # -- reads ------------------------------------------------------------------------------------

    def get_call(self, call_id: str) -> CallSnapshot | None:
        h = cast(dict[str, str], self._r.hgetall(self._key("c", call_id)))
        return codec.call_snapshot(call_id, h) if h else None

    def get_agent(self, agent_id: str) -> AgentSnapshot | None:
        pipe = self._r.pipeline(transaction=True)
        pipe.hgetall(self._key("a", agent_id))
        pipe.hkeys(self._key("aq", agent_id))
        h, queues = pipe.execute()
        if not h:
            return None
        expires = None
        if h.get("state") == "offered" and h.get("call"):
            raw = self._r.hget(self._key("c", h["call"]), "expires")
            expires = int(raw) if raw else None
        return codec.agent_snapshot(agent_id, h, queues, expires)

    def queue_status(self, key: QueueKey) -> QueueStatus:
        name = str(key)
        pipe = self._r.pipeline(transaction=True)
        pipe.hmget(self._key("q", name), ["tenant", "logged", "staffed", "dh"])
        for kind in ("qc", "qw", "qa"):
            pipe.zcard(self._key(kind, name))
        pipe.lrange(self._key("qh", name), 0, -1)
        (tenant, logged, staffed, dh), queued, waiting, available, handles = pipe.execute()
        if tenant is None:
            raise UnknownQueue(name)
        return QueueStatus(
            key=key,
            queued=queued,
            waiting=waiting,
            available=available,
            staffed=int(staffed),
            logged_in=int(logged),
            avg_handle_s=_average_s(handles, int(dh)),
        )

    def position(self, call_id: str) -> Position | None:
        _, r = self._run("position", 0, call_id)
        if not r:
            return None
        wait = estimated_wait_s(
            waiting_position=r["waiting"],
            available=r["available"],
            staffed=r["staffed"],
            avg_handle_s=_average_s(r["handles"] or [], r["dh"]),
        )
        return Position(
            call_id=call_id, queue=QueueKey.parse(r["queue"]), position=r["position"], estimated_wait_s=wait
        )

    def read_events(self, cursor: str = "0", limit: int = 1000) -> EventPage:
        """Events after ``cursor``; ``limit`` counts operations (each stream entry holds one operation's events)."""
        start = "-" if cursor == "0" else f"({cursor}"
        entries = cast(
            list[tuple[str, dict[str, str]]],
            self._r.xrange(f"{self.prefix}:events", min=start, max="+", count=limit),
        )
        events = tuple(e for _, fields in entries for e in codec.events(json.loads(fields["e"])))
        return EventPage(events=events, cursor=entries[-1][0] if entries else cursor)


def _average_s(handles_ms: list[str], default_ms: int) -> float:
    if not handles_ms:
        return default_ms / 1000
    return sum(int(h) for h in handles_ms) / len(handles_ms) / 1000
