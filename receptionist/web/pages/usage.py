"""The admin page's usage column: calls and billed minutes per tenant in the current month (UTC)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from receptionist.dashboard.usage import TenantUsage, usage
from receptionist.web.context import ApiContext


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Usage over the UTC days ``first`` to ``last`` (both included), by tenant id."""

    first: date
    last: date
    by_tenant: dict[str, TenantUsage]


async def report(
    context: ApiContext, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> UsageReport | None:
    """This month's usage so far; None without a database."""
    if context.db is None:
        return None
    today = now().astimezone(UTC).date()
    first = today.replace(day=1)
    start = datetime.combine(first, time(0), tzinfo=UTC)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=UTC)
    rows = await asyncio.to_thread(usage, context.db, start=start, end=end)
    return UsageReport(first=first, last=today, by_tenant={u.tenant_id: u for u in rows})
