"""Calls and minutes per tenant, for the provider's billing.

A call counts in the period it *started* in (``[start, end)``, UTC instants). Its minutes are its length
(``ended_at - started_at``) rounded *up* to the whole minute, call by call, the way telephone minutes are
billed: 0 s is 0 minutes, 1 ms to 60 s is 1 minute, 60.001 s is 2. A call still in progress counts as a
call with no minutes yet. Lengths are taken to the millisecond, so sub-millisecond noise never adds a
minute. The sum is done in SQL, the same figures on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, cast, func, select

from receptionist.storage.database import Database
from receptionist.storage.tables import CallTable, TenantTable

MS_PER_MINUTE = 60_000


@dataclass(frozen=True, slots=True)
class TenantUsage:
    """One tenant's calls that started in the period and their billed minutes."""

    tenant_id: str
    name: str
    calls: int
    minutes: int


def usage(db: Database, *, start: datetime, end: datetime) -> list[TenantUsage]:
    """Every tenant (those without calls too), by id, with its calls and minutes in ``[start, end)``."""
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, not {value!r}")
    if end <= start:
        raise ValueError(f"end ({end}) must be after start ({start})")
    c, t = CallTable, TenantTable
    ms = _length_ms(db.dialect)
    minutes = func.coalesce(func.sum((ms + (MS_PER_MINUTE - 1)) // MS_PER_MINUTE), 0)
    query = (
        select(t.id, t.name, func.count(c.id), minutes)
        .select_from(t)
        .outerjoin(c, and_(c.tenant_id == t.id, c.started_at >= start, c.started_at < end))
        .group_by(t.id, t.name)
        .order_by(t.id)
    )
    with db.session() as session:
        rows = session.execute(query).all()
    return [TenantUsage(tenant_id=r[0], name=r[1], calls=int(r[2]), minutes=int(r[3])) for r in rows]


def _length_ms(dialect: str) -> ColumnElement[Any]:
    """A call's length in whole milliseconds (NULL while it is in progress)."""
    c = CallTable
    if dialect == "sqlite":  # julianday() is a float of days: round to the millisecond before integer maths
        days = func.julianday(c.ended_at) - func.julianday(c.started_at)
        return cast(func.round(days * 86_400_000), BigInteger)
    seconds = func.extract("epoch", c.ended_at - c.started_at)
    return cast(func.round(seconds * 1000), BigInteger)
