"""A receptionist wired to an in-process ACD on a fake clock, for whole warm-transfer calls in tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from receptionist.acd.bridge import TextParticipant
from receptionist.acd.clock import FakeClock
from receptionist.acd.config import AgentConfig, QueueConfig
from receptionist.acd.desk import TransferDesk
from receptionist.acd.engine import Acd
from receptionist.acd.events import QueueEvent
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.acd.store import AcdStore
from receptionist.acd.transfer import Sleep, WarmTransfer
from receptionist.app import Receptionist
from receptionist.conversation import Conversation
from receptionist.storage.queue_events import QueueEventRepository, QueueEventWriter
from tests.helpers import OPEN_HOURS, SOFTWARE, build

TENANT = "acme-cloud"
CALLER_ID = "+44 20 7946 0111"


def queue(name: str, **options: Any) -> QueueConfig:
    return QueueConfig(tenant_id=TENANT, name=name, **options)


def agent(agent_id: str, **options: Any) -> AgentConfig:
    return AgentConfig(agent_id=agent_id, tenants=frozenset({TENANT}), name=agent_id.title(), **options)


@dataclass
class Line:
    """The receptionist, the ACD service and its hold desk, and a fake clock counted from 0."""

    rx: Receptionist
    service: AcdService
    desk: TransferDesk
    clock: FakeClock
    seen: list[WarmTransfer] = field(default_factory=list)  # every hold session looked at

    @classmethod
    def build(
        cls,
        tmp_path: Path,
        store: AcdStore,
        *configs: QueueConfig | AgentConfig,
        every_s: float | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> Line:
        """``store``: the in-process one or Redis (``tests/acd/conftest.py`` runs each test on both)."""
        clock = FakeClock(OPEN_HOURS)
        rx = build(tmp_path, SOFTWARE)
        assert rx.db is not None
        offload = not isinstance(store, MemoryStore)  # Redis calls leave the event loop
        service = AcdService(Acd(store, clock=clock), sink=QueueEventWriter(rx.db), offload=offload)
        for config in configs:
            if isinstance(config, QueueConfig):
                service.configure_queue(config)
            else:
                service.configure_agent(config)
        desk = rx.attach_acd(service, desk=TransferDesk(service, announce_every_s=every_s, sleep=sleep))
        return cls(rx=rx, service=service, desk=desk, clock=clock)

    @property
    def t(self) -> float:
        return (self.clock.now() - OPEN_HOURS).total_seconds()

    def at_s(self, at: datetime) -> float:
        return (at - OPEN_HOURS).total_seconds()

    async def at(self, t: float) -> None:
        """Move to second ``t``, firing each timer at its own due time, as the ticker would."""
        target = OPEN_HOURS + timedelta(seconds=t)
        while (due := self.service.acd.store.next_due()) is not None and due <= target:
            self.clock.set(max(due, self.clock.now()))
            await self.service.tick()
        self.clock.set(target)
        await self.service.tick()
        for transfer in {*self.seen, *self.desk.active}:  # a finished one has left desk.active
            await transfer.settled()

    async def caller(self) -> Conversation:
        conv = self.rx.conversation(TENANT, caller_number=CALLER_ID, channel="test")
        await conv.open()
        return conv

    def held(self, conv: Conversation) -> WarmTransfer:
        transfer = self.desk.get(conv.call.id)
        assert transfer is not None, "the call is not on hold"
        self.seen.append(transfer)
        return transfer

    async def offer_id(self, agent_id: str) -> str:
        offer = await self.service.open_offer(agent_id)
        assert offer is not None, f"nothing rings for {agent_id}"
        return offer.offer_id

    def stored(self, call_id: str | None = None) -> list[QueueEvent]:
        assert self.rx.db is not None
        return QueueEventRepository(self.rx.db, TENANT).list(call_id=call_id)


def heard(transfer: WarmTransfer) -> list[str]:
    assert isinstance(transfer.caller, TextParticipant)
    return transfer.caller.heard


def timeline(line: Line, events: list[QueueEvent]) -> list[tuple[float, str, str | None]]:
    return [(line.at_s(e.at), e.kind.value, e.agent_id) for e in events]


class ManualSleep:
    """A sleep that ends only when the test says so: periodic announcements without real waiting."""

    def __init__(self) -> None:
        self._requests: asyncio.Queue[tuple[float, asyncio.Future[None]]] = asyncio.Queue()
        self._pending: tuple[float, asyncio.Future[None]] | None = None

    async def __call__(self, seconds: float) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._requests.put_nowait((seconds, done))
        await done

    async def asleep(self) -> tuple[float, asyncio.Future[None]]:
        """The sleep in progress (waiting for one to start)."""
        if self._pending is None:
            self._pending = await asyncio.wait_for(self._requests.get(), timeout=5)
        return self._pending

    async def wake(self) -> float:
        """End the sleep in progress and wait until the sleeper sleeps again (its work done in between);
        returns how long the ended sleep was meant to be."""
        seconds, done = await self.asleep()
        self._pending = None
        done.set_result(None)
        await self.asleep()
        return seconds
