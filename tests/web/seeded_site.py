"""The whole process as ``receptionist serve`` wires it (:func:`receptionist.server.build_server`) over
SQLite, with two tenants' stored calls and the users who may or may not read them.

Tenant A is ``acme-cloud``, tenant B ``bright-smile-dental``. Each has one finished call with everything
a call can leave behind: transcript, summary, message, an escalation, its queue log (connected to the
tenant's agent) and a wrap-up note. Each tenant's call carries words, a caller name and a phone number
found nowhere else (:attr:`Tenant.secrets`), so a response that leaks another tenant's data shows it.

Users: an admin, an owner per tenant, and an agent user per tenant (``ann`` serves only A, ``dan`` only
B, as the agents file says). ``bob`` (A) and ``dee`` (B) are agents-file agents without a login.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, cast

from receptionist.acd.agents_file import AgentAccount, AgentDirectory, hash_token, new_token
from receptionist.acd.config import AgentConfig, QueueConfig
from receptionist.acd.events import QueueEvent, QueueEventKind
from receptionist.calls import (
    Briefing,
    Call,
    CallSummary,
    EscalationRequest,
    EscalationTrigger,
    HandoffStatus,
    Message,
    Outcome,
    Role,
    Turn,
    Urgency,
)
from receptionist.config import Settings, load_profile
from receptionist.server import Server, build_server, profile_queues
from receptionist.storage.accounts import UserRepository
from receptionist.storage.call_repository import CallRepository
from receptionist.storage.database import Database
from receptionist.storage.queue_events import QueueEventRepository
from receptionist.storage.wrapup_notes import WrapUpNoteRepository
from receptionist.voice.session import VoiceModels
from receptionist.web.auth.sessions import NewSession, create_api_token, start_session
from tests.helpers import DENTAL, SOFTWARE

A = "acme-cloud"
B = "bright-smile-dental"
Who = Literal["anonymous", "admin", "owner_a", "owner_b", "agent_a", "agent_b"]
AGENT_OF: dict[str, str] = {A: "ann", B: "dan"}  # the agent with a login, per tenant
SECOND_AGENT: dict[str, str] = {A: "bob", B: "dee"}  # an agents-file agent without a login


@dataclass(frozen=True)
class Tenant:
    """One tenant's stored call and what identifies it."""

    tenant_id: str
    call_id: str
    message_id: str
    caller_name: str
    caller_number: str
    secrets: tuple[str, ...]  # words of this tenant's call that no one else may ever be shown


@dataclass
class Site:
    server: Server
    db: Database
    tenants: dict[str, Tenant]
    user_ids: dict[Who, str]
    api_tokens: dict[Who, str]  # a ``rcpt_`` API token per signed-in user
    api_token_ids: dict[Who, int]  # their ids (``DELETE /api/tokens/{token_id}``)
    agent_tokens: dict[str, str]  # agents-file tokens by agent id

    def session(self, who: Who) -> NewSession:
        """A fresh browser session for ``who`` (each request may end its own: logout)."""
        return start_session(self.db, self.user_ids[who], ttl_s=3600)

    def spare_token(self, who: Who) -> int:
        """The id of a new API token of ``who``'s (one to revoke)."""
        return create_api_token(self.db, self.user_ids[who], "spare").record.id


def _models_not_needed() -> VoiceModels:
    """No speech models: nothing here speaks, and readiness answers at once."""
    return cast(VoiceModels, object())


def build_site(tmp_path: Path, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Site:
    """Build the process (not started) and store the tenants' data and users."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    profiles = [load_profile(SOFTWARE), load_profile(DENTAL)]
    agents, agent_tokens = _agents()
    server = build_server(
        settings, profiles, agents=agents, demo=False, models=_models_not_needed, preload_models=False
    )
    for profile in profiles:  # offers ring and callers wait as long as a test needs
        for name in profile_queues(profile):
            server.service.configure_queue(
                QueueConfig(tenant_id=profile.tenant_id, name=name, ring_timeout_s=3600, max_wait_s=3600)
            )
    db = server.receptionist.db
    assert db is not None
    started = now() - timedelta(hours=1)
    tenants = {
        A: _store_call(db, A, "Quillon Abernathy", "+442079468317", "the zeppelin dashboard froze", started),
        B: _store_call(db, B, "Zebedee Quartermaine", "+16175558429", "my crown fell out at the xylophone", started),
    }  # fmt: skip
    users = UserRepository(db)
    user_ids: dict[Who, str] = {
        "admin": users.create("admin@example.com", "Ada Admin", "unused-hash", "admin").id,
        "owner_a": users.create("owner@acme.example", "Olly Owner", "unused-hash", "owner", tenant_id=A).id,
        "owner_b": users.create("owner@dental.example", "Dee Dentist", "unused-hash", "owner", tenant_id=B).id,
        "agent_a": users.create("ann@agents.example", "Ann Lee", "unused-hash", "agent", agent_id="ann").id,
        "agent_b": users.create("dan@agents.example", "Dan Ode", "unused-hash", "agent", agent_id="dan").id,
    }  # fmt: skip
    created = {who: create_api_token(db, uid, "tests") for who, uid in user_ids.items()}
    return Site(
        server=server, db=db, tenants=tenants, user_ids=user_ids,
        api_tokens={who: new.token for who, new in created.items()},
        api_token_ids={who: new.record.id for who, new in created.items()},
        agent_tokens=agent_tokens,
    )  # fmt: skip


def _agents() -> tuple[AgentDirectory, dict[str, str]]:
    tokens = {agent_id: new_token() for agent_id in ("ann", "bob", "dan", "dee")}
    serves = {"ann": A, "bob": A, "dan": B, "dee": B}
    accounts = [
        AgentAccount(
            AgentConfig(agent_id=agent_id, tenants=frozenset({tenant}), name=agent_id.title()),
            bytes.fromhex(hash_token(tokens[agent_id])),
        )
        for agent_id, tenant in serves.items()
    ]
    return AgentDirectory(accounts), tokens


def _store_call(db: Database, tenant_id: str, name: str, number: str, words: str, at: datetime) -> Tenant:
    """A finished call with a message, summary, escalation, queue log and a wrap-up note."""
    call = Call(tenant_id=tenant_id, caller_number=number, dialled_number=None, started_at=at)
    call.concern = "billing"
    call.turns = [
        Turn(Role.RECEPTIONIST, "Hello, how can I help?", at),
        Turn(Role.CALLER, f"This is {name}: {words}.", at + timedelta(seconds=5)),
    ]
    call.message = Message(
        name=name, phone=number, reason=f"{words} (message)", urgency=Urgency.URGENT, best_time="after 5pm"
    )
    call.outcome, call.ended_at = Outcome.MESSAGE_TAKEN, at + timedelta(minutes=3)
    repo = CallRepository(db, tenant_id)
    repo.start(call)
    repo.record_escalation(call.id, escalation(name, number, words), HandoffStatus.QUEUED)
    summary = CallSummary(text=f"{name} called: {words}", source="offline", reason=words)
    repo.finish(call, summary, [])
    agent, queue = AGENT_OF[tenant_id], "front-desk" if tenant_id == B else "reception"
    log = [
        (QueueEventKind.ENTER, None, 0, {"position": 1, "priority": 0}),
        (QueueEventKind.OFFER, agent, 5, {"offer_id": f"offer-{call.id}"}),
        (QueueEventKind.CONNECT, agent, 10, {"wait_s": 10, "ring_s": 5}),
        (QueueEventKind.COMPLETE_AGENT, agent, 100, {"wait_s": 10, "talk_s": 90}),
    ]
    QueueEventRepository(db, tenant_id).append(
        [
            QueueEvent(at + timedelta(seconds=s), tenant_id, queue, kind, call_id=call.id, agent_id=who, data=data)
            for kind, who, s, data in log
        ]
    )  # fmt: skip
    WrapUpNoteRepository(db, tenant_id).add(call.id, agent, f"called {name} back about {words}")
    assert call.message is not None
    return Tenant(
        tenant_id=tenant_id, call_id=call.id, message_id=call.message.id, caller_name=name,
        caller_number=number, secrets=(name, words, number, number[-7:]),
    )  # fmt: skip


def escalation(name: str, number: str, words: str, *, queue: str = "front-desk") -> EscalationRequest:
    briefing = Briefing(
        tenant_name="", caller_name=name, caller_number=number, concern="billing", reason=words,
        summary=f"{name}: {words}", transcript=(Turn(Role.CALLER, words),),
    )  # fmt: skip
    return EscalationRequest(
        queue=queue, priority=0, reason=words, trigger=EscalationTrigger.CALLER_REQUEST, briefing=briefing
    )


def leaked(site: Site, tenant_id: str, text: str) -> list[str]:
    """The secrets of ``tenant_id`` found in ``text`` (digits compared without punctuation too)."""
    secrets = site.tenants[tenant_id].secrets
    digits = "".join(c for c in text if c.isdigit())
    found = [s for s in secrets if s in text]
    number = site.tenants[tenant_id].caller_number.lstrip("+")
    if number in digits or number[1:] in digits:
        found.append(f"the caller's number ({number})")
    return found
