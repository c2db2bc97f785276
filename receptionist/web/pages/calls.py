"""The owner's call list (filters on local days, concern, outcome and caller; keyset pages) and one call
in full: the conversation, summary and action items, message, transfers, queue log and wrap-up notes."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from receptionist.calls import Outcome
from receptionist.dashboard.calls import CallFilter, InvalidCursor, call_detail, list_calls
from receptionist.dashboard.periods import local_midnight
from receptionist.storage.database import Database
from receptionist.web.context import ApiContext, ContextDep
from receptionist.web.pages.access import PageError, TenantPageDep, TenantView, not_found
from receptionist.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
_CALL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
_Text = Annotated[str, Query(max_length=64)]


@dataclass(frozen=True, slots=True)
class CallQuery:
    """The filter form as submitted (strings, so it re-renders exactly as typed)."""

    start: str = ""
    end: str = ""
    concern: str = ""
    outcome: str = ""
    caller: str = ""

    def params(self, **extra: str) -> str:
        fields = {"from": self.start, "to": self.end, "concern": self.concern, "outcome": self.outcome}
        fields["caller"] = self.caller
        return urlencode({k: v for k, v in {**fields, **extra}.items() if v})

    def to_filter(self, tenant: TenantView) -> tuple[CallFilter, list[str]]:
        """The service's filter, and what in the form could not be used (and was left out)."""
        problems: list[str] = []
        first, last = _date(self.start, "From", problems), _date(self.end, "To", problems)
        if first is not None and last is not None and last < first:
            problems.append("The period ends before it starts; the dates were left out.")
            first = last = None
        outcome = Outcome(self.outcome) if self.outcome in set(Outcome) else None
        caller = self.caller if any(ch.isdigit() for ch in self.caller) else None
        if self.caller and caller is None:
            problems.append("Search callers by the digits of their number.")
        call_filter = CallFilter(
            since=local_midnight(first, tenant.zone) if first is not None else None,
            until=local_midnight(last + timedelta(days=1), tenant.zone) if last is not None else None,
            concern=self.concern or None,
            outcome=outcome,
            caller=caller,
        )
        return call_filter, problems


@router.get("/dashboard/{tenant_id}/calls")
async def calls_page(
    request: Request,
    tenant: TenantPageDep,
    context: ContextDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    concern: _Text = "",
    outcome: _Text = "",
    caller: _Text = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    form = CallQuery(start=start, end=end, concern=concern, outcome=outcome, caller=caller)
    call_filter, problems = form.to_filter(tenant)
    db = database(context)
    try:
        page = await asyncio.to_thread(
            list_calls, db, tenant.tenant_id, call_filter, limit=PAGE_SIZE, cursor=cursor
        )
    except InvalidCursor:
        problems.append("That page link is out of date; here is the first page.")
        cursor = None
        page = await asyncio.to_thread(list_calls, db, tenant.tenant_id, call_filter, limit=PAGE_SIZE)
    next_url = f"?{form.params(cursor=page.next_cursor)}" if page.next_cursor else None
    first_url = f"?{form.params()}" if cursor else None
    return render(
        request, "dashboard/calls.html", title=f"Calls · {tenant.name}", tenant=tenant, section="calls",
        form=form, problems=problems, page=page, next_url=next_url, first_url=first_url,
        concerns=concern_choices(context, tenant.tenant_id), outcomes=list(Outcome),
    )  # fmt: skip


@router.get("/dashboard/{tenant_id}/calls/{call_id}")
async def call_page(request: Request, tenant: TenantPageDep, context: ContextDep, call_id: str) -> Response:
    if not _CALL_ID.match(call_id):
        raise not_found()
    detail = await asyncio.to_thread(call_detail, database(context), tenant.tenant_id, call_id)
    if detail is None:
        raise not_found()
    return render(
        request, "dashboard/call.html", title=f"Call {detail.id} · {tenant.name}", tenant=tenant,
        section="calls", call=detail,
    )  # fmt: skip


def database(context: ApiContext) -> Database:
    if context.db is None:
        raise PageError(503, "The dashboard needs a database, and this server has none configured.")
    return context.db


def concern_choices(context: ApiContext, tenant_id: str) -> list[tuple[str, str]]:
    """``(id, description)`` of the business's concerns, from its profile (empty if not loaded here)."""
    rx = context.receptionist
    if rx is None or tenant_id not in rx.tenants:
        return []
    return [(c.id, c.description) for c in rx.tenants[tenant_id].profile.concerns]


def _date(text: str, label: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{label}: {text!r} is not a date like 2024-05-31.")
        return None
