"""Who is asking, for every request, and the CSRF defence of cookie-authenticated requests.

:class:`AuthMiddleware` (pure ASGI) puts a :class:`Principal` or None on ``request.state.principal``:

- ``Authorization: Bearer <token>`` matching an API token of an enabled user: that user, without a CSRF
  token. A bearer token that is not one (an agents-file token, say) leaves the principal None and the
  cookie unread; the agent API checks those tokens itself.
- otherwise the ``receptionist_session`` cookie of a valid session of an enabled user, with its CSRF
  token. On a WebSocket handshake the cookie counts only if the ``Origin`` is this site's own.

It never answers 401 itself (routes decide with :mod:`receptionist.web.auth.deps`); it answers 403
``{"error": {"code": "csrf"}}`` to an unsafe (POST/PUT/PATCH/DELETE) cookie-authenticated request that

- carries an ``Origin`` header naming another site, or
- has a body other than a form and no ``X-CSRF-Token`` header equal to the session's CSRF token.

Form posts (``application/x-www-form-urlencoded``, ``multipart/form-data``) are not checked here,
because reading the body would take it from the route: **every form route must call**
:func:`check_form_csrf` with its ``csrf_token`` field (or have the page send the header, which is then
checked here). The session cookie is ``SameSite=Lax`` besides, so browsers do not send it on cross-site
posts at all. The login endpoints take no CSRF token (there is no session yet) but refuse a foreign
``Origin`` all the same.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from receptionist.web.auth.principal import Principal
from receptionist.web.auth.sessions import SESSION_COOKIE, api_token_principal, session_principal
from receptionist.web.context import ApiContext, bearer_token
from receptionist.web.errors import ApiError, error_response

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LOGIN_PATHS = frozenset({"/login", "/api/auth/login"})
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


class AuthMiddleware:
    """Sets ``scope["state"]["principal"]`` and enforces CSRF; see the module docstring."""

    def __init__(self, app: ASGIApp, *, context: ApiContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        principal, by_cookie = await self._principal(connection)
        scope.setdefault("state", {})["principal"] = principal
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            problem = _csrf_problem(connection, principal if by_cookie else None)
            if problem is not None:
                await error_response(403, "csrf", problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _principal(self, connection: HTTPConnection) -> tuple[Principal | None, bool]:
        db, agents = self.context.db, self.context.agents
        if db is None:
            return None, False
        token = bearer_token(connection.headers.get("authorization"))
        if token is not None:
            return await run_in_threadpool(api_token_principal, db, agents, token), False
        cookie = connection.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None, False
        if connection.scope["type"] == "websocket" and not same_origin(connection.headers):
            return None, False
        return await run_in_threadpool(session_principal, db, agents, cookie), True


def same_origin(headers: Headers) -> bool:
    """False if an ``Origin`` header is present and names another host than ``Host`` (``null`` too).
    Schemes are not compared: behind a TLS-terminating proxy the app sees ``http`` for ``https``."""
    origin = headers.get("origin")
    if origin is None:
        return True
    host = headers.get("host")
    if not host:
        return False
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False
    return _host_port(parts.netloc, parts.scheme) == _host_port(host, parts.scheme)


def _host_port(netloc: str, scheme: str) -> str:
    netloc = netloc.lower().rsplit("@", 1)[-1]
    default = _DEFAULT_PORTS.get(scheme.lower())
    if default is not None and netloc.endswith(f":{default}"):
        netloc = netloc[: -len(default) - 1]
    return netloc


def _csrf_problem(connection: HTTPConnection, cookie_principal: Principal | None) -> str | None:
    """Why this unsafe request is refused, or None."""
    if cookie_principal is None and connection.url.path not in LOGIN_PATHS:
        return None  # no ambient credentials: nothing to forge
    if not same_origin(connection.headers):
        return "cross-origin requests are refused"
    if cookie_principal is None or connection.url.path in LOGIN_PATHS:
        return None  # a login needs no session, so no CSRF token: it starts a new session
    sent = connection.headers.get(CSRF_HEADER)
    if sent is None and _is_form(connection.headers):
        return None  # the form route checks its csrf_token field (check_form_csrf)
    if sent is None or not _matches(cookie_principal, sent):
        return f"send the session's CSRF token in the X-CSRF-Token header (or a {CSRF_FIELD} form field)"
    return None


def _is_form(headers: Headers) -> bool:
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in FORM_TYPES


def _matches(principal: Principal, sent: str) -> bool:
    expected = principal.csrf
    return expected is not None and hmac.compare_digest(expected.encode(), sent.encode())


def check_form_csrf(connection: HTTPConnection, token: str | None) -> None:
    """For form routes: the form's ``csrf_token`` field must equal the session's CSRF token when the
    user came by cookie (:class:`ApiError` 403 ``csrf`` otherwise). Requests without a cookie session
    (anonymous, or an API token) have nothing to forge and pass."""
    principal: Principal | None = getattr(connection.state, "principal", None)
    if principal is None or principal.csrf is None:
        return
    sent = token if token is not None else connection.headers.get(CSRF_HEADER)
    if sent is None or not _matches(principal, sent):
        raise ApiError(403, "the form's csrf_token does not match your session; reload the page", code="csrf")


async def authenticate_websocket(connection: HTTPConnection, context: ApiContext) -> Principal | None:
    """The user of a WebSocket handshake: what the middleware found, or (without it) the session cookie
    if the ``Origin`` is this site's own. None for anyone else."""
    state = connection.scope.get("state") or {}
    if "principal" in state:
        principal: Principal | None = state["principal"]
        return principal
    cookie = connection.cookies.get(SESSION_COOKIE)
    if context.db is None or not cookie or not same_origin(connection.headers):
        return None
    return await run_in_threadpool(session_principal, context.db, context.agents, cookie)
