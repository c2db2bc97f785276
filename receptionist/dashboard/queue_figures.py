"""The queue figures of a tenant's period, computed in SQL from the queue log (``queue_events``).

They keep the definitions of :func:`receptionist.acd.stats.queue_stats` (see
:mod:`receptionist.dashboard.stats`) without replaying every event in Python. One query reads the
period's events that can end a visit (from ``ix_queue_events_tenant_at``), pairs each with the call's next
one in log order (``LEAD() OVER (PARTITION BY call_id ORDER BY at, id)``: for an ENTERQUEUE, the event
that ended that visit) and aggregates the visits that entered in the period into one row.

Waits are counted in whole microseconds on both databases, so "answered within T" is exact; the replay
subtracts float seconds from the window start, which can differ from it by a nanosecond when a wait is
exactly T.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, String, and_, case, cast, func, select
from sqlalchemy.orm import Session

from receptionist.acd.events import QueueEventKind as K
from receptionist.storage.tables import QueueEventTable

# The events that end a visit, as the replay sees them: answered, abandoned, one of the overflows, or the
# call entering a queue again.
_ENDS = (K.ENTER, K.CONNECT, K.ABANDON, K.EXIT_TIMEOUT, K.EXIT_EMPTY, K.EXIT_CALLER, K.OVERFLOW)


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """The queue log's call figures for the period (see :mod:`receptionist.dashboard.stats`)."""

    offered: int
    answered: int
    answered_within_sl: int
    abandoned: int
    service_level_s: float
    service_level: float | None  # None when nothing was offered
    average_speed_of_answer_s: float | None
    abandonment_rate: float | None


def queue_figures(
    session: Session,
    dialect: str,
    tenant_id: str,
    *,
    start: datetime,
    end: datetime,
    until: datetime,
    service_level_s: float,
) -> QueueFigures:
    """Figures of the visits that entered in ``[start, end)``, settled by events before ``until``."""
    q = QueueEventTable
    ends = (q.tenant_id == tenant_id, q.at >= start, q.at < until, q.kind.in_([k.value for k in _ENDS]))
    log = (
        select(
            q.kind,
            q.at,
            func.coalesce(q.data["kind"].as_string(), "").label("task"),
            func.lead(q.kind).over(partition_by=q.call_id, order_by=(q.at, q.id)).label("next_kind"),
            func.lead(q.at, type_=q.at.type)
            .over(partition_by=q.call_id, order_by=(q.at, q.id))
            .label("next_at"),
        )
        .where(*ends, q.call_id.is_not(None))
        .subquery()
    )
    wait = _micros(dialect, log.c.next_at, log.c.at)
    answered = log.c.next_kind == K.CONNECT.value
    row = session.execute(
        select(
            func.count(),
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((and_(answered, wait <= _max_wait_us(service_level_s)), 1), else_=0)),
            func.sum(case((log.c.next_kind == K.ABANDON.value, 1), else_=0)),
            func.sum(case((answered, wait), else_=0)),
        ).where(log.c.kind == K.ENTER.value, log.c.at < end, log.c.task != "callback")
    ).one()
    offered, n_answered, within, abandoned, waited_us = (int(v or 0) for v in row)
    return QueueFigures(
        offered=offered,
        answered=n_answered,
        answered_within_sl=within,
        abandoned=abandoned,
        service_level_s=service_level_s,
        service_level=within / offered if offered else None,
        average_speed_of_answer_s=waited_us / n_answered / 1e6 if n_answered else None,
        abandonment_rate=abandoned / offered if offered else None,
    )


def _micros(dialect: str, later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole microseconds from ``earlier`` to ``later`` (two ``UTCDateTime`` columns), exactly."""
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
        return _sqlite_micros(later) - _sqlite_micros(earlier)
    return cast(func.extract("epoch", later - earlier) * 1_000_000, BigInteger)


def _sqlite_micros(at: Any) -> ColumnElement[int]:
    seconds = cast(func.strftime("%s", func.substr(at, 1, 19, type_=String)), Integer)
    return seconds * 1_000_000 + cast(func.substr(at, 21, 6, type_=String), Integer)


def _max_wait_us(service_level_s: float) -> int:
    """The longest wait in microseconds that is within ``service_level_s`` as the replay compares it
    (``timedelta.total_seconds() <= T``): exact for any float T, not only whole seconds."""
    if service_level_s < 0:
        raise ValueError("service_level_s must be >= 0")
    us = int(service_level_s * 1_000_000)
    while timedelta(microseconds=us + 1).total_seconds() <= service_level_s:
        us += 1
    while us >= 0 and timedelta(microseconds=us).total_seconds() > service_level_s:
        us -= 1
    return us
