"""How queues and agents are configured: validated once, then handed to a store.

A queue belongs to one tenant and one concern and is named ``(tenant_id, name)``. An agent serves one or
more tenants and has skills with levels 1-10 (10 = expert). An agent is a member of every queue of a tenant
they serve whose required skills they all have; their *penalty* in that queue (Asterisk's word; a
FreeSWITCH tier level) is the sum of ``10 - level`` over the queue's skills, so experts have the lowest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from receptionist.acd.errors import InvalidConfig

MAX_LEVEL = 10
MAX_PRIORITY = 10
MAX_SKILLS_PER_QUEUE = 10
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")


def check_id(kind: str, value: str) -> str:
    """Ids are ASCII without ``/``, ``|``, ``,`` or spaces: they become parts of store keys."""
    if not _ID.match(value):
        raise InvalidConfig(f"{kind} {value!r} must match {_ID.pattern}")
    return value


class Strategy(StrEnum):
    """How a queue picks among its available agents."""

    LONGEST_IDLE = "longest-idle"  # mod_callcenter longest-idle-agent; Asterisk leastrecent
    ROUND_ROBIN = "rrmemory"  # Asterisk rrmemory: the next member after the last one offered
    FEWEST_CALLS = "fewest-calls"  # Asterisk fewestcalls: fewest calls answered in this queue
    SKILLS = "skills"  # lowest penalty (most proficient) first, then longest idle
    RING_ALL = "ring-all"  # every available member at once; the first to accept wins


class OverflowAction(StrEnum):
    MESSAGE = "message"  # the receptionist takes a message
    CALLBACK = "callback"  # a callback task enters a queue for agents to work like a call
    QUEUE = "queue"  # the call moves to another queue of the same tenant


@dataclass(frozen=True, slots=True, kw_only=True)
class Overflow:
    """Where a call goes when it leaves a queue unanswered."""

    action: OverflowAction
    queue: str | None = None  # QUEUE: the target; CALLBACK: where the task waits (default: the queue's own)
    delay_s: float = 0.0  # CALLBACK: how long before the task is offered to agents

    def __post_init__(self) -> None:
        if self.action is OverflowAction.QUEUE and not self.queue:
            raise InvalidConfig("an overflow to a queue needs the queue's name")
        if self.queue is not None:
            check_id("queue", self.queue)
        if not (0 <= self.delay_s < math.inf):
            raise InvalidConfig("an overflow delay must be a finite number of seconds >= 0")

    @classmethod
    def message(cls) -> Overflow:
        return cls(action=OverflowAction.MESSAGE)

    @classmethod
    def callback(cls, *, queue: str | None = None, delay_s: float = 0.0) -> Overflow:
        return cls(action=OverflowAction.CALLBACK, queue=queue, delay_s=delay_s)

    @classmethod
    def to_queue(cls, name: str) -> Overflow:
        return cls(action=OverflowAction.QUEUE, queue=name)

    @property
    def label(self) -> str:
        """As written in the queue log: ``message``, ``callback`` or ``queue:<name>``."""
        return f"queue:{self.queue}" if self.action is OverflowAction.QUEUE else self.action.value


@dataclass(frozen=True, slots=True, order=True)
class QueueKey:
    """A queue's identity: its tenant and its name within that tenant."""

    tenant_id: str
    name: str

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> QueueKey:
        tenant_id, _, name = text.partition("/")
        return cls(tenant_id, name)


def _seconds(name: str, value: float, *, positive: bool = False) -> None:
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise InvalidConfig(f"{name} must be a finite number of seconds {'> 0' if positive else '>= 0'}")


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfig:
    """One queue: who is a member, how an agent is picked, and its timers and overflows."""

    tenant_id: str
    name: str
    strategy: Strategy = Strategy.LONGEST_IDLE
    skills: frozenset[str] = frozenset()  # an agent needs all of them to be a member
    max_penalty: int | None = None  # members with a higher penalty are not members at all
    ring_timeout_s: float = 15.0  # an unanswered offer moves on after this (RINGNOANSWER)
    wrap_up_s: float = 0.0  # after each call, the agent is in wrap-up this long
    max_wait_s: float | None = None  # callers waiting longer leave by ``on_timeout`` (EXITWITHTIMEOUT)
    on_timeout: Overflow = field(default_factory=Overflow.message)
    on_empty: Overflow | None = field(default_factory=Overflow.message)  # no member logged in (EXITEMPTY)
    ageing_s: float | None = None  # each this many seconds of waiting is worth one priority level
    callback_queue: str | None = None  # where callbacks a caller asks for wait (default: this queue)
    default_handle_s: float = 180.0  # handle time assumed for wait estimates before any call is handled

    def __post_init__(self) -> None:
        check_id("tenant", self.tenant_id)
        check_id("queue", self.name)
        for skill in self.skills:
            check_id("skill", skill)
        if len(self.skills) > MAX_SKILLS_PER_QUEUE:
            raise InvalidConfig(f"a queue may require at most {MAX_SKILLS_PER_QUEUE} skills")
        if self.max_penalty is not None and self.max_penalty < 0:
            raise InvalidConfig("max_penalty must be >= 0")
        _seconds("ring_timeout_s", self.ring_timeout_s, positive=True)
        _seconds("wrap_up_s", self.wrap_up_s)
        _seconds("default_handle_s", self.default_handle_s, positive=True)
        if self.max_wait_s is not None:
            _seconds("max_wait_s", self.max_wait_s, positive=True)
        if self.ageing_s is not None:
            _seconds("ageing_s", self.ageing_s, positive=True)
        if self.callback_queue is not None:
            check_id("callback_queue", self.callback_queue)
        for overflow in (self.on_timeout, self.on_empty):
            if (
                overflow is not None
                and overflow.action is OverflowAction.QUEUE
                and overflow.queue == self.name
            ):
                raise InvalidConfig(f"queue {self.name!r} cannot overflow to itself")

    @property
    def key(self) -> QueueKey:
        return QueueKey(self.tenant_id, self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    """One human agent and the mod_callcenter-style limits on offering them calls."""

    agent_id: str
    tenants: frozenset[str]
    skills: Mapping[str, int] = field(default_factory=dict)  # skill -> level 1..10
    name: str | None = None
    reject_delay_s: float = 0.0  # after declining, not offered again for this long
    no_answer_delay_s: float = 0.0  # after letting an offer ring out, not offered again for this long
    max_no_answer: int = 3  # paused ("max-no-answer") after this many unanswered offers in a row; 0 = never

    def __post_init__(self) -> None:
        check_id("agent", self.agent_id)
        if not self.tenants:
            raise InvalidConfig(f"agent {self.agent_id!r} must serve at least one tenant")
        for tenant in self.tenants:
            check_id("tenant", tenant)
        for skill, level in self.skills.items():
            check_id("skill", skill)
            if not 1 <= level <= MAX_LEVEL:
                raise InvalidConfig(f"skill level for {skill!r} must be 1..{MAX_LEVEL}")
        _seconds("reject_delay_s", self.reject_delay_s)
        _seconds("no_answer_delay_s", self.no_answer_delay_s)
        if self.max_no_answer < 0:
            raise InvalidConfig("max_no_answer must be >= 0")


def penalty(agent: AgentConfig, queue: QueueConfig) -> int | None:
    """The agent's penalty in the queue, or None when they are not a member of it."""
    if queue.tenant_id not in agent.tenants:
        return None
    total = 0
    for skill in queue.skills:
        level = agent.skills.get(skill)
        if level is None:
            return None
        total += MAX_LEVEL - level
    if queue.max_penalty is not None and total > queue.max_penalty:
        return None
    return total
