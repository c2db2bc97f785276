"""Prometheus metrics of one app: a registry of its own, live gauges read at scrape time, request timing.

Every app gets its own :class:`prometheus_client.CollectorRegistry` (never the process-wide default), so
tests can build any number of apps and two apps in one process never share series.

- Live gauges, read when ``/metrics`` is scraped: ``receptionist_calls_in_progress`` and
  ``receptionist_call_capacity`` (the switchboard), ``receptionist_queue_waiting{tenant,queue}`` and
  ``receptionist_agents{state}`` (the ACD), ``receptionist_acd_up``.
- ``receptionist_http_request_duration_seconds{method,route,status}``, timed by :class:`RequestTimer`.
  ``route`` is the route *template* (``/api/agent/offers/{offer_id}/accept``), never the raw path, so
  no id from a URL becomes a label value and the number of series stays bounded.
- ``receptionist_voice_to_voice_seconds`` (caller's last word to the receptionist's first audio) and
  ``receptionist_stt_seconds`` (one utterance's transcription), which the voice pipeline observes.

How the voice pipeline observes them: the composition root (``server.py``) builds one :class:`Metrics`,
hands it to :func:`receptionist.web.ops_routes.install` through ``create_app`` and gives
``metrics.voice_to_voice`` and ``metrics.stt`` to the switchboard as
:class:`~receptionist.voice.timing.VoiceTimers`. Every line observes LiveKit's per-turn figures into
them (``e2e_latency`` of a reply, ``transcription_delay`` of a caller turn) without importing
prometheus_client.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from receptionist.acd.model import AgentState

if TYPE_CHECKING:
    from receptionist.web.context import ApiContext

log = logging.getLogger(__name__)

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# the design's target is about 1.8 s from the caller's last word to the first audio
VOICE_TO_VOICE_BUCKETS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0)
STT_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
UNMATCHED_ROUTE = "<unmatched>"  # a request no route answered (404): never its raw path
PROBE_AGENT = "__probe__"  # an agent id no one has: reading it touches the ACD store and changes nothing


@dataclass(frozen=True, kw_only=True)
class LiveSnapshot:
    """The gauges read at scrape time. ``None``: the process has no such part (no switchboard)."""

    calls_in_progress: int | None = None
    call_capacity: int | None = None
    acd_up: bool = True
    queue_waiting: dict[tuple[str, str], int] = field(default_factory=dict)  # (tenant, queue) -> callers
    agents: dict[str, int] = field(default_factory=dict)  # agent state -> agents


async def read_live(context: ApiContext) -> LiveSnapshot:
    """Read the switchboard and the ACD now. An unreachable ACD store gives ``acd_up 0``, not an error."""
    switchboard = context.switchboard
    in_progress = switchboard.in_progress if switchboard is not None else None
    capacity = switchboard.capacity if switchboard is not None else None
    tenants = {t for account in context.agents for t in account.tenants}
    if context.receptionist is not None:
        tenants |= set(context.receptionist.tenants)
    try:
        await context.service.agent(PROBE_AGENT)  # the store answers, even with no queue or agent here
        waiting: dict[tuple[str, str], int] = {}
        for key in context.service.queues(tenants):
            waiting[(key.tenant_id, key.name)] = (await context.service.queue_status(key)).queued
        states: Counter[str] = Counter({s.value: 0 for s in AgentState})
        for account in context.agents:
            agent = await context.service.agent(account.agent_id)
            states[agent.state.value if agent is not None else AgentState.LOGGED_OUT.value] += 1
    except Exception as exc:
        log.warning("metrics: the ACD store could not be read (%s)", type(exc).__name__)
        return LiveSnapshot(calls_in_progress=in_progress, call_capacity=capacity, acd_up=False)
    return LiveSnapshot(
        calls_in_progress=in_progress,
        call_capacity=capacity,
        queue_waiting=waiting,
        agents=dict(states),
    )


class LiveCollector(Collector):
    """Turns the latest :class:`LiveSnapshot` into gauge families (set just before each scrape)."""

    def __init__(self) -> None:
        self.snapshot = LiveSnapshot()

    def describe(self) -> Iterable[Metric]:
        return list(_families(LiveSnapshot(calls_in_progress=0, call_capacity=0)))

    def collect(self) -> Iterable[Metric]:
        return list(_families(self.snapshot))


def _families(s: LiveSnapshot) -> Iterator[Metric]:
    if s.calls_in_progress is not None:
        yield GaugeMetricFamily(
            "receptionist_calls_in_progress", "Voice calls this process carries now.", s.calls_in_progress
        )
    if s.call_capacity is not None:
        yield GaugeMetricFamily(
            "receptionist_call_capacity", "Voice calls this process may carry at once.", s.call_capacity
        )
    yield GaugeMetricFamily("receptionist_acd_up", "1 if the ACD store answered the scrape.", int(s.acd_up))
    waiting = GaugeMetricFamily(
        "receptionist_queue_waiting",
        "Callers holding in an ACD queue (waiting or ringing an agent).",
        labels=["tenant", "queue"],
    )
    for (tenant, queue), count in sorted(s.queue_waiting.items()):
        waiting.add_metric([tenant, queue], count)
    yield waiting
    agents = GaugeMetricFamily("receptionist_agents", "Configured agents by ACD state.", labels=["state"])
    for state, count in sorted(s.agents.items()):
        agents.add_metric([state], count)
    yield agents


class Metrics:
    """One app's metrics: its registry, the histograms others observe, and the live gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_duration = Histogram(
            "receptionist_http_request_duration_seconds",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.voice_to_voice = Histogram(
            "receptionist_voice_to_voice_seconds",
            "From the end of the caller's speech to the start of the receptionist's reply (per reply).",
            buckets=VOICE_TO_VOICE_BUCKETS,
            registry=self.registry,
        )
        self.stt = Histogram(
            "receptionist_stt_seconds",
            "From the end of the caller's speech to their words transcribed (per caller turn).",
            buckets=STT_BUCKETS,
            registry=self.registry,
        )
        self._live = LiveCollector()
        self.registry.register(self._live)

    async def render(self, context: ApiContext) -> bytes:
        """The Prometheus text exposition, live gauges read now."""
        snapshot = await read_live(context)
        self._live.snapshot = snapshot  # no await between this and the rendering: scrapes cannot mix
        return generate_latest(self.registry)


class RequestTimer:
    """Pure ASGI middleware timing HTTP requests into ``metrics.http_duration``.

    Only ``http`` scopes are timed; WebSockets and lifespan pass straight through. The route label is
    read after the app ran, from the route the router matched (``scope["route"]``).
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app starts a response: an exception that escapes is a 500

        async def send_timed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            self.metrics.http_duration.labels(
                method=str(scope.get("method", "")), route=route_template(scope), status=str(status)
            ).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's full path template, or :data:`UNMATCHED_ROUTE`; never the request's raw path.

    FastAPI keeps included routers nested (``scope["route"]`` is the inner route, its path without the
    router's prefix) and records the full template of the route it chose in ``scope["fastapi"]``; older
    versions flatten routes, so ``scope["route"]`` has it. A mounted app (static files) is labelled by
    its mount point, and only when that point has no parameters.
    """
    chosen = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(chosen, "path_format", None)
    if isinstance(path, str) and path:
        return path
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str) and not isinstance(route, Mount):
        return path
    mount = str(scope.get("root_path", "")).removeprefix(str(scope.get("app_root_path", "")))
    if mount and not scope.get("path_params"):
        return f"{mount}/{{path}}"
    return UNMATCHED_ROUTE
