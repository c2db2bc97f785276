"""The owner's figures over a period of local days: calls by concern and by hour as SVG bar charts with
their tables, how calls ended (the receptionist's own work against transfers), and the queue figures
(service level, average speed of answer, abandonment)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from receptionist.dashboard.periods import local_days, local_today
from receptionist.dashboard.stats import TenantStats, tenant_stats
from receptionist.web.context import ContextDep
from receptionist.web.pages import charts
from receptionist.web.pages.access import TenantPageDep
from receptionist.web.pages.calls import database
from receptionist.web.pages.rendering import render, words

router = APIRouter(include_in_schema=False)

PRESETS = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
PRESET_LABELS = (("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("90d", "Last 90 days"))
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class Period:
    """The local days shown, first and last included, and how they were chosen."""

    first: date
    last: date
    preset: str  # a key of PRESETS, or "custom"
    problem: str | None = None


def choose_period(today: date, preset: str, start: str, end: str) -> Period:
    """The period the picker asks for: a preset, or custom dates (a bad or too long one falls back to
    the last 7 days, with the reason)."""
    if preset == "custom" or (preset not in PRESETS and (start or end)):
        try:
            first = date.fromisoformat(start) if start else today
            last = date.fromisoformat(end) if end else today
        except ValueError:
            return _preset(today, "7d", "Dates look like 2024-05-31; showing the last 7 days.")
        if last < first:
            return _preset(today, "7d", "The period ends before it starts; showing the last 7 days.")
        if (last - first).days >= MAX_DAYS:
            return _preset(today, "7d", f"Periods are at most {MAX_DAYS} days; showing the last 7 days.")
        return Period(first, last, "custom")
    return _preset(today, preset if preset in PRESETS else "7d")


def _preset(today: date, preset: str, problem: str | None = None) -> Period:
    return Period(today - timedelta(days=PRESETS[preset] - 1), today, preset, problem)


@router.get("/dashboard/{tenant_id}/stats")
async def stats_page(
    request: Request,
    tenant: TenantPageDep,
    context: ContextDep,
    period: Annotated[str, Query(max_length=16)] = "7d",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    chosen = choose_period(local_today(tenant.zone), period, start, end)
    since, until = local_days(chosen.first, chosen.last, tenant.zone)
    figures = await asyncio.to_thread(
        tenant_stats, database(context), tenant.tenant_id, start=since, end=until, tz=tenant.zone
    )
    return render(
        request, "dashboard/stats.html", title=f"Statistics · {tenant.name}", tenant=tenant, section="stats",
        period=chosen, presets=PRESET_LABELS, stats=figures, charts=chart_set(figures),
    )  # fmt: skip


def chart_set(stats: TenantStats) -> dict[str, charts.BarChart]:
    by_concern = [(words(c) if c else "not recorded", n) for c, n in stats.by_concern]
    by_hour = [(f"{h:02d}", n) for h, n in enumerate(stats.by_hour)]
    o = stats.outcomes
    by_outcome = [
        ("AI resolved", o.ai_resolved), ("transferred", o.transferred),
        ("callback scheduled", o.callback_scheduled), ("abandoned", o.abandoned), ("failed", o.failed),
        ("in progress", o.in_progress),
    ]  # fmt: skip
    return {
        "concern": charts.horizontal("Calls by concern", by_concern),
        "hour": charts.vertical("Calls by hour of the day", by_hour, label_every=3),
        "outcome": charts.horizontal("Calls by outcome", by_outcome),
    }
