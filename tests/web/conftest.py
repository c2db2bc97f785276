"""An agent API over an in-process ACD (fake clock) and a real SQLite database, with two tenants' agents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from receptionist.acd.agents_file import AgentAccount, AgentDirectory, hash_token, new_token
from receptionist.acd.bridge import Bridges
from receptionist.acd.clock import FakeClock
from receptionist.acd.config import AgentConfig, QueueConfig
from receptionist.acd.engine import Acd, Activity
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.calls import Briefing, Call, EscalationRequest, EscalationTrigger, Role, Turn
from receptionist.storage.database import Database
from receptionist.storage.queue_events import QueueEventWriter
from receptionist.storage.tenants import TenantRepository
from receptionist.web.app import create_app
from receptionist.web.context import ApiSettings

ACME = "acme-cloud"
DENTAL = "bright-smile-dental"


@dataclass
class Api:
    client: TestClient
    service: AcdService
    clock: FakeClock
    tokens: dict[str, str]
    bridges: Bridges

    def auth(self, agent_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[agent_id]}"}

    def post(self, agent_id: str, path: str, json: Any = None) -> Any:
        return self.client.post(f"/api/agent{path}", headers=self.auth(agent_id), json=json)

    def get(self, agent_id: str, path: str) -> Any:
        return self.client.get(f"/api/agent{path}", headers=self.auth(agent_id))

    def escalate(self, call_id: str, tenant: str = ACME, queue: str = "support") -> Activity:
        """A receptionist's call queued for a human, with its briefing (run on the app's event loop)."""
        call = Call(tenant_id=tenant, caller_number="+442079460111", id=call_id)
        turns = (Turn(Role.RECEPTIONIST, "Hello, Acme Cloud."), Turn(Role.CALLER, "Nobody can sign in."))
        briefing = Briefing(
            tenant_name="Acme Cloud Software", caller_name="Dana Whitfield", caller_number="+442079460111",
            concern="support", reason="nobody can sign in", summary="Dana Whitfield: sign-in outage",
            transcript=turns,
        )  # fmt: skip
        request = EscalationRequest(
            queue=queue,
            priority=0,
            reason="nobody can sign in",
            trigger=EscalationTrigger.CONCERN,
            briefing=briefing,
        )
        assert self.client.portal is not None
        return self.client.portal.call(self.service.enqueue_escalation, call, request)

    def run(self, fn: Any, *args: Any) -> Any:
        assert self.client.portal is not None
        return self.client.portal.call(fn, *args)


@pytest.fixture
def api(sqlite_db: Database) -> Iterator[Api]:
    tenants = TenantRepository(sqlite_db)
    tenants.upsert(ACME, "Acme Cloud Software")
    tenants.upsert(DENTAL, "Bright Smile Dental")
    clock = FakeClock()
    service = AcdService(Acd(MemoryStore(), clock=clock), sink=QueueEventWriter(sqlite_db))
    service.configure_queue(QueueConfig(tenant_id=ACME, name="support", ring_timeout_s=20))
    service.configure_queue(QueueConfig(tenant_id=ACME, name="sales"))
    service.configure_queue(QueueConfig(tenant_id=DENTAL, name="front-desk"))
    tokens = {agent_id: new_token() for agent_id in ("ann", "bob", "dan")}
    accounts = [
        AgentAccount(
            AgentConfig(agent_id="ann", tenants=frozenset({ACME}), name="Ann", reject_delay_s=30),
            _digest(tokens["ann"]),
        ),
        AgentAccount(
            AgentConfig(agent_id="bob", tenants=frozenset({ACME}), name="Bob"), _digest(tokens["bob"])
        ),
        AgentAccount(
            AgentConfig(agent_id="dan", tenants=frozenset({DENTAL}), name="Dan"), _digest(tokens["dan"])
        ),
    ]
    directory = AgentDirectory(accounts)
    for account in directory:
        service.configure_agent(account.config)
    bridges = Bridges()  # shared with the hold sessions (the TransferDesk) in a real process
    settings = ApiSettings(max_body_bytes=4096, ws_auth_timeout_s=2)
    app = create_app(service=service, agents=directory, db=sqlite_db, bridges=bridges, settings=settings)
    with TestClient(app) as client:
        yield Api(client=client, service=service, clock=clock, tokens=tokens, bridges=bridges)


def _digest(token: str) -> bytes:
    return bytes.fromhex(hash_token(token))
