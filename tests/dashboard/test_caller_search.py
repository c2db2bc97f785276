"""The caller search: the number (digits only) starts or ends with the typed digits, on indexed columns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, text

from receptionist.dashboard import calls
from receptionist.dashboard.calls import CallFilter, list_calls
from receptionist.storage.database import Database, alembic_config
from receptionist.storage.repository import CallRepository, TenantRepository
from receptionist.storage.tables import CallTable, TenantTable, phone_digits, reversed_phone_digits
from tests.dashboard.conftest import ACME, call_row, insert_calls
from tests.storage import factories as f

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


def found(db: Database, tenant: str, typed: str) -> set[str]:
    return set(listed(db, tenant, typed))


def listed(db: Database, tenant: str, typed: str) -> list[str]:
    return [c.id for c in list_calls(db, tenant, CallFilter(caller=typed), limit=200).items]


def test_the_search_matches_the_start_or_the_end_of_the_number_and_nothing_else(
    db: Database, tenants: tuple[str, str]
) -> None:
    insert_calls(db, [
        call_row(ACME, T0, call_id="us", caller="+16175550123"),
        call_row(ACME, T0, call_id="uk", caller="+44 20 7946 0999"),
        call_row(ACME, T0, call_id="nines", caller="+999"),
        call_row(ACME, T0, call_id="hidden", caller=None),
        call_row(ACME, T0, call_id="words", caller="anonymous"),
    ])  # fmt: skip
    repo = CallRepository(db, ACME)  # stored the way live calls are: the digits come from _call_row
    live = f.call(ACME, started=T0)
    live.caller_number = "+1 (617) 555-0188"
    repo.start(live)

    assert found(db, ACME, "+1 617") == {"us", live.id}
    assert found(db, ACME, "0123") == {"us"}
    assert found(db, ACME, "(617) 555") == set()  # the middle of a number is not searched
    assert found(db, ACME, "4420") == {"uk"}
    assert found(db, ACME, "0999") == {"uk"}
    assert found(db, ACME, "999") == {"uk", "nines"}  # all nines: a range with no upper bound
    assert found(db, ACME, "9") == {"uk", "nines"}
    assert found(db, ACME, "٠١٢٣") == {"us"}  # other scripts' digits are digits too
    assert found(db, ACME, "+16175550123") == {"us"}
    assert found(db, ACME, "161755501234") == set()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    numbers=st.lists(st.text("0189+ -", max_size=8), max_size=12),
    typed=st.text("0189", min_size=1, max_size=3),
)
def test_the_search_is_starts_with_or_ends_with_the_digits_whichever_plan_it_takes(
    db: Database, monkeypatch: pytest.MonkeyPatch, numbers: list[str], typed: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"  # every example its own tenant: nothing to clean up
    TenantRepository(db).upsert(tenant, "Numbers")
    rows = [call_row(tenant, T0 + timedelta(seconds=i), caller=n or None) for i, n in enumerate(numbers)]
    if rows:
        insert_calls(db, rows)
    digits = {r["id"]: phone_digits(r["caller_number"]) or "" for r in rows}

    expected = [
        r["id"]
        for r in reversed(rows)
        if (d := digits[r["id"]]) and (d.startswith(typed) or d.endswith(typed))
    ]
    for common in (calls.COMMON_CALLER_MATCHES, 1):  # seek the matches, or walk the list and filter
        monkeypatch.setattr(calls, "COMMON_CALLER_MATCHES", common)
        assert listed(db, tenant, typed) == expected


def test_the_migration_fills_the_digits_of_calls_stored_before_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    with db.engine.begin() as connection:
        connection.execute(insert(TenantTable.__table__), [{"id": ACME, "name": "Acme", "created_at": T0}])
        columns = ("id", "tenant_id", "channel", "caller_number", "started_at")
        for call_id, number in (("a", "+1 (617) 555-0123"), ("b", None), ("c", "anonymous")):
            connection.execute(
                text(f"INSERT INTO calls ({', '.join(columns)}) VALUES (:id, :tenant, 'sip', :number, :at)"),
                {"id": call_id, "tenant": ACME, "number": number, "at": "2030-03-01 09:00:00.000000"},
            )
    db.migrate()
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(CallTable.id, CallTable.caller_digits, CallTable.caller_digits_reversed).order_by(
                CallTable.id
            )
        ).all()
    db.dispose()
    assert [tuple(r) for r in rows] == [
        ("a", "16175550123", "32105557161"),
        ("b", None, None),
        ("c", None, None),
    ]
    assert reversed_phone_digits("+1 (617) 555-0123") == "32105557161"
