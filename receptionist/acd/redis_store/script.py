"""Assembles the ACD's Lua code: constants and the agent state machine from Python, then the code, as a
Redis 7 function library (loaded once, so a call runs only the operation) or as a plain script for EVALSHA."""

from __future__ import annotations

import hashlib

from receptionist.acd.config import MAX_LEVEL
from receptionist.acd.events import QueueEventKind
from receptionist.acd.model import AUTO_PAUSE_REASON
from receptionist.acd.redis_store.lua_calls import CALLS
from receptionist.acd.redis_store.lua_core import CORE
from receptionist.acd.redis_store.lua_ops import OPS
from receptionist.acd.scoring import MAX_OVERFLOW_HOPS, PENALTY_WEIGHT, RECENT_HANDLES
from receptionist.acd.transitions import TRANSITIONS


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_code(*, ended_ttl_s: int, events_maxlen: int) -> str:
    """The library body; it defines ``main(args)`` and nothing runs until that is called."""
    transitions = ", ".join(
        f"[{_lua_string(f'{state.value}|{action.value}')}] = {_lua_string(after.value)}"
        for (state, action), after in TRANSITIONS.items()
    )
    kinds = ", ".join(f"{kind.name} = {_lua_string(kind.value)}" for kind in QueueEventKind)
    constants = f"""
local TRANSITIONS = {{{transitions}}}
local K = {{{kinds}}}
local PENALTY_WEIGHT = {PENALTY_WEIGHT}
local MAX_LEVEL = {MAX_LEVEL}
local RECENT_HANDLES = {RECENT_HANDLES}
local MAX_OVERFLOW_HOPS = {MAX_OVERFLOW_HOPS}
local AUTO_PAUSE_REASON = {_lua_string(AUTO_PAUSE_REASON)}
local ENDED_TTL = {int(ended_ttl_s)}
local EVENTS_MAXLEN = {int(events_maxlen)}
"""
    return constants + CORE + CALLS + OPS


def function_name(code: str) -> str:
    """Versioned, so workers running different releases never call each other's code."""
    return "acd_" + hashlib.sha256(code.encode()).hexdigest()[:16]


def as_library(code: str) -> str:
    name = function_name(code)
    return f"#!lua name={name}\n{code}\nredis.register_function('{name}', function(keys, args) return main(args) end)\n"


def as_script(code: str) -> str:
    return f"{code}\nreturn main(ARGV)\n"
