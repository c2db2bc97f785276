"""Browser sessions and API tokens: minting them, the session cookie, and who a token belongs to.

The cookie ``receptionist_session`` holds a random 256-bit token; the database keeps only its SHA-256
(the ``web_sessions`` row id), so a copy of the table opens no session. The cookie is ``HttpOnly``,
``SameSite=Lax``, ``Path=/``, lives ``session_ttl_s`` and is ``Secure`` when ``secure_cookies`` is on.
API tokens (``Authorization: Bearer rcpt_...``) are random too and likewise stored as SHA-256 only.

The functions that touch the database are synchronous: call them through ``run_in_threadpool``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from starlette.responses import Response

from receptionist.acd.agents_file import AgentDirectory
from receptionist.calls import utcnow
from receptionist.storage.accounts import (
    ApiTokenRecord,
    ApiTokenRepository,
    UserRecord,
    UserRepository,
    WebSessionRepository,
)
from receptionist.storage.database import Database
from receptionist.web.auth.principal import Principal, Role
from receptionist.web.context import ApiSettings

SESSION_COOKIE = "receptionist_session"
API_TOKEN_PREFIX = "rcpt_"  # noqa: S105 - not a secret: tells a leaked API token apart (secret scanners, logs) from other secrets
MAX_TOKEN_CHARS = 512


def token_sha256(token: str) -> str:
    """The hex SHA-256 under which a session or API token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just started: ``token`` goes into the cookie, and nowhere else."""

    token: str = field(repr=False)
    csrf: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewApiToken:
    """A token just created: ``token`` is shown to its owner once and never again."""

    token: str = field(repr=False)
    record: ApiTokenRecord


def start_session(db: Database, user_id: str, *, ttl_s: float) -> NewSession:
    """A fresh session for the user (and their expired sessions cleared away)."""
    sessions = WebSessionRepository(db)
    sessions.purge_expired(user_id=user_id)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=ttl_s)
    sessions.create(user_id, token_sha256(token), csrf, expires_at)
    return NewSession(token=token, csrf=csrf, expires_at=expires_at)


def end_session(db: Database, token: str) -> None:
    WebSessionRepository(db).delete(token_sha256(token))


def create_api_token(db: Database, user_id: str, name: str) -> NewApiToken:
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewApiToken(token=token, record=ApiTokenRepository(db).create(user_id, name, token_sha256(token)))


def principal_of(user: UserRecord, agents: AgentDirectory, *, csrf: str | None) -> Principal | None:
    """The principal a user is, or None if they are disabled. An agent serves the tenants the agents
    file gives them (none if they are not in it)."""
    if user.disabled:
        return None
    role = Role(user.role)
    served: frozenset[str] = frozenset()
    if role is Role.AGENT and user.agent_id is not None:
        account = agents.get(user.agent_id)
        served = account.tenants if account is not None else frozenset()
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=role,
        tenant_id=user.tenant_id,
        agent_id=user.agent_id,
        served=served,
        csrf=csrf,
    )


def session_principal(db: Database, agents: AgentDirectory, token: str) -> Principal | None:
    """Who the session cookie's token signs in, if the session is valid and the user enabled."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    session = WebSessionRepository(db).get_valid(token_sha256(token))
    if session is None:
        return None
    user = UserRepository(db).get(session.user_id)
    return principal_of(user, agents, csrf=session.csrf) if user is not None else None


def api_token_principal(db: Database, agents: AgentDirectory, token: str) -> Principal | None:
    """Who an API token (not revoked, of an enabled user) belongs to. No CSRF token: no cookie came."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    record = ApiTokenRepository(db).find_valid(token_sha256(token))
    if record is None:
        return None
    user = UserRepository(db).get(record.user_id)
    return principal_of(user, agents, csrf=None) if user is not None else None


def set_session_cookie(response: Response, session: NewSession, settings: ApiSettings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(settings.session_ttl_s),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: ApiSettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )


def home_of(role: Role) -> str:
    """Where a user lands after signing in."""
    return "/console" if role is Role.AGENT else "/dashboard"
