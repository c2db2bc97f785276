"""Operations: liveness, readiness and Prometheus metrics.

- ``GET /healthz``: the process is alive and its event loop answers. Always 200, no I/O.
- ``GET /readyz``: can this process take traffic? Checks the database (``SELECT 1`` in a thread), the ACD
  store (one cheap read) and the speech models (loaded, or not needed when there is no switchboard),
  each with a short timeout. 200 ``{"status": "ready", "checks": {...}}`` or 503
  ``{"status": "not_ready", "checks": {...}}``. A check reports ``ok``, ``not_needed``, ``loading``,
  ``timeout`` or ``failed: <ErrorType>`` (the full error is logged, never sent). The first probe of a
  process whose speech models are not loaded yet starts loading them (in a thread) and answers 503
  ``loading`` until they are.
- ``GET /metrics``: Prometheus text format (:mod:`receptionist.web.metrics`).

These routes are anonymous by design: orchestrators and scrapers probe them without an account. Readiness
tells nothing but check names and error types. Expose ``/metrics`` only on an internal network, or pass a
``metrics_token`` (from ``RECEPTIONIST_METRICS_TOKEN``) so scrapes need ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from receptionist.storage.database import Database
from receptionist.web.context import ContextDep, bearer_token
from receptionist.web.errors import ApiError
from receptionist.web.metrics import PROBE_AGENT, Metrics, RequestTimer

log = logging.getLogger(__name__)

READY = ("ok", "not_needed")


def install(
    app: FastAPI,
    *,
    metrics: Metrics | None = None,
    metrics_token: str | None = None,
    check_timeout_s: float = 2.0,
) -> Metrics:
    """Time every HTTP request and add the operations routes. ``metrics``: the composition root's, when
    the voice pipeline observes into it; otherwise a new one. Stored on ``app.state.metrics``."""
    metrics = metrics or Metrics()
    app.state.metrics = metrics
    app.add_middleware(RequestTimer, metrics=metrics)
    app.include_router(ops_router(metrics, metrics_token=metrics_token, check_timeout_s=check_timeout_s))
    return metrics


def ops_router(
    metrics: Metrics, *, metrics_token: str | None = None, check_timeout_s: float = 2.0
) -> APIRouter:
    """``/healthz``, ``/readyz`` and ``/metrics`` (see the module's docstring)."""
    router = APIRouter(tags=["operations"])
    database_probe, acd_probe, models_probe = (
        SingleFlight("database"),
        SingleFlight("acd"),
        SingleFlight("voice models"),
    )

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(context: ContextDep) -> JSONResponse:
        db, switchboard = context.db, context.switchboard
        database, acd, models = await asyncio.gather(
            database_probe.check(lambda: asyncio.to_thread(ping, db), check_timeout_s)
            if db is not None
            else _not_needed(),
            acd_probe.check(lambda: context.service.agent(PROBE_AGENT), check_timeout_s),
            models_probe.warm(switchboard.models) if switchboard is not None else _not_needed(),
        )
        checks = {"database": database, "acd": acd, "voice_models": models}
        ready = all(status in READY for status in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
        )

    @router.get("/metrics", response_class=PlainTextResponse)  # documented as text, as it is
    async def metrics_text(
        context: ContextDep, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        if metrics_token is not None:
            given = bearer_token(authorization) or ""
            if not hmac.compare_digest(given.encode(), metrics_token.encode()):
                raise ApiError(401, "a valid metrics token is required (Authorization: Bearer <token>)")
        return Response(await metrics.render(context), media_type=CONTENT_TYPE_LATEST)

    return router


def ping(db: Database) -> None:
    """``SELECT 1`` on a raw pooled connection: no ``BEGIN IMMEDIATE``, so a writer never delays it."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()


class SingleFlight:
    """At most one probe of a kind in flight. A probe that outlives its timeout keeps running (a thread
    cannot be cancelled); later checks wait on that one instead of piling up threads behind it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[Any] | None = None

    def _start(self, probe: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        stale = self._task is not None and self._task.get_loop() is not asyncio.get_running_loop()
        if self._task is None or self._task.done() or stale:

            async def run() -> Any:
                return await probe()

            self._task = asyncio.create_task(run())
            self._task.add_done_callback(_retrieve)
        return self._task

    async def check(self, probe: Callable[[], Awaitable[Any]], timeout_s: float) -> str:
        """``ok``, ``timeout`` or ``failed: <ErrorType>``, waiting at most ``timeout_s``."""
        task = self._start(probe)
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout_s)
        except TimeoutError:
            log.warning("readiness: the %s check did not answer within %.1f s", self.name, timeout_s)
            return "timeout"
        except Exception as exc:
            log.warning("readiness: the %s check failed: %s: %s", self.name, type(exc).__name__, exc)
            return f"failed: {type(exc).__name__}"
        return "ok"

    async def warm(self, load: Callable[[], Awaitable[Any]]) -> str:
        """Start ``load`` once and report it: ``ok`` once done, ``loading`` meanwhile; a failure is
        reported once and retried by the next check."""
        task = self._start(load)
        await asyncio.wait({task}, timeout=0.05)  # an already-loaded model answers at once
        if not task.done():
            return "loading"
        exc = task.exception()
        if exc is not None:
            log.error("readiness: loading the %s failed", self.name, exc_info=exc)
            return f"failed: {type(exc).__name__}"
        return "ok"


async def _not_needed() -> str:
    return "not_needed"


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: a probe nobody awaits any more logs no "never retrieved" warning
