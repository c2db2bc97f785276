"""The FastAPI app factory. The composition root builds the ACD service, the agents and the database
and passes them in; nothing is created at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from receptionist.acd.agents_file import AgentDirectory
from receptionist.acd.bridge import Bridges
from receptionist.acd.service import AcdService
from receptionist.storage.database import Database
from receptionist.web import (
    agent_audio,
    agent_routes,
    agent_socket,
    errors,
    openapi_errors,
    ops_routes,
    owner_routes,
    pages,
)
from receptionist.web.auth import middleware as auth_middleware
from receptionist.web.auth import routes as auth_routes
from receptionist.web.context import ApiContext, ApiSettings
from receptionist.web.limits import BodyLimit

if TYPE_CHECKING:
    from receptionist.app import Receptionist
    from receptionist.telephony.switchboard import Switchboard
    from receptionist.web.metrics import Metrics


def create_app(
    *,
    service: AcdService,
    agents: AgentDirectory,
    db: Database | None = None,
    bridges: Bridges | None = None,
    settings: ApiSettings | None = None,
    run_service: bool = False,
    voice: APIRouter | None = None,
    receptionist: Receptionist | None = None,
    switchboard: Switchboard | None = None,
    metrics_token: str | None = None,
    metrics: Metrics | None = None,
    background: Callable[[], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The HTTP API. ``run_service``: start and stop the ACD service's loops with the app (when this
    app is the process's only user of it; otherwise the composition root runs them). ``voice``: the call
    routes (:func:`receptionist.web.voice_routes.voice_router`), mounted at the root when given.
    ``metrics_token``: when set, ``/metrics`` needs ``Authorization: Bearer <it>``. ``metrics``: the
    composition root's, when the voice pipeline observes into it (else the app makes its own). ``background``: the
    process's other work (outbox, retention, model loading), entered after the ACD starts and left before
    it stops."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_service:
            await service.start()
        try:
            if background is not None:
                async with background():
                    yield
            else:
                yield
        finally:
            if run_service:
                await service.stop()

    context = ApiContext(
        service=service,
        agents=agents,
        db=db,
        bridges=bridges if bridges is not None else Bridges(),
        settings=settings or ApiSettings(),
        receptionist=receptionist,
        switchboard=switchboard,
    )
    app = FastAPI(title="receptionist", lifespan=lifespan)
    app.state.context = context
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=context.settings.max_body_bytes)
    app.include_router(agent_routes.router, prefix="/api/agent")
    app.include_router(agent_socket.router, prefix="/api/agent")
    app.include_router(agent_audio.router, prefix="/api/agent")
    # accounts: sessions, API tokens, CSRF (without a database nobody is signed in)
    app.add_middleware(auth_middleware.AuthMiddleware, context=context)
    app.state.login_throttle = auth_routes.LoginThrottle(context.settings.login_attempts_per_minute)
    app.include_router(auth_routes.router)
    app.include_router(owner_routes.router)  # the owner's dashboard API and the provider's usage
    ops_routes.install(
        app, metrics=metrics, metrics_token=metrics_token
    )  # request timing, /healthz, /readyz, /metrics
    pages.install(app)  # the web pages (dashboard, admin, console, login) and /static
    if voice is not None:
        app.include_router(voice)
    openapi_errors.install(app)  # every operation's error answers, from what its route depends on
    return app
