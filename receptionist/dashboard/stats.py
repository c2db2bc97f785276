"""A tenant's figures over a period: what callers wanted, how calls ended, and how the queues did.

Call figures count the calls that *started* in ``[start, end)``; they are aggregated in SQL (GROUP BY over
the ``ix_calls_tenant_started_concern_outcome`` range, which covers them), so a period of 100,000 calls
returns a few hundred rows. The hour
of day and the day are the tenant's local ones: the database groups by UTC hour (by UTC quarter-hour when
the zone has an offset that is not whole hours, such as Asia/Kolkata), and each group is shifted into the
zone here. That keeps the SQL the same on SQLite and PostgreSQL and gets daylight-saving changes right.

Queue figures (:mod:`receptionist.dashboard.queue_figures`) follow
:func:`receptionist.acd.stats.queue_stats` and its definitions, computed in SQL instead of by replaying
the log: a queue *visit* is an ENTERQUEUE (not a callback task) and belongs to the
period it entered in; what became of it is the first of the call's next events, in log order ``(at, id)``,
that ends a visit there (CONNECT: answered, ABANDON: abandoned; an exit, OVERFLOW or another ENTERQUEUE:
neither). ``service_level`` is answered within ``service_level_s`` (``wait <= T``) over offered
(``service_level_of_offered`` there), ``abandonment_rate`` is abandoned over offered, and the average speed
of answer is over answered visits. Only events up to :data:`QUEUE_TAIL` after ``end`` count, so a visit
that entered just before ``end`` is counted with what became of it, as the replay of ``[start, end +
QUEUE_TAIL)`` would. Waits are whole microseconds in SQL (exact on both databases), so "within T" agrees
with the replay to the microsecond; ``tests/dashboard/test_stats.py`` checks both on random logs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, cast, func, select

from receptionist.calls import Outcome
from receptionist.dashboard.queue_figures import QueueFigures, queue_figures
from receptionist.storage.database import Database
from receptionist.storage.tables import CallTable

__all__ = ["QUEUE_TAIL", "SERVICE_LEVEL_S", "OutcomeCounts", "QueueFigures", "TenantStats", "tenant_stats"]

SERVICE_LEVEL_S = 20.0
QUEUE_TAIL = timedelta(hours=1)
_HOUR_FORMAT = "%Y-%m-%d %H"


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    """Calls by how they ended. ``ai_resolved`` is the receptionist's own work: ``resolved`` (a question
    answered) plus ``message_taken``; ``transferred`` were bridged to a person; ``callback_scheduled`` were
    promised a call back while on hold; ``in_progress`` have no outcome yet."""

    ai_resolved: int
    transferred: int
    callback_scheduled: int
    abandoned: int
    failed: int
    in_progress: int


@dataclass(frozen=True, slots=True)
class TenantStats:
    """One tenant's figures over ``[start, end)``; hours and days are local to ``timezone``."""

    tenant_id: str
    start: datetime
    end: datetime
    timezone: str
    calls: int
    by_concern: tuple[tuple[str | None, int], ...]  # most frequent first; None: no concern recorded
    by_outcome: Mapping[str, int]  # every Outcome value, plus "in_progress"
    outcomes: OutcomeCounts
    by_hour: tuple[int, ...]  # 24 counts, local hour 0..23
    by_day: tuple[tuple[date, int], ...]  # every local day of the period, empty ones included
    queue: QueueFigures


def tenant_stats(
    db: Database,
    tenant_id: str,
    *,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    service_level_s: float = SERVICE_LEVEL_S,
) -> TenantStats:
    """The tenant's figures for calls that started in ``[start, end)`` (aware instants)."""
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, not {value!r}")
    if end <= start:
        raise ValueError(f"end ({end}) must be after start ({start})")
    c = CallTable
    in_period = (c.tenant_id == tenant_id, c.started_at >= start, c.started_at < end)
    quarters = _has_partial_hour_offsets(start, end, tz)
    slot = _utc_slot(db.dialect, quarters)
    with db.session() as session:
        pairs = session.execute(
            select(c.concern, c.outcome, func.count()).where(*in_period).group_by(c.concern, c.outcome)
        ).all()
        slots = session.execute(select(*slot, func.count()).where(*in_period).group_by(*slot)).all()
        queue = queue_figures(
            session, db.dialect, tenant_id, start=start, end=end, until=end + QUEUE_TAIL,
            service_level_s=service_level_s,
        )  # fmt: skip
    by_outcome = {o.value: 0 for o in Outcome} | {"in_progress": 0}
    concerns: Counter[str | None] = Counter()
    for concern, outcome, n in pairs:
        by_outcome[outcome or "in_progress"] += n
        concerns[concern] += n
    hours, days = _local_buckets(slots, tz)
    first_day, last_day = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
    return TenantStats(
        tenant_id=tenant_id,
        start=start,
        end=end,
        timezone=str(tz),
        calls=sum(by_outcome.values()),
        by_concern=tuple(sorted(concerns.items(), key=lambda kn: (-kn[1], kn[0] or ""))),
        by_outcome=by_outcome,
        outcomes=OutcomeCounts(
            ai_resolved=by_outcome[Outcome.RESOLVED] + by_outcome[Outcome.MESSAGE_TAKEN],
            transferred=by_outcome[Outcome.TRANSFERRED],
            callback_scheduled=by_outcome[Outcome.CALLBACK_SCHEDULED],
            abandoned=by_outcome[Outcome.ABANDONED],
            failed=by_outcome[Outcome.FAILED],
            in_progress=by_outcome["in_progress"],
        ),
        by_hour=tuple(hours[h] for h in range(24)),
        by_day=tuple(
            (first_day + timedelta(days=i), days[first_day + timedelta(days=i)])
            for i in range((last_day - first_day).days + 1)
        ),
        queue=queue,
    )


def _utc_slot(dialect: str, quarters: bool) -> list[ColumnElement[Any]]:
    """Columns naming a call's UTC hour (``YYYY-MM-DD HH``) and, with ``quarters``, its quarter 0..3."""
    started = CallTable.started_at
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
        hour: ColumnElement[Any] = func.substr(started, 1, 13, type_=String)
        minute: ColumnElement[Any] = func.substr(started, 15, 2, type_=String)
    else:
        utc = func.timezone("UTC", started)
        hour = func.to_char(utc, "YYYY-MM-DD HH24", type_=String)
        minute = func.to_char(utc, "MI", type_=String)
    return [hour.label("hour"), (cast(minute, Integer) // 15).label("quarter")] if quarters else [hour]


def _local_buckets(slots: Any, tz: tzinfo) -> tuple[Counter[int], Counter[date]]:
    hours: Counter[int] = Counter()
    days: Counter[date] = Counter()
    for row in slots:
        utc = datetime.strptime(row[0], _HOUR_FORMAT).replace(tzinfo=UTC)
        if len(row) == 3:
            utc += timedelta(minutes=15 * int(row[1]))
        local = utc.astimezone(tz)
        hours[local.hour] += row[-1]
        days[local.date()] += row[-1]
    return hours, days


def _has_partial_hour_offsets(start: datetime, end: datetime, tz: tzinfo) -> bool:
    """Whether ``tz`` is ever off UTC by a fraction of an hour in the period (checked at each local day)."""
    at = start
    while at < end:
        if _partial(at.astimezone(tz).utcoffset()):
            return True
        at += timedelta(hours=12)
    return _partial(end.astimezone(tz).utcoffset())


def _partial(offset: timedelta | None) -> bool:
    return offset is not None and offset.total_seconds() % 3600 != 0
