"""Periods of tenant-local days, turned into the UTC instants storage filters on."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant (UTC) the local ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_days(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC covering the local days ``first`` through ``last``, both included.

    Raises ValueError when ``last`` is before ``first``.
    """
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    return local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)


def local_today(tz: tzinfo, *, now: datetime | None = None) -> date:
    """Today's date in ``tz``."""
    return (now or datetime.now(UTC)).astimezone(tz).date()
