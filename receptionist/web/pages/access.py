"""Who may see a page, in the pages' own terms: anonymous visitors are sent to the login form, and a page
the principal may not see answers the same 404 page as one that does not exist."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from receptionist.storage.tenants import TenantRepository
from receptionist.web.auth.middleware import check_form_csrf
from receptionist.web.auth.principal import Principal, Role
from receptionist.web.context import ApiContext, ContextDep
from receptionist.web.errors import ApiError
from receptionist.web.pages.rendering import render

_TITLES = {403: "Not allowed", 404: "Not found", 503: "Unavailable"}
_TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class LoginRequired(Exception):
    """Anonymous: the page redirects to ``/login?next=<this page>``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """A page that answers with the error page (404 for anything the principal may not see)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found() -> PageError:
    return PageError(404, "There is no such page, or it is not yours to see.")


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    @app.exception_handler(PageError)
    async def _error(request: Request, exc: PageError) -> Response:
        title = _TITLES.get(exc.status, "Something went wrong")
        return render(request, "error.html", status=exc.status, title=title, message=exc.message)


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"


def page_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        query = request.url.query
        raise LoginRequired(request.url.path + (f"?{query}" if query else ""))
    return principal


def optional_page_principal(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


PagePrincipalDep = Annotated[Principal, Depends(page_principal)]
OptionalPagePrincipalDep = Annotated[Principal | None, Depends(optional_page_principal)]


def page_admin(principal: PagePrincipalDep) -> Principal:
    if principal.role is not Role.ADMIN:
        raise not_found()
    return principal


def page_agent(principal: PagePrincipalDep) -> Principal:
    if principal.role is not Role.AGENT or principal.agent_id is None:
        raise not_found()
    return principal


AdminPageDep = Annotated[Principal, Depends(page_admin)]
AgentPageDep = Annotated[Principal, Depends(page_agent)]


def check_csrf(request: Request, form: FormData) -> None:
    """A form post must echo the session's CSRF token in ``csrf_token`` (the 403 page otherwise)."""
    sent = form.get("csrf_token")
    try:
        check_form_csrf(request, sent if isinstance(sent, str) else "")
    except ApiError as exc:
        raise PageError(403, "This form has expired. Go back, reload the page and try again.") from exc


# -- tenants ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TenantView:
    """A business as the pages show it: its name and the clock its times are shown on."""

    tenant_id: str
    name: str
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


async def find_tenant(context: ApiContext, tenant_id: str) -> TenantView | None:
    rx = context.receptionist
    if rx is not None and tenant_id in rx.tenants:
        profile = rx.tenants[tenant_id].profile
        return TenantView(tenant_id, profile.name, profile.timezone)
    if context.db is None:
        return None
    record = await asyncio.to_thread(TenantRepository(context.db).get, tenant_id)
    return TenantView(record.id, record.name, "UTC") if record is not None else None


async def all_tenants(context: ApiContext) -> list[TenantView]:
    """Every business this server answers for (loaded profiles and stored tenants), by name."""
    found: dict[str, TenantView] = {}
    if context.db is not None:
        for record in await asyncio.to_thread(TenantRepository(context.db).list):
            found[record.id] = TenantView(record.id, record.name, "UTC")
    if context.receptionist is not None:
        for tenant_id, tenant in context.receptionist.tenants.items():
            found[tenant_id] = TenantView(tenant_id, tenant.profile.name, tenant.profile.timezone)
    return sorted(found.values(), key=lambda t: (t.name.lower(), t.tenant_id))


async def readable_tenant(principal: PagePrincipalDep, context: ContextDep, tenant_id: str) -> TenantView:
    """The ``{tenant_id}`` of the path, if it exists and this principal may read it; otherwise 404."""
    if not _TENANT_ID.match(tenant_id) or not principal.reads_tenant(tenant_id):
        raise not_found()
    tenant = await find_tenant(context, tenant_id)
    if tenant is None:
        raise not_found()
    return tenant


TenantPageDep = Annotated[TenantView, Depends(readable_tenant)]
