"""Queue statistics, computed from the queue event log alone: pure functions, no clock, no storage.

:func:`queue_stats` replays a sequence of :class:`QueueEvent` (in time order; ties keep log order) and
reports on the period ``[start, end)``. Two kinds of figure come out of it, with different rules:

**Call figures** count *queue visits*: one ENTERQUEUE of one call into one queue, and what became of it.
A call that overflows from queue A into queue B is two visits (A: overflowed, B: whatever happened
there), and its wait in B is counted from when it entered B. A visit belongs to the period in which it
*entered* (a cohort), so visits that entered before ``start`` are not counted, and a visit that entered
before ``end`` is counted with whatever happened to it later if those events are supplied. Reports on
consecutive periods therefore add up to the report on their union. A visit with no outcome among the
events supplied is ``waiting``; pass only events before ``end`` to see the queue as it stood at ``end``.

Callback tasks (ENTERQUEUE with ``data["kind"] == "callback"``) are not callers waiting on the line: they
are left out of every call figure and only counted, in ``callbacks``. Agents' time on them is handling.

A visit ends in exactly one of: answered (CONNECT), abandoned (ABANDON), or overflowed (EXITWITHTIMEOUT,
EXITEMPTY, EXITWITHKEY, OVERFLOW, or a new ENTERQUEUE of the same call without any of those) — the first
one logged wins. So ``answered + abandoned + overflowed + waiting == offered``, always.

**Agent figures** are time, clipped to the window: everything an agent did inside ``[start, end)``, even
for calls that entered before ``start``. They ignore the ``queue`` filter, because an agent serving
several queues is one person whose time cannot be split. Presence (log in/out, pause) is tracked per
tenant and agent, so with ``tenant_id=None`` an agent logged in for two businesses is counted once.
An agent's state before their first event is inferred from it: a first event other than AGENTLOGIN means
they were logged in before it, a first UNPAUSE that they were paused, a COMPLETE* or WRAPUPEND without
its CONNECT or COMPLETE* that the call or wrap-up started ``talk_s`` / ``wrap_s`` (from the event's data)
earlier, or, with no such figure, before the window. Supply events from well before ``start`` (the start
of the day, say): an agent idle all through the window with no event at all is otherwise invisible.

Wrap-up runs from the end of a call (COMPLETECALLER, COMPLETEAGENT, TRANSFER) to the agent's WRAPUPEND.
If the agent is offered or connected to another call first, the call had no wrap-up (0 s); logging off
ends it. (The ACD logs WRAPUPEND after every call, at once when the queue has no wrap-up time.)

Every ratio and average is ``None`` when its denominator is zero, never 0. Times are in seconds, taken
from the events' timestamps; "within T" means ``wait <= T``, as in Asterisk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from statistics import fmean
from typing import Any

from receptionist.acd.events import QueueEvent
from receptionist.acd.events import QueueEventKind as K

INF = math.inf
HOUR = timedelta(hours=1)
Interval = tuple[float, float]  # [start, end) in seconds from the window start


class Fate(Enum):
    """What became of a queue visit."""

    WAITING = "waiting"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    EXITED_EMPTY = "exited_empty"
    EXITED_BY_CALLER = "exited_by_caller"
    OVERFLOWED = "overflowed"  # OVERFLOW alone, or entered another queue


_EXITS = {
    K.ABANDON: Fate.ABANDONED,
    K.EXIT_TIMEOUT: Fate.TIMED_OUT,
    K.EXIT_EMPTY: Fate.EXITED_EMPTY,
    K.EXIT_CALLER: Fate.EXITED_BY_CALLER,
    K.OVERFLOW: Fate.OVERFLOWED,
}
_OVERFLOWS = frozenset({Fate.TIMED_OUT, Fate.EXITED_EMPTY, Fate.EXITED_BY_CALLER, Fate.OVERFLOWED})
_CALL_ENDS = frozenset({K.COMPLETE_CALLER, K.COMPLETE_AGENT, K.TRANSFER})
_AGENT_FREE = frozenset({K.OFFER, K.RING_NO_ANSWER, K.DECLINE, K.WITHDRAW})  # the agent was free for an offer
_AGENT_KINDS = frozenset(
    {K.LOGIN, K.LOGOFF, K.PAUSE, K.UNPAUSE, K.CONNECT, K.WRAPUP_END, *_CALL_ENDS, *_AGENT_FREE}
)


@dataclass(frozen=True, slots=True)
class AgentTime:
    """Seconds one agent (or all of them, summed) spent in each state inside the window.

    ``talk_s + wrap_s`` is handling time; ``available_s`` is logged in, not paused and not handling
    (ringing counts as available); ``paused_s`` is logged in and paused, not handling. Handling wins over
    a pause taken during a call. So ``handling + available + paused == logged_in`` when every call happens
    while logged in.
    """

    logged_in_s: float
    talk_s: float
    wrap_s: float
    available_s: float
    paused_s: float

    @property
    def handling_s(self) -> float:
        return self.talk_s + self.wrap_s

    @property
    def occupancy(self) -> float | None:
        """(talk + wrap-up) / (talk + wrap-up + available): the share of ready time spent on calls."""
        return _ratio(self.handling_s, self.handling_s + self.available_s)


@dataclass(frozen=True, slots=True)
class HourCounts:
    """Visits that entered during one clock hour (in the report's time zone) and what became of them."""

    hour: datetime
    offered: int
    answered: int
    answered_within_sl: int
    abandoned: int
    overflowed: int


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Figures for one tenant (or all, ``tenant_id`` None) and one queue (or all) over ``[start, end)``.

    Counts are of queue visits that entered in the window (see the module docstring). With
    ``short_abandons_excluded`` the visits abandoned within ``short_abandon_s`` are left out of every
    count and ratio (``short_abandoned`` still reports how many there were). T is ``service_level_s``.
    """

    tenant_id: str | None
    queue: str | None
    start: datetime
    end: datetime
    service_level_s: float
    short_abandon_s: float
    short_abandons_excluded: bool

    offered: int
    answered: int
    answered_within_sl: int
    abandoned: int
    abandoned_within_sl: int
    short_abandoned: int  # abandoned with wait <= short_abandon_s, whether excluded or not
    overflowed: int  # timed_out + exited_empty + exited_by_caller + other overflows
    timed_out: int
    exited_empty: int
    exited_by_caller: int
    waiting: int  # no outcome among the events supplied
    callbacks: int  # callback tasks that entered in the window: in no other count

    #: Asterisk's SL (``ServicelevelPerf``): answered within T / answered.
    service_level: float | None
    #: Asterisk's SL2 (``ServicelevelPerf2``): (answered within T + abandoned within T) / (answered +
    #: abandoned). An abandon within T counts as met: the caller gave up before T was missed.
    service_level_sl2: float | None
    #: answered within T / (answered + abandoned): every abandon counts as missed.
    service_level_with_abandons: float | None
    #: answered within T / offered (TaskRouter-style): overflowed and still-waiting visits count as missed.
    service_level_of_offered: float | None
    #: abandoned / offered.
    abandonment_rate: float | None

    average_speed_of_answer_s: float | None  # mean wait of answered visits
    longest_wait_s: float | None  # longest wait of a visit that left the queue (any outcome)
    longest_waiting_s: float | None  # longest wait so far, at ``end``, of a visit still waiting

    completed: int  # answered visits whose call and wrap-up both ended: the basis of the three below
    average_talk_s: float | None
    average_wrap_s: float | None
    average_handle_s: float | None  # talk + wrap-up

    agent_time: AgentTime  # all agents, summed
    agents: Mapping[str, AgentTime]  # by agent id; agents with no time in the window are left out
    by_hour: tuple[HourCounts, ...]  # every hour overlapping the window, empty ones included

    @property
    def occupancy(self) -> float | None:
        """All agents' (talk + wrap-up) / (talk + wrap-up + available); see :class:`AgentTime`."""
        return self.agent_time.occupancy


def queue_stats(
    events: Iterable[QueueEvent],
    *,
    tenant_id: str | None,
    start: datetime,
    end: datetime,
    queue: str | None = None,
    service_level_s: float = 20.0,
    short_abandon_s: float = 5.0,
    exclude_short_abandons: bool = False,
    tz: tzinfo = UTC,
) -> QueueStats:
    """Compute the figures of ``[start, end)`` from ``events`` (other tenants' events are skipped).

    ``tenant_id=None`` takes every tenant's events (a provider-wide report; call ids are per tenant).
    ``tz`` sets the clock hours of :attr:`QueueStats.by_hour`.
    """
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, not {value!r}")
    if end <= start:
        raise ValueError(f"end ({end}) must be after start ({start})")
    if service_level_s < 0 or short_abandon_s < 0:
        raise ValueError("service_level_s and short_abandon_s must be >= 0")

    replay = _Replay(start)
    for event in sorted((e for e in events if tenant_id in (None, e.tenant_id)), key=lambda e: e.at):
        replay.feed(event)
    replay.finish()

    entered = [v for v in replay.visits if start <= v.entered_at < end and queue in (None, v.queue)]
    cohort = [v for v in entered if not v.callback]
    short = [v for v in cohort if v.fate is Fate.ABANDONED and _wait(v) <= short_abandon_s]
    if exclude_short_abandons:
        cohort = [v for v in cohort if not (v.fate is Fate.ABANDONED and _wait(v) <= short_abandon_s)]
    by_fate = {fate: [v for v in cohort if v.fate is fate] for fate in Fate}
    answered, abandoned = by_fate[Fate.ANSWERED], by_fate[Fate.ABANDONED]
    within = sum(_wait(v) <= service_level_s for v in answered)
    abandoned_within = sum(_wait(v) <= service_level_s for v in abandoned)
    overflowed = sum(len(by_fate[f]) for f in _OVERFLOWS)
    window_s = (end - start).total_seconds()
    completed = [v for v in answered if v.talk is not None and v.wrap is not None]
    talks = [v.talk for v in completed if v.talk is not None]
    wraps = [v.wrap for v in completed if v.wrap is not None]
    agents = replay.agent_times(window_s)

    return QueueStats(
        tenant_id=tenant_id, queue=queue, start=start, end=end, service_level_s=service_level_s,
        short_abandon_s=short_abandon_s, short_abandons_excluded=exclude_short_abandons,
        offered=len(cohort), answered=len(answered), answered_within_sl=within,
        abandoned=len(abandoned), abandoned_within_sl=abandoned_within, short_abandoned=len(short),
        overflowed=overflowed, timed_out=len(by_fate[Fate.TIMED_OUT]),
        exited_empty=len(by_fate[Fate.EXITED_EMPTY]), exited_by_caller=len(by_fate[Fate.EXITED_BY_CALLER]),
        waiting=len(by_fate[Fate.WAITING]), callbacks=sum(v.callback for v in entered),
        service_level=_ratio(within, len(answered)),
        service_level_sl2=_ratio(within + abandoned_within, len(answered) + len(abandoned)),
        service_level_with_abandons=_ratio(within, len(answered) + len(abandoned)),
        service_level_of_offered=_ratio(within, len(cohort)),
        abandonment_rate=_ratio(len(abandoned), len(cohort)),
        average_speed_of_answer_s=_mean([_wait(v) for v in answered]),
        longest_wait_s=max((_wait(v) for v in cohort if v.wait is not None), default=None),
        longest_waiting_s=max((window_s - v.entered for v in by_fate[Fate.WAITING]), default=None),
        completed=len(completed), average_talk_s=_mean(talks), average_wrap_s=_mean(wraps),
        average_handle_s=_mean([t + w for t, w in zip(talks, wraps, strict=True)]),
        agent_time=_sum_times(list(agents.values())), agents=agents,
        by_hour=_by_hour(cohort, start=start, end=end, tz=tz, service_level_s=service_level_s),
    )  # fmt: skip


# -- replaying the log ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Visit:
    queue: str | None
    entered_at: datetime
    entered: float  # seconds from the window start
    callback: bool
    fate: Fate = Fate.WAITING
    wait: float | None = None  # until it left the queue
    connected: float | None = None
    talk: float | None = None
    wrap: float | None = None


@dataclass(slots=True)
class _Presence:
    """One agent's presence in one tenant: logged in since / paused since, and the closed intervals."""

    login: float | None
    pause: float | None
    logged_in: list[Interval] = field(default_factory=list)
    paused: list[Interval] = field(default_factory=list)


@dataclass(slots=True)
class _Wrap:
    since: float
    tenant_id: str
    visit: _Visit | None


@dataclass(slots=True)
class _Agent:
    talking: dict[tuple[str, str], float] = field(default_factory=dict)  # (tenant, call) -> since
    wrapping: _Wrap | None = None
    talk: list[Interval] = field(default_factory=list)
    wrap: list[Interval] = field(default_factory=list)
    presence: dict[str, _Presence] = field(default_factory=dict)  # by tenant


class _Replay:
    """Follows visits and agents through the log, one event at a time, in time order."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self.visits: list[_Visit] = []
        self._waiting: dict[tuple[str, str], _Visit] = {}  # (tenant, call) -> visit in a queue
        self._talking: dict[tuple[str, str], tuple[_Visit | None, str | None]] = {}  # -> (visit, agent)
        self._agents: dict[str, _Agent] = {}

    def feed(self, e: QueueEvent) -> None:
        t = (e.at - self._start).total_seconds()
        key = (e.tenant_id, e.call_id) if e.call_id is not None else None
        visit, agent_id = None, e.agent_id
        if key is not None:
            if e.kind is K.ENTER:
                if (old := self._waiting.pop(key, None)) is not None:
                    _leave(old, Fate.OVERFLOWED, t)
                callback = e.data.get("kind") == "callback"
                self._waiting[key] = _Visit(queue=e.queue, entered_at=e.at, entered=t, callback=callback)
                self.visits.append(self._waiting[key])
            elif e.kind in _EXITS or e.kind is K.CONNECT:
                visit = self._waiting.pop(key, None)
                if visit is not None:
                    _leave(visit, _EXITS.get(e.kind, Fate.ANSWERED), t)
                if e.kind is K.CONNECT:
                    if visit is not None:
                        visit.connected = t
                    self._talking[key] = (visit, agent_id)
            elif e.kind in _CALL_ENDS:
                visit, connected_agent = self._talking.pop(key, (None, None))
                agent_id = agent_id or connected_agent
                if visit is not None and visit.connected is not None:
                    visit.talk = t - visit.connected
        if agent_id is not None and e.kind in _AGENT_KINDS:
            self._agent_event(e, t, agent_id, key, visit)

    def _agent_event(
        self, e: QueueEvent, t: float, agent_id: str, key: tuple[str, str] | None, visit: _Visit | None
    ) -> None:
        first = agent_id not in self._agents
        agent = self._agents.setdefault(agent_id, _Agent())
        p = agent.presence.get(e.tenant_id)
        if p is None:  # the state before an agent's first event in this tenant follows from that event
            p = _Presence(
                login=None if e.kind is K.LOGIN else -INF, pause=-INF if e.kind is K.UNPAUSE else None
            )
            agent.presence[e.tenant_id] = p
        kind = e.kind
        if kind is K.LOGIN and p.login is None:
            p.login = t
        elif kind is K.LOGOFF:
            if p.login is not None:
                p.logged_in.append((p.login, t))
            if p.pause is not None:
                p.paused.append((p.pause, t))
            p.login = p.pause = None
            if agent.wrapping is not None and agent.wrapping.tenant_id == e.tenant_id:
                _end_wrap(agent, t)
        elif kind is K.PAUSE and p.pause is None:
            p.pause = t
        elif kind is K.UNPAUSE and p.pause is not None:
            p.paused.append((p.pause, t))
            p.pause = None
        elif kind in _AGENT_FREE or kind is K.CONNECT:
            _end_wrap(agent, None)
            if kind is K.CONNECT and key is not None:
                agent.talking[key] = t
        elif kind in _CALL_ENDS:
            since = agent.talking.pop(key, None) if key is not None else None
            agent.talk.append((_inferred_start(since, e.data, "talk_s", t, first=first), t))
            _end_wrap(agent, None)
            agent.wrapping = _Wrap(since=t, tenant_id=e.tenant_id, visit=visit)
        elif kind is K.WRAPUP_END:
            if agent.wrapping is not None:
                _end_wrap(agent, t)
            else:
                agent.wrap.append((_inferred_start(None, e.data, "wrap_s", t, first=first), t))

    def finish(self) -> None:
        """Close what is still open when the events run out: it goes on past any window."""
        for agent in self._agents.values():
            agent.talk.extend((since, INF) for since in agent.talking.values())
            if agent.wrapping is not None:
                agent.wrap.append((agent.wrapping.since, INF))
            for p in agent.presence.values():
                if p.login is not None:
                    p.logged_in.append((p.login, INF))
                if p.pause is not None:
                    p.paused.append((p.pause, INF))

    def agent_times(self, window_s: float) -> dict[str, AgentTime]:
        times: dict[str, AgentTime] = {}
        for agent_id, agent in sorted(self._agents.items()):
            logged_in = _union([i for p in agent.presence.values() for i in p.logged_in])
            ready = _union([i for p in agent.presence.values() for i in _minus(p.logged_in, p.paused)])
            talk = _union(agent.talk)
            wrap = _minus(agent.wrap, talk)
            handling = _union(talk + wrap)
            time = AgentTime(
                logged_in_s=_length(logged_in, window_s), talk_s=_length(talk, window_s),
                wrap_s=_length(wrap, window_s), available_s=_length(_minus(ready, handling), window_s),
                paused_s=_length(_minus(_minus(logged_in, ready), handling), window_s),
            )  # fmt: skip
            if time.logged_in_s or time.handling_s or time.available_s or time.paused_s:
                times[agent_id] = time
        return times


def _leave(visit: _Visit, fate: Fate, t: float) -> None:
    visit.fate = fate
    visit.wait = t - visit.entered


def _end_wrap(agent: _Agent, t: float | None) -> None:
    """End the agent's wrap-up at ``t``; with ``t`` None the call turned out to have none."""
    wrapping, agent.wrapping = agent.wrapping, None
    if wrapping is None:
        return
    if t is not None:
        agent.wrap.append((wrapping.since, t))
    if wrapping.visit is not None:
        wrapping.visit.wrap = t - wrapping.since if t is not None else 0.0


def _inferred_start(
    since: float | None, data: Mapping[str, Any], name: str, t: float, *, first: bool
) -> float:
    """When something that ended at ``t`` began, if its start event is not among the events replayed."""
    if since is not None:
        return since
    value = data.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < INF:
        return t - float(value)
    return -INF if first else t  # before the log began, or (malformed log) nothing to count


def _wait(visit: _Visit) -> float:
    assert visit.wait is not None
    return visit.wait


# -- arithmetic ----------------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint, non-empty intervals covering the same time."""
    merged: list[Interval] = []
    for s, e in sorted(i for i in intervals if i[0] < i[1]):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _minus(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The time in ``a`` and not in ``b``."""
    cut, out, j = _union(b), [], 0
    for s, e in _union(a):
        while j < len(cut) and cut[j][1] <= s:
            j += 1
        cur, k = s, j
        while k < len(cut) and cut[k][0] < e:
            if cut[k][0] > cur:
                out.append((cur, cut[k][0]))
            cur = max(cur, cut[k][1])
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def _length(intervals: Iterable[Interval], window_s: float) -> float:
    """Seconds of ``intervals`` (disjoint) inside ``[0, window_s)``."""
    return sum((max(0.0, min(e, window_s) - max(s, 0.0)) for s, e in intervals), 0.0)


def _sum_times(times: Sequence[AgentTime]) -> AgentTime:
    return AgentTime(
        logged_in_s=sum((t.logged_in_s for t in times), 0.0), talk_s=sum((t.talk_s for t in times), 0.0),
        wrap_s=sum((t.wrap_s for t in times), 0.0), available_s=sum((t.available_s for t in times), 0.0),
        paused_s=sum((t.paused_s for t in times), 0.0),
    )  # fmt: skip


def _by_hour(
    cohort: Sequence[_Visit], *, start: datetime, end: datetime, tz: tzinfo, service_level_s: float
) -> tuple[HourCounts, ...]:
    first = start.astimezone(tz).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    n = math.ceil((end - first) / HOUR)
    buckets: list[list[_Visit]] = [[] for _ in range(n)]
    for v in cohort:
        buckets[(v.entered_at - first) // HOUR].append(v)
    return tuple(
        HourCounts(
            hour=(first + i * HOUR).astimezone(tz),
            offered=len(vs),
            answered=sum(v.fate is Fate.ANSWERED for v in vs),
            answered_within_sl=sum(v.fate is Fate.ANSWERED and _wait(v) <= service_level_s for v in vs),
            abandoned=sum(v.fate is Fate.ABANDONED for v in vs),
            overflowed=sum(v.fate in _OVERFLOWS for v in vs),
        )
        for i, vs in enumerate(buckets)
    )
