"""A web app with accounts over a real database: an admin, an owner per tenant, two agents' users (one
also in the agents file with an API token), built the way the composition root builds it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from receptionist.acd.agents_file import AgentAccount, AgentDirectory, hash_token, new_token
from receptionist.acd.clock import FakeClock
from receptionist.acd.config import AgentConfig, QueueConfig
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.storage.accounts import UserRecord, UserRepository
from receptionist.storage.database import Database
from receptionist.storage.queue_events import QueueEventWriter
from receptionist.storage.tenants import TenantRepository
from receptionist.web.app import create_app
from receptionist.web.auth.passwords import hash_password
from receptionist.web.auth.sessions import SESSION_COOKIE
from receptionist.web.context import ApiSettings

ACME = "acme-cloud"
DENTAL = "bright-smile-dental"
PASSWORD = "correct horse battery"
ADMIN = "admin@example.com"
OWNER = "owner@acme.example.com"
AGENT = "ann@agents.example.com"
ORIGIN = "http://testserver"


@cache
def password_hash() -> str:
    """One argon2id hash of :data:`PASSWORD`, shared by the test users (hashing takes a tenth of a second)."""
    return hash_password(PASSWORD)


@dataclass
class AuthApp:
    app: FastAPI
    client: TestClient
    db: Database
    agents: AgentDirectory
    agent_tokens: dict[str, str]
    users: dict[str, UserRecord]

    def login(self, email: str, password: str = PASSWORD, client: TestClient | None = None) -> httpx.Response:
        return (client or self.client).post("/api/auth/login", json={"email": email, "password": password})

    def signed_in(self, email: str) -> str:
        """Sign in on the shared client; the CSRF token."""
        response = self.login(email)
        assert response.status_code == 200, response.text
        csrf: str = response.json()["csrf_token"]
        return csrf

    def other_client(self, address: str = "testclient") -> TestClient:
        """A second browser (no cookies), optionally from another address."""
        return TestClient(self.app, client=(address, 50001))

    def session_cookie(self) -> str:
        cookie = self.client.cookies.get(SESSION_COOKIE)
        assert cookie is not None
        return cookie

    def user(self, email: str) -> UserRecord:
        return self.users[email]


def make_agents() -> tuple[AgentDirectory, dict[str, str]]:
    tokens = {"ann": new_token(), "dan": new_token()}
    accounts = [
        AgentAccount(
            AgentConfig(agent_id="ann", tenants=frozenset({ACME}), name="Ann"), _digest(tokens["ann"])
        ),
        AgentAccount(
            AgentConfig(agent_id="dan", tenants=frozenset({DENTAL}), name="Dan"), _digest(tokens["dan"])
        ),
    ]
    return AgentDirectory(accounts), tokens


@contextmanager
def auth_app(db: Database, **settings: Any) -> Iterator[AuthApp]:
    """The app with its users; ``settings`` override :class:`ApiSettings` fields."""
    tenants = TenantRepository(db)
    tenants.upsert(ACME, "Acme Cloud Software")
    tenants.upsert(DENTAL, "Bright Smile Dental")
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()), sink=QueueEventWriter(db))
    service.configure_queue(QueueConfig(tenant_id=ACME, name="support"))
    agents, tokens = make_agents()
    for account in agents:
        service.configure_agent(account.config)
    repo = UserRepository(db)
    users = {
        ADMIN: repo.create(ADMIN, "Ada Admin", password_hash(), "admin"),
        OWNER: repo.create(OWNER, "Olly Owner", password_hash(), "owner", tenant_id=ACME),
        AGENT: repo.create(AGENT, "Ann Lee", password_hash(), "agent", agent_id="ann"),
        "gone@agents.example.com": repo.create(
            "gone@agents.example.com", "Not In The File", password_hash(), "agent", agent_id="gone"
        ),
    }
    api_settings = ApiSettings(**{"ws_auth_timeout_s": 2.0, **settings})
    app = create_app(service=service, agents=agents, db=db, settings=api_settings)
    with TestClient(app) as client:
        yield AuthApp(app=app, client=client, db=db, agents=agents, agent_tokens=tokens, users=users)


def _digest(token: str) -> bytes:
    return bytes.fromhex(hash_token(token))
