"""What the routes share, handed in by the composition root, and the dependencies that reach it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header
from starlette.requests import HTTPConnection

from receptionist.acd.agents_file import AgentAccount, AgentDirectory
from receptionist.acd.bridge import Bridges
from receptionist.acd.service import AcdService
from receptionist.storage.database import Database
from receptionist.web.auth.deps import OptionalPrincipalDep
from receptionist.web.auth.principal import Role
from receptionist.web.errors import ApiError

if TYPE_CHECKING:
    from receptionist.app import Receptionist
    from receptionist.telephony.switchboard import Switchboard


@dataclass(frozen=True, kw_only=True)
class ApiSettings:
    """Limits of the HTTP API."""

    max_body_bytes: int = 64 * 1024
    ws_auth_timeout_s: float = 10.0  # a socket without an Authorization header must send its token by then
    max_ws_message_chars: int = 16_000
    secure_cookies: bool = False  # True behind TLS: cookies get the Secure flag
    session_ttl_s: float = 12 * 3600.0  # a browser login lasts a working day
    login_attempts_per_minute: int = 10  # per client address and per e-mail address


@dataclass(frozen=True, kw_only=True)
class ApiContext:
    service: AcdService
    agents: AgentDirectory
    db: Database | None = None
    bridges: Bridges = field(default_factory=Bridges)
    settings: ApiSettings = field(default_factory=ApiSettings)
    receptionist: Receptionist | None = None  # tenants, profiles, timezones (dashboard, profile editing)
    switchboard: Switchboard | None = None  # the voice calls in progress (metrics, readiness)


def get_context(connection: HTTPConnection) -> ApiContext:
    context: ApiContext = connection.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def current_agent(
    context: ContextDep,
    principal: OptionalPrincipalDep,
    authorization: Annotated[str | None, Header()] = None,
) -> AgentAccount:
    """The agent whose agents-file token came with the request, or the signed-in user (session cookie or
    API token) if they are an agent listed in the agents file; 401 otherwise."""
    token = bearer_token(authorization)
    account = context.agents.authenticate(token) if token else None
    if account is None and principal is not None and principal.role is Role.AGENT and principal.agent_id:
        account = context.agents.get(principal.agent_id)
    if account is None:
        raise ApiError(401, "sign in as an agent, or send an agent API token (Authorization: Bearer <token>)")
    return account


AgentDep = Annotated[AgentAccount, Depends(current_agent)]
