"""The owner's dashboard API: the tenants one may read, their calls, messages, statistics and profile, and
the provider's usage report.

Every tenant route takes the tenant through :data:`~receptionist.web.auth.deps.TenantDep`, so a tenant the
signed-in user may not read answers 404, like one that does not exist, and ids of another tenant's calls
and messages answer 404 too. Dates in queries (``from``, ``to``) are the tenant's local days, both
included (``YYYY-MM-DD``); the usage report's are UTC days. Storage is synchronous: every service runs
in a thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query

from receptionist.calls import Outcome
from receptionist.config.profile import BusinessProfile
from receptionist.dashboard import calls as call_service
from receptionist.dashboard.periods import local_days, local_midnight, local_today
from receptionist.dashboard.profiles import ProfileConflict, ProfileInvalid, ProfileStore
from receptionist.dashboard.stats import tenant_stats
from receptionist.dashboard.usage import usage
from receptionist.storage.database import Database
from receptionist.storage.message_repository import MessageRepository
from receptionist.storage.tenants import TenantRepository
from receptionist.web.auth.deps import AdminDep, PrincipalDep, TenantDep
from receptionist.web.context import ApiContext, ContextDep
from receptionist.web.errors import ApiError, not_found
from receptionist.web.owner_schemas import (
    CallDetailOut,
    CallPageOut,
    MessageOut,
    MessagePageOut,
    ProfileOut,
    ProfileUpdate,
    StatsOut,
    TenantOut,
    TenantUsageOut,
    UsageOut,
)

router = APIRouter(tags=["owner"])

MAX_PAGE = call_service.MAX_LIMIT
MAX_DAYS = 366
DEFAULT_STATS_DAYS = 7
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
CallId = Annotated[str, Path(pattern=_ID)]
MessageId = Annotated[str, Path(pattern=_ID)]
FromDate = Annotated[date | None, Query(alias="from", description="first local day (YYYY-MM-DD)")]
ToDate = Annotated[date | None, Query(alias="to", description="last local day, included (YYYY-MM-DD)")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@dataclass(frozen=True, slots=True)
class TenantScope:
    """A tenant the signed-in user may read, with what its routes need."""

    id: str
    name: str
    timezone: str
    db: Database

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


async def tenant_scope(context: ContextDep, tenant_id: TenantDep) -> TenantScope:
    """The ``{tenant_id}`` of the path (readable by this user and stored); 404 otherwise."""
    db = _database(context)
    record = await asyncio.to_thread(TenantRepository(db).get, tenant_id)
    if record is None:
        raise not_found("tenant")
    return TenantScope(id=record.id, name=record.name, timezone=_timezone(context, tenant_id), db=db)


ScopeDep = Annotated[TenantScope, Depends(tenant_scope)]


@router.get("/api/tenants")
async def tenants(context: ContextDep, principal: PrincipalDep) -> list[TenantOut]:
    """The businesses this user may read: every one for the provider's admin, their own for an owner."""
    records = await asyncio.to_thread(TenantRepository(_database(context)).list)
    return [
        TenantOut(id=t.id, name=t.name, timezone=_timezone(context, t.id))
        for t in records
        if principal.reads_tenant(t.id)
    ]


@router.get("/api/tenants/{tenant_id}/calls")
async def list_calls(
    scope: ScopeDep,
    first: FromDate = None,
    last: ToDate = None,
    concern: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    outcome: Outcome | None = None,
    caller: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=32,
            pattern=r"^[\d\s()+.-]*\d[\d\s()+.-]*$",
            description="Calls whose number, digits only, starts with these digits (country code included: "
            "`+1 617 555`) or ends with them (`0123`); other characters are ignored.",
        ),
    ] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> CallPageOut:
    """The tenant's calls, newest first, a page at a time (follow ``next_cursor``)."""
    since, until = _period(first, last, scope.zone) if first and last else (None, None)
    if first and not last:
        since = local_midnight(first, scope.zone)
    if last and not first:
        until = local_midnight(last + timedelta(days=1), scope.zone)
    filter = call_service.CallFilter(
        since=since, until=until, concern=concern, outcome=outcome, caller=caller
    )
    try:
        page = await asyncio.to_thread(
            call_service.list_calls, scope.db, scope.id, filter, limit=limit, cursor=cursor
        )
    except call_service.InvalidCursor as exc:
        raise _invalid("query", "cursor", str(exc)) from None
    return CallPageOut.of(page, scope.timezone)


@router.get("/api/tenants/{tenant_id}/calls/{call_id}")
async def call_detail(scope: ScopeDep, call_id: CallId) -> CallDetailOut:
    """One call in full: transcript, summary, message, transfers, queue log and agents' notes."""
    detail = await asyncio.to_thread(call_service.call_detail, scope.db, scope.id, call_id)
    if detail is None:
        raise not_found("call")
    return CallDetailOut.of(detail, scope.timezone)


@router.get("/api/tenants/{tenant_id}/messages")
async def messages(
    scope: ScopeDep,
    handled: bool | None = None,
    limit: Limit = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MessagePageOut:
    """Messages taken for the business, newest first; ``handled=false`` for the ones still to do."""
    repo = MessageRepository(scope.db, scope.id)
    found = await asyncio.to_thread(repo.list, handled=handled, limit=limit + 1, offset=offset)
    more = len(found) > limit
    return MessagePageOut(
        items=[MessageOut.of(m) for m in found[:limit]],
        next_offset=offset + limit if more else None,
        timezone=scope.timezone,
    )


@router.post("/api/tenants/{tenant_id}/messages/{message_id}/handled")
async def mark_handled(scope: ScopeDep, message_id: MessageId) -> MessageOut:
    """Tick a message off (again is fine: the first time it was handled is kept)."""
    repo = MessageRepository(scope.db, scope.id)
    if not await asyncio.to_thread(repo.mark_handled, message_id):
        raise not_found("message")
    message = await asyncio.to_thread(repo.get, message_id)
    if message is None:
        raise not_found("message")
    return MessageOut.of(message)


@router.get("/api/tenants/{tenant_id}/stats")
async def stats(scope: ScopeDep, first: FromDate = None, last: ToDate = None) -> StatsOut:
    """Calls by concern, hour and outcome, and the queues' figures; by default the last 7 local days."""
    last = last or (first + timedelta(days=DEFAULT_STATS_DAYS - 1) if first else local_today(scope.zone))
    first = first or last - timedelta(days=DEFAULT_STATS_DAYS - 1)
    start, end = _period(first, last, scope.zone)
    figures = await asyncio.to_thread(tenant_stats, scope.db, scope.id, start=start, end=end, tz=scope.zone)
    return StatsOut.of(figures, first, last)


@router.get("/api/tenants/{tenant_id}/profile")
async def get_profile(context: ContextDep, scope: ScopeDep) -> ProfileOut:
    """The profile as YAML (the edited one, else the file's) and the version to send back with a save."""
    found = await asyncio.to_thread(
        ProfileStore(scope.db).current, scope.id, _file_profile(context, scope.id)
    )
    if found is None:
        raise not_found("profile")
    return ProfileOut(yaml=found.yaml, version=found.version)


@router.put("/api/tenants/{tenant_id}/profile")
async def put_profile(
    context: ContextDep, principal: PrincipalDep, scope: ScopeDep, body: ProfileUpdate
) -> ProfileOut:
    """Save an edited profile: validated like the files (422 names each field), refused with 409 if it
    was saved by someone else since ``version``; new calls then use it at once."""
    store = ProfileStore(scope.db)
    try:
        profile, version = await asyncio.to_thread(
            store.save, scope.id, body.yaml, expected_version=body.version, user_id=principal.user_id
        )
    except ProfileInvalid as exc:
        details = [{"field": e.field, "message": e.message} for e in exc.errors]
        raise ApiError(422, "the profile is not valid", code="invalid_profile", details=details) from None
    except ProfileConflict as exc:
        conflict = {"current_version": exc.current_version}
        raise ApiError(409, str(exc), code="conflict", details=conflict) from None
    receptionist = context.receptionist
    if receptionist is not None and scope.id in receptionist.tenants:
        await asyncio.to_thread(receptionist.replace_profile, profile)
    return ProfileOut(yaml=body.yaml, version=version)


@router.get("/api/admin/usage")
async def admin_usage(
    context: ContextDep, _admin: AdminDep, first: FromDate = None, last: ToDate = None
) -> UsageOut:
    """Calls and billed minutes per business over UTC days (default: this month so far)."""
    last = last or local_today(UTC)
    first = first or last.replace(day=1)
    start, end = _period(first, last, UTC)
    rows = await asyncio.to_thread(usage, _database(context), start=start, end=end)
    return UsageOut(
        from_date=first, to_date=last, start=start, end=end, tenants=[TenantUsageOut.of(u) for u in rows]
    )


# -- helpers ----------------------------------------------------------------------------------------


def _database(context: ApiContext) -> Database:
    if context.db is None:
        raise ApiError(503, "the dashboard needs a database", code="unavailable")
    return context.db


def _file_profile(context: ApiContext, tenant_id: str) -> BusinessProfile | None:
    receptionist = context.receptionist
    tenant = receptionist.tenants.get(tenant_id) if receptionist is not None else None
    return tenant.profile if tenant is not None else None


def _timezone(context: ApiContext, tenant_id: str) -> str:
    """The tenant's time zone from its profile; UTC when this process serves no such profile."""
    profile = _file_profile(context, tenant_id)
    return profile.timezone if profile is not None else "UTC"


def _period(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants of the local days ``first``..``last``; 422 if reversed or over :data:`MAX_DAYS`."""
    if last < first:
        raise _invalid("query", "to", "'to' must not be before 'from'")
    if (last - first).days >= MAX_DAYS:
        raise _invalid("query", "to", f"a period is at most {MAX_DAYS} days")
    return local_days(first, last, zone)


def _invalid(where: str, name: str, message: str) -> ApiError:
    """A 422 shaped like FastAPI's own validation errors."""
    details = [{"loc": [where, name], "msg": message, "type": "value_error"}]
    return ApiError(422, "the request is not valid", code="invalid_request", details=details)
