"""The way in: ``/`` sends each role to its page, ``/login`` is the form, ``/dashboard`` picks a business
and ``/admin`` lists them all (with their usage when the usage report is available)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from receptionist.web.auth.principal import Role
from receptionist.web.auth.routes import safe_next
from receptionist.web.context import ContextDep
from receptionist.web.pages import usage
from receptionist.web.pages.access import (
    AdminPageDep,
    OptionalPagePrincipalDep,
    PagePrincipalDep,
    all_tenants,
    not_found,
)
from receptionist.web.pages.rendering import render

router = APIRouter(include_in_schema=False)
_LOGIN_ERRORS = {
    "1": "Wrong e-mail or password.",
    "limited": "Too many attempts. Wait a minute, then try again.",  # what POST /login redirects with
    "throttled": "Too many attempts. Wait a minute, then try again.",
}


@router.get("/")
async def home(principal: OptionalPagePrincipalDep) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if principal.role is Role.ADMIN:
        return RedirectResponse("/admin", status_code=303)
    if principal.role is Role.AGENT:
        return RedirectResponse("/console", status_code=303)
    return RedirectResponse(f"/dashboard/{principal.tenant_id}/calls", status_code=303)


@router.get("/login")
async def login_page(
    request: Request,
    principal: OptionalPagePrincipalDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    target = safe_next(next_path)
    if principal is not None and error is None:
        return RedirectResponse(target or "/", status_code=303)
    return render(
        request, "login.html", title="Sign in", next_path=target or "", error=_LOGIN_ERRORS.get(error or "")
    )


@router.get("/dashboard")
async def dashboard(request: Request, principal: PagePrincipalDep, context: ContextDep) -> Response:
    if principal.role is Role.OWNER and principal.tenant_id:
        return RedirectResponse(f"/dashboard/{principal.tenant_id}/calls", status_code=303)
    if principal.role is not Role.ADMIN:
        raise not_found()
    tenants = await all_tenants(context)
    return render(request, "dashboard/pick.html", title="Choose a business", tenants=tenants)


@router.get("/admin")
async def admin(request: Request, _admin: AdminPageDep, context: ContextDep) -> Response:
    tenants = await all_tenants(context)
    report = await usage.report(context)
    return render(request, "admin.html", title="Administration", tenants=tenants, usage=report)
