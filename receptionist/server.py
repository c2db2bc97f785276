"""``receptionist serve``: everything in one process on the embedded defaults.

The one place where the web app, the voice transports, the ACD and the receptionist are wired together:
SQLite (or ``RECEPTIONIST_DATABASE_URL``), the in-process ACD with a queue for every queue the profiles
name, the switchboard for voice calls (Twilio, softphone), the hold desk that speaks to held callers, the
outbox worker that delivers messages, retention, and the pages. Without an agents file, two demo agents
serve every business, and demo logins are created for the provider, each owner and each agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from receptionist.acd.agents_file import AgentAccount, AgentDirectory, hash_token, new_token
from receptionist.acd.bridge import Bridges
from receptionist.acd.clock import SystemClock
from receptionist.acd.config import AgentConfig, QueueConfig
from receptionist.acd.desk import TransferDesk
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.app import Receptionist
from receptionist.config.profile import BusinessProfile
from receptionist.config.settings import Settings
from receptionist.notify.outbox import OutboxWorker
from receptionist.storage.queue_events import QueueEventWriter
from receptionist.storage.repository import OutboxRepository
from receptionist.storage.retention import RetentionTask
from receptionist.telephony.switchboard import Switchboard
from receptionist.telephony.tokens import TokenSigner
from receptionist.voice.timing import VoiceTimers
from receptionist.web.app import create_app
from receptionist.web.auth.demo import DemoAccount, ensure_demo_accounts
from receptionist.web.context import ApiSettings
from receptionist.web.metrics import Metrics
from receptionist.web.voice_routes import voice_router

if TYPE_CHECKING:
    from fastapi import FastAPI

    from receptionist.voice.session import VoiceModels

log = logging.getLogger(__name__)

DEMO_AGENTS = (("alex", "Alex Morgan"), ("sam", "Sam Rivera"))


def profile_queues(profile: BusinessProfile) -> list[str]:
    """Every queue a profile sends callers to: its concerns' transfers and its escalation queues."""
    names: list[str | None] = [c.handling.queue for c in profile.concerns]
    names += [profile.escalation.human_queue, profile.escalation.emergency_queue]
    return sorted({n for n in names if n})


def queue_configs(profiles: Iterable[BusinessProfile]) -> list[QueueConfig]:
    """One ACD queue per (business, queue name). Callers wait at most two minutes before a message is
    taken; a queue with nobody logged in takes a message at once (the ACD's defaults)."""
    return [
        QueueConfig(tenant_id=p.tenant_id, name=name, ring_timeout_s=20.0, max_wait_s=120.0, wrap_up_s=30.0)
        for p in profiles
        for name in profile_queues(p)
    ]


def demo_agents(tenant_ids: Sequence[str]) -> AgentDirectory:
    """Two agents serving every business. Their API tokens are random and never shown: they sign in on
    the web with their demo accounts."""
    return AgentDirectory(
        AgentAccount(
            AgentConfig(agent_id=agent_id, tenants=frozenset(tenant_ids), name=name),
            bytes.fromhex(hash_token(new_token())),
        )
        for agent_id, name in DEMO_AGENTS
    )


async def _load_and_warm(switchboard: Switchboard) -> None:
    from receptionist.voice.session import warm_clauses_in_background

    models = await switchboard.models()
    warm_clauses_in_background(models.options.tts)


@dataclass
class Server:
    """The wired process; :attr:`app` is what uvicorn serves."""

    app: FastAPI
    receptionist: Receptionist
    service: AcdService
    switchboard: Switchboard
    agents: AgentDirectory
    demo_accounts: list[DemoAccount] = field(default_factory=list)


def build_server(
    settings: Settings,
    profiles: Sequence[BusinessProfile],
    *,
    agents: AgentDirectory | None = None,
    demo: bool = True,
    models: Callable[[], VoiceModels] | None = None,
    preload_models: bool = True,
    outbox_interval_s: float = 5.0,
) -> Server:
    """Build the whole service. ``demo``: create the demo logins (and demo agents when no ``agents``)."""
    receptionist = Receptionist.build(settings, profiles)
    db = receptionist.db
    assert db is not None  # built with its database
    tenant_ids = sorted(receptionist.tenants)
    service = AcdService(Acd(MemoryStore(), clock=SystemClock()), sink=QueueEventWriter(db))
    for queue in queue_configs(t.profile for t in receptionist.tenants.values()):
        service.configure_queue(queue)
    directory = agents if agents is not None else demo_agents(tenant_ids)
    for account in directory:
        service.configure_agent(account.config)
    metrics = Metrics()  # /metrics: the voice lines observe their latencies into its histograms
    timers = VoiceTimers(voice_to_voice=metrics.voice_to_voice, stt=metrics.stt)
    switchboard = Switchboard(receptionist, capacity=settings.max_calls, models=models, timers=timers)
    bridges = Bridges()
    desk = TransferDesk(
        service,
        bridges=bridges,
        prompts_dir=receptionist.prompts_dir,
        caller_participant=switchboard.participant,
    )
    receptionist.attach_acd(service, desk=desk)
    secret = settings.media_token_secret
    signer = TokenSigner(
        secret.get_secret_value().encode() if secret else None, ttl_s=settings.media_token_ttl_s
    )
    voice = voice_router(switchboard, signer, settings)
    outbox = OutboxWorker(OutboxRepository(db), settings)
    retention = RetentionTask(db, settings.retention_days) if settings.retention_days else None

    @contextlib.asynccontextmanager
    async def background() -> AsyncIterator[None]:
        tasks: list[asyncio.Task[Any]] = [
            asyncio.create_task(outbox.run_forever(outbox_interval_s), name="outbox")
        ]
        if preload_models:  # the first caller should not wait for the speech models (nor for Piper)
            tasks.append(asyncio.create_task(_load_and_warm(switchboard), name="load-voice-models"))
        if retention is not None:
            await retention.start()
        try:
            yield
        finally:
            await switchboard.hang_up_all()
            if retention is not None:
                await retention.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    token = settings.metrics_token
    app = create_app(
        service=service,
        agents=directory,
        db=db,
        bridges=bridges,
        settings=ApiSettings(secure_cookies=settings.secure_cookies),
        run_service=True,
        voice=voice,
        receptionist=receptionist,
        switchboard=switchboard,
        metrics_token=token.get_secret_value() if token else None,
        metrics=metrics,
        background=background,
    )
    accounts = ensure_demo_accounts(db, tenants=tenant_ids, agents=directory) if demo else []
    return Server(
        app=app,
        receptionist=receptionist,
        service=service,
        switchboard=switchboard,
        agents=directory,
        demo_accounts=accounts,
    )
