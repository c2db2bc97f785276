"""The owner's inbox: messages callers left, open or handled, and a form to tick one off."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from receptionist.storage.message_repository import MessageRepository
from receptionist.web.context import ContextDep
from receptionist.web.pages.access import TenantPageDep, check_csrf, not_found
from receptionist.web.pages.calls import database
from receptionist.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_OFFSET = 100_000
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
State = Literal["open", "handled", "all"]
_HANDLED: dict[str, bool | None] = {"open": False, "handled": True, "all": None}


@router.get("/dashboard/{tenant_id}/messages")
async def messages_page(
    request: Request,
    tenant: TenantPageDep,
    context: ContextDep,
    state: Annotated[str, Query(max_length=16)] = "open",
    start: Annotated[str, Query(alias="offset", max_length=12)] = "0",
    done: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    offset = min(int(start), MAX_OFFSET) if start.isascii() and start.isdigit() else 0
    shown: State = state if state in ("handled", "all") else "open"  # type: ignore[assignment]
    repo = MessageRepository(database(context), tenant.tenant_id)
    found = await asyncio.to_thread(repo.list, handled=_HANDLED[shown], limit=PAGE_SIZE + 1, offset=offset)
    older = f"?state={shown}&offset={offset + PAGE_SIZE}" if len(found) > PAGE_SIZE else None
    newer = f"?state={shown}&offset={max(0, offset - PAGE_SIZE)}" if offset > 0 else None
    return render(
        request, "dashboard/messages.html", title=f"Messages · {tenant.name}", tenant=tenant,
        section="messages", messages=found[:PAGE_SIZE], state=shown, older=older, newer=newer,
        done=done if done and _MESSAGE_ID.match(done) else None,
    )  # fmt: skip


@router.post("/dashboard/{tenant_id}/messages/{message_id}/handled")
async def mark_handled(
    request: Request, tenant: TenantPageDep, context: ContextDep, message_id: str
) -> Response:
    form = await request.form()
    check_csrf(request, form)
    if not _MESSAGE_ID.match(message_id):
        raise not_found()
    repo = MessageRepository(database(context), tenant.tenant_id)
    if not await asyncio.to_thread(repo.mark_handled, message_id):
        raise not_found()
    state = form.get("state")
    back = state if isinstance(state, str) and state in _HANDLED else "open"
    return RedirectResponse(
        f"/dashboard/{tenant.tenant_id}/messages?state={back}&done={message_id}", status_code=303
    )
