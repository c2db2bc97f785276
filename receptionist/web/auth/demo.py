"""Demo accounts, so a fresh install can be tried at once: an admin, an owner per tenant, a user per agent.

They all share the password :data:`DEMO_PASSWORD` (``receptionist-demo``), which is public: it is printed
by ``receptionist serve`` and written here. Use them on a laptop, never on a reachable server; real
accounts are made with ``receptionist users add``, which asks for a password.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from receptionist.acd.agents_file import AgentDirectory
from receptionist.storage.accounts import DuplicateEmail, UserRepository
from receptionist.storage.database import Database
from receptionist.web.auth.passwords import hash_password
from receptionist.web.auth.principal import Role

DEMO_PASSWORD = "receptionist-demo"  # noqa: S105 - documented, demo accounts only
ADMIN_EMAIL = "admin@example.com"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A demo login to print: its e-mail, the shared demo password, role and tenant."""

    email: str
    password: str
    role: Role
    tenant_id: str | None = None
    agent_id: str | None = None
    name: str = ""


def demo_accounts(*, tenants: list[str], agents: AgentDirectory) -> list[DemoAccount]:
    """The demo accounts for these tenants and agents (nothing is stored)."""
    accounts = [DemoAccount(ADMIN_EMAIL, DEMO_PASSWORD, Role.ADMIN, name="Demo Admin")]
    accounts += [
        DemoAccount(f"owner@{t}.example.com", DEMO_PASSWORD, Role.OWNER, tenant_id=t, name=f"Owner of {t}")
        for t in tenants
    ]
    accounts += [
        DemoAccount(
            f"{a.agent_id}@agents.example.com", DEMO_PASSWORD, Role.AGENT, agent_id=a.agent_id, name=a.name
        )
        for a in agents
    ]
    return accounts


def ensure_demo_accounts(db: Database, *, tenants: list[str], agents: AgentDirectory) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet (an existing address is left as it is, password
    included); returns them all. The tenants must already be stored."""
    users = UserRepository(db)
    accounts = demo_accounts(tenants=tenants, agents=agents)
    missing = [a for a in accounts if users.by_email(a.email) is None]
    if missing:
        password_hash = hash_password(DEMO_PASSWORD)  # one slow hash, shared: they share the password anyway
        for a in missing:
            with contextlib.suppress(DuplicateEmail):  # another process made it meanwhile
                users.create(
                    a.email, a.name, password_hash, a.role.value, tenant_id=a.tenant_id, agent_id=a.agent_id
                )
    return accounts
