"""Calls and billed minutes per tenant: each call rounded up to the minute, in SQL on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from receptionist.dashboard.usage import TenantUsage, usage
from receptionist.storage.database import Database
from receptionist.storage.repository import TenantRepository
from tests.dashboard.conftest import ACME, GLOBEX, call_row, insert_calls

START = datetime(2030, 5, 1, tzinfo=UTC)
END = datetime(2030, 6, 1, tzinfo=UTC)


def test_minutes_are_each_calls_length_rounded_up(db: Database, tenants: tuple[str, str]) -> None:
    TenantRepository(db).upsert("zeta", "Zeta Quiet")
    s = START + timedelta(days=3, hours=10)
    insert_calls(db, [
        call_row(ACME, s, length=timedelta(0)),  # 0 minutes
        call_row(ACME, s, length=timedelta(milliseconds=500)),  # 1
        call_row(ACME, s, length=timedelta(seconds=60)),  # 1
        call_row(ACME, s, length=timedelta(seconds=60, milliseconds=1)),  # 2
        call_row(ACME, s, length=timedelta(minutes=2, seconds=5)),  # 3
        call_row(ACME, s, length=None, outcome=None),  # in progress: a call, no minutes yet
        call_row(ACME, END - timedelta(microseconds=1), length=timedelta(hours=1)),  # started in time: 60
        call_row(ACME, END, length=timedelta(minutes=5)),  # next month's
        call_row(ACME, START - timedelta(seconds=1), length=timedelta(minutes=5)),  # last month's
        call_row(GLOBEX, s, length=timedelta(seconds=59, microseconds=999_000)),  # 1
    ])  # fmt: skip

    assert usage(db, start=START, end=END) == [
        TenantUsage(tenant_id=ACME, name="Acme Plumbing", calls=7, minutes=67),
        TenantUsage(tenant_id=GLOBEX, name="Globex Dental", calls=1, minutes=1),
        TenantUsage(tenant_id="zeta", name="Zeta Quiet", calls=0, minutes=0),
    ]


def test_a_period_must_be_aware_and_forwards(db: Database) -> None:
    with pytest.raises(ValueError, match="after"):
        usage(db, start=END, end=START)
    with pytest.raises(ValueError, match="timezone-aware"):
        usage(db, start=START.replace(tzinfo=None), end=END)
