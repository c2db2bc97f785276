"""The owner's profile editor: the YAML and its version in a form; a save is validated like the profile
files (every problem listed with its field), refused when someone else saved meanwhile, and once stored
the tenant's new calls are answered with it."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from receptionist.config.profile import BusinessProfile
from receptionist.dashboard.profiles import (
    MAX_YAML_CHARS,
    FieldError,
    ProfileConflict,
    ProfileInvalid,
    ProfileStore,
    ProfileText,
)
from receptionist.web.context import ApiContext, ContextDep
from receptionist.web.pages.access import PagePrincipalDep, TenantPageDep, TenantView, check_csrf, not_found
from receptionist.web.pages.calls import database
from receptionist.web.pages.rendering import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


@router.get("/dashboard/{tenant_id}/profile")
async def profile_page(
    request: Request,
    tenant: TenantPageDep,
    context: ContextDep,
    saved: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    store = ProfileStore(database(context))
    found = await asyncio.to_thread(store.current, tenant.tenant_id, _loaded(context, tenant.tenant_id))
    if found is None:
        raise not_found()
    return _editor(request, tenant, found, saved=int(saved) if saved.isascii() and saved.isdigit() else None)


@router.post("/dashboard/{tenant_id}/profile")
async def save_profile(
    request: Request, principal: PagePrincipalDep, tenant: TenantPageDep, context: ContextDep
) -> Response:
    form = await request.form()
    check_csrf(request, form)
    text, version = _text(form, "yaml"), _version(form)
    if version is None:
        problem = FieldError(None, "the form has no version: reload the page and make your changes again")
        return _editor(request, tenant, ProfileText(yaml=text, version=0), errors=[problem], status=400)
    sent = ProfileText(yaml=text, version=version)
    store = ProfileStore(database(context))
    try:
        profile, stored = await asyncio.to_thread(
            store.save, tenant.tenant_id, text, expected_version=version, user_id=principal.user_id
        )
    except ProfileInvalid as exc:
        return _editor(request, tenant, sent, errors=exc.errors, status=422)
    except ProfileConflict as exc:
        return _editor(request, tenant, sent, conflict=exc.current_version, status=409)
    await _apply(context, profile)
    return RedirectResponse(f"/dashboard/{tenant.tenant_id}/profile?saved={stored}", status_code=303)


def _editor(
    request: Request,
    tenant: TenantView,
    profile: ProfileText,
    *,
    saved: int | None = None,
    errors: list[FieldError] | None = None,
    conflict: int | None = None,
    status: int = 200,
) -> Response:
    return render(
        request, "dashboard/profile.html", status=status, title=f"Profile · {tenant.name}", tenant=tenant,
        section="profile", profile=profile, saved=saved, errors=errors or [], conflict=conflict,
        max_chars=MAX_YAML_CHARS,
    )  # fmt: skip


async def _apply(context: ApiContext, profile: BusinessProfile) -> None:
    """Answer the tenant's new calls with the saved profile, if this process serves the tenant. The save
    stands even if retraining fails: the profile is applied at the next start."""
    rx = context.receptionist
    if rx is None or profile.tenant_id not in rx.tenants:
        return
    try:
        await asyncio.to_thread(rx.replace_profile, profile)
    except Exception:
        log.exception("the saved profile of %s could not be applied now", profile.tenant_id)


def _loaded(context: ApiContext, tenant_id: str) -> BusinessProfile | None:
    rx = context.receptionist
    return rx.tenants[tenant_id].profile if rx is not None and tenant_id in rx.tenants else None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def _version(form: FormData) -> int | None:
    value = _text(form, "version").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
