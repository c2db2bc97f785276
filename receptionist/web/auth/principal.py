"""Who is asking: the signed-in user (by session cookie or API token) and what they may see."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # the provider: every tenant, usage, accounts
    OWNER = "owner"  # one business: its calls, messages, statistics, profile
    AGENT = "agent"  # takes calls for the tenants they serve (the agents file says which)


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated user. ``csrf`` is the session's CSRF token when they came by cookie (unsafe
    requests must echo it); None when they came with an API token (no ambient credentials, no CSRF)."""

    user_id: str
    email: str
    name: str
    role: Role
    tenant_id: str | None = None  # an owner's business
    agent_id: str | None = None  # an agent's id in the agents file
    served: frozenset[str] = frozenset()  # the tenants an agent serves
    csrf: str | None = None

    def reads_tenant(self, tenant_id: str) -> bool:
        """May see this tenant's dashboard data (calls, messages, statistics, profile)."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.OWNER and self.tenant_id == tenant_id

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
