"""Signing in and out, who am I, and API tokens: the JSON API under ``/api``, and the two form posts the
HTML pages use (``POST /login``, ``POST /logout``; the pages themselves live elsewhere).

Login attempts are limited per client address and per e-mail address (``login_attempts_per_minute``;
behind a proxy run uvicorn with ``--proxy-headers`` so the address is the client's). A wrong password, an
unknown address and a disabled account all get the same answer, in about the same time.
"""

from __future__ import annotations

import contextlib
import math
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from receptionist.acd.agents_file import AgentDirectory
from receptionist.storage.accounts import ApiTokenRecord, ApiTokenRepository, UserRepository, normalise_email
from receptionist.storage.database import Database
from receptionist.web.auth.deps import PrincipalDep
from receptionist.web.auth.middleware import check_form_csrf
from receptionist.web.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    WeakPassword,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from receptionist.web.auth.principal import Principal
from receptionist.web.auth.sessions import (
    SESSION_COOKIE,
    NewSession,
    clear_session_cookie,
    create_api_token,
    end_session,
    home_of,
    principal_of,
    set_session_cookie,
    start_session,
)
from receptionist.web.context import ApiContext, ContextDep
from receptionist.web.errors import ApiError, not_found
from receptionist.web.ratelimit import Rate, RateLimiter

router = APIRouter(tags=["auth"])

WRONG_CREDENTIALS = "wrong e-mail address or password"
_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "not signed in"}}
_UNSAFE = _UNAUTHORIZED | {403: {"description": "by cookie without the X-CSRF-Token header (code csrf)"}}


class LoginThrottle:
    """``attempts_per_minute`` logins per client address and, separately, per e-mail address."""

    def __init__(self, attempts_per_minute: int) -> None:
        rate = Rate(rate_per_s=attempts_per_minute / 60.0, burst=attempts_per_minute)
        self._by_address = RateLimiter(rate)
        self._by_email = RateLimiter(rate)

    def allow(self, address: str, email: str) -> float:
        """Take one attempt from both; 0 if allowed, else the seconds to wait."""
        address_ok = self._by_address.allow(address)
        email_ok = self._by_email.allow(email)
        if address_ok and email_ok:
            return 0.0
        return max(self._by_address.retry_after(address), self._by_email.retry_after(email), 1.0)


# -- schemas ----------------------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_Request):
    email: str = Field(max_length=254, examples=["owner@acme-cloud.example.com"])
    password: str = Field(max_length=MAX_PASSWORD_LENGTH, examples=["receptionist-demo"])


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: str = Field(examples=["owner"], description="admin, owner or agent")
    tenant_id: str | None = Field(description="an owner's business")
    agent_id: str | None = Field(description="an agent's id in the agents file")
    served: list[str] = Field(description="the tenants an agent takes calls for")

    @classmethod
    def of(cls, p: Principal) -> UserOut:
        return cls(
            id=p.user_id, email=p.email, name=p.name, role=p.role.value, tenant_id=p.tenant_id,
            agent_id=p.agent_id, served=sorted(p.served),
        )  # fmt: skip


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str | None = Field(
        description="echo in the X-CSRF-Token header of unsafe requests (null when signed in by API token)"
    )


class TokenIn(_Request):
    name: str = Field(min_length=1, max_length=100, examples=["reporting script"])


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, r: ApiTokenRecord) -> TokenOut:
        return cls(id=r.id, name=r.name, created_at=r.created_at, last_used_at=r.last_used_at)


class NewTokenOut(TokenOut):
    token: str = Field(description="the token itself, shown this once: send it as Authorization: Bearer")


# -- signing in -------------------------------------------------------------------------------------


class _Throttled(Exception):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__("too many login attempts")
        self.retry_after_s = retry_after_s


def _db(context: ApiContext) -> Database:
    if context.db is None:
        raise ApiError(503, "accounts need a database", code="unavailable")
    return context.db


def _check_login(
    db: Database, agents: AgentDirectory, email: str, password: str, ttl_s: float, old_cookie: str | None
) -> tuple[Principal, NewSession] | None:
    """Blocking (argon2 and the database): verify, rehash if due, start a session."""
    users = UserRepository(db)
    user = users.by_email(email) if "@" in email else None
    if user is None:
        dummy_verify(password)
        return None
    if not verify_password(user.password_hash, password) or user.disabled:
        return None
    if needs_rehash(user.password_hash):
        with contextlib.suppress(WeakPassword):  # set before today's rules: the old hash keeps working
            users.set_password_hash(user.id, hash_password(password))
    if old_cookie:
        end_session(db, old_cookie)  # a new login never reuses a session (no fixation)
    session = start_session(db, user.id, ttl_s=ttl_s)
    principal = principal_of(user, agents, csrf=session.csrf)
    return (principal, session) if principal is not None else None


async def _sign_in(
    request: Request, context: ApiContext, email: str, password: str
) -> tuple[Principal, NewSession]:
    db = _db(context)
    email = normalise_email(email)
    address = request.client.host if request.client is not None else "unknown"
    throttle: LoginThrottle = request.app.state.login_throttle
    wait = throttle.allow(address, email)
    if wait > 0:
        raise _Throttled(wait)
    old = request.cookies.get(SESSION_COOKIE)
    ttl = context.settings.session_ttl_s
    found = await run_in_threadpool(_check_login, db, context.agents, email, password, ttl, old)
    if found is None:
        raise ApiError(401, WRONG_CREDENTIALS)
    return found


@router.post(
    "/api/auth/login",
    responses={
        401: {"description": WRONG_CREDENTIALS},
        429: {"description": "too many attempts; see Retry-After"},
    },
)
async def login(body: LoginIn, request: Request, response: Response, context: ContextDep) -> SessionOut:
    """Sign in: sets the session cookie and returns the CSRF token to echo in ``X-CSRF-Token``."""
    try:
        principal, session = await _sign_in(request, context, body.email, body.password)
    except _Throttled as exc:
        seconds = str(math.ceil(exc.retry_after_s))
        raise HTTPException(
            429, "too many login attempts; try again later", {"Retry-After": seconds}
        ) from None
    set_session_cookie(response, session, context.settings)
    return SessionOut(user=UserOut.of(principal), csrf_token=session.csrf)


@router.post("/api/auth/logout", status_code=204, response_class=Response)
async def logout(request: Request, context: ContextDep) -> Response:
    """Sign out: ends the session and clears the cookie (also when the session had already ended)."""
    response = Response(status_code=204)
    await _sign_out(request, context, response)
    return response


async def _sign_out(request: Request, context: ApiContext, response: Response) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and context.db is not None:
        await run_in_threadpool(end_session, context.db, cookie)
    clear_session_cookie(response, context.settings)


@router.get("/api/me", responses=_UNAUTHORIZED)
async def me(principal: PrincipalDep) -> SessionOut:
    """Who is signed in: the user, their role, tenant or served tenants, and the CSRF token (by cookie)."""
    return SessionOut(user=UserOut.of(principal), csrf_token=principal.csrf)


# -- the pages' forms -------------------------------------------------------------------------------


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site (``/...``, not ``//host`` or a URL), else None."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


@router.post("/login", response_class=RedirectResponse, status_code=303, include_in_schema=False)
async def login_form(
    request: Request,
    context: ContextDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    next_: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> RedirectResponse:
    """The login page's form: 303 to ``next`` (a local path) or the role's home; back to the form with
    ``error=1`` (wrong credentials) or ``error=limited`` (too many attempts)."""
    target = safe_next(next_)
    try:
        principal, session = await _sign_in(request, context, email, password)
    except (ApiError, _Throttled) as exc:
        query = {"error": "limited" if isinstance(exc, _Throttled) else "1"}
        if target is not None:
            query["next"] = target
        return RedirectResponse(f"/login?{urlencode(query)}", status_code=303)
    response = RedirectResponse(target or home_of(principal.role), status_code=303)
    set_session_cookie(response, session, context.settings)
    return response


@router.post("/logout", response_class=RedirectResponse, status_code=303, include_in_schema=False)
async def logout_form(
    request: Request,
    context: ContextDep,
    csrf_token: Annotated[str | None, Form(max_length=200)] = None,
) -> RedirectResponse:
    """The pages' sign-out button (a form with ``csrf_token``): 303 to the login page."""
    check_form_csrf(request, csrf_token)
    response = RedirectResponse("/login", status_code=303)
    await _sign_out(request, context, response)
    return response


# -- API tokens -------------------------------------------------------------------------------------


@router.get("/api/tokens", responses=_UNAUTHORIZED)
async def list_tokens(principal: PrincipalDep, context: ContextDep) -> list[TokenOut]:
    """Your API tokens (not the tokens themselves: those were shown once)."""
    records = await run_in_threadpool(ApiTokenRepository(_db(context)).list_for_user, principal.user_id)
    return [TokenOut.of(r) for r in records]


@router.post("/api/tokens", status_code=201, responses=_UNSAFE)
async def create_token(body: TokenIn, principal: PrincipalDep, context: ContextDep) -> NewTokenOut:
    """A new API token for scripts; the answer is the only time the token is shown."""
    new = await run_in_threadpool(create_api_token, _db(context), principal.user_id, body.name.strip())
    return NewTokenOut(**TokenOut.of(new.record).model_dump(), token=new.token)


@router.delete(
    "/api/tokens/{token_id}",
    status_code=204,
    response_class=Response,
    responses=_UNSAFE | {404: {"description": "you have no such token"}},
)
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: PrincipalDep, context: ContextDep
) -> Response:
    """Revoke one of your tokens; 404 if you have no such token."""
    revoked = await run_in_threadpool(ApiTokenRepository(_db(context)).revoke, principal.user_id, token_id)
    if not revoked:
        raise not_found("token")
    return Response(status_code=204)
