"""Turning the Lua script's JSON and Redis hashes back into the ACD's typed values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from receptionist.acd.clock import from_ms
from receptionist.acd.config import QueueKey
from receptionist.acd.errors import (
    AcdError,
    DuplicateCall,
    IllegalCallState,
    IllegalTransition,
    StaleOffer,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
)
from receptionist.acd.events import QueueEvent, QueueEventKind
from receptionist.acd.model import (
    AgentSnapshot,
    AgentState,
    CallKind,
    CallResult,
    CallSnapshot,
    CallState,
    Offer,
)


def error(reply: Mapping[str, Any]) -> AcdError:
    kind = reply["acd_error"]
    a, b, c = (str(reply.get(x, "")) for x in "abc")
    if kind == "IllegalTransition":
        return IllegalTransition(a, b, c)
    if kind == "IllegalCallState":
        return IllegalCallState(a, b, c)
    if kind == "StaleOffer":
        return StaleOffer(a, b, c)
    simple: dict[str, type[AcdError]] = {
        "UnknownQueue": UnknownQueue,
        "UnknownAgent": UnknownAgent,
        "UnknownCall": UnknownCall,
        "DuplicateCall": DuplicateCall,
    }
    return simple.get(kind, AcdError)(a)


def events(raw: Any) -> tuple[QueueEvent, ...]:
    if not raw:  # an empty Lua table is encoded as {}
        return ()
    return tuple(event(e) for e in raw)


def event(e: Mapping[str, Any]) -> QueueEvent:
    data = e.get("d") or {}
    return QueueEvent(
        at=from_ms(int(e["t"])),
        tenant_id=e["tn"],
        queue=e.get("q"),
        kind=QueueEventKind(e["k"]),
        call_id=e.get("c"),
        agent_id=e.get("a"),
        data={k: float(v) if k.endswith("_s") else v for k, v in data.items()},
    )


def offer(r: Mapping[str, Any]) -> Offer:
    return Offer(
        offer_id=r["id"],
        call_id=r["call"],
        queue=QueueKey.parse(r["queue"]),
        kind=CallKind(r["kind"]),
        priority=int(r["prio"]),
        agent_ids=tuple(r["agents"]),
        offered_at=from_ms(int(r["at"])),
        expires_at=from_ms(int(r["exp"])),
    )


def call_snapshot(call_id: str, h: Mapping[str, str]) -> CallSnapshot:
    return CallSnapshot(
        call_id=call_id,
        queue=QueueKey.parse(h["queue"]),
        kind=CallKind(h["kind"]),
        priority=int(h["prio"]),
        state=CallState(h["state"]),
        result=CallResult(h["result"]) if h.get("result") else None,
        entered_at=from_ms(int(h["entered"])),
        original_position=int(h["opos"]),
        offer_id=h.get("offer") or None,
        ringing=tuple(x for x in h.get("ringing", "").split(",") if x),
        agent_id=h.get("agent") or None,
        attributes=json.loads(h.get("attrs") or "{}"),
    )


def agent_snapshot(
    agent_id: str, h: Mapping[str, str], queues: list[str], expires_ms: int | None
) -> AgentSnapshot:
    delayed = h.get("delayed") == "1"
    return AgentSnapshot(
        agent_id=agent_id,
        state=AgentState(h["state"]),
        since=from_ms(int(h["since"])),
        pause_reason=h.get("reason") or None,
        call_id=h.get("call") or None,
        offer_id=h.get("offer") or None,
        offer_expires_at=from_ms(expires_ms) if expires_ms is not None else None,
        ready_at=from_ms(int(h["ready"])) if delayed else None,
        no_answers=int(h.get("noans") or 0),
        queues=tuple(QueueKey.parse(q) for q in sorted(queues)),
    )
