"""Two tenants in a real database (SQLite and PostgreSQL), and bulk rows for the dashboard's services."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from receptionist.acd.events import QueueEvent
from receptionist.storage.database import Database
from receptionist.storage.queue_events import QueueEventRepository
from receptionist.storage.tables import CallTable
from tests.storage.conftest import ACME, GLOBEX, tenants  # the same two businesses

__all__ = ["ACME", "GLOBEX", "tenants"]


def call_row(
    tenant_id: str,
    started: datetime,
    *,
    call_id: str | None = None,
    length: timedelta | None = timedelta(minutes=2),
    concern: str | None = "billing",
    outcome: str | None = "resolved",
    caller: str | None = "+16175550123",
) -> dict[str, Any]:
    """A finished call's row (``length`` None or ``outcome`` None: still in progress)."""
    return {
        "id": call_id or uuid.uuid4().hex, "tenant_id": tenant_id, "channel": "test", "caller_number": caller,
        "dialled_number": "+16175550199", "started_at": started,
        "ended_at": started + length if length is not None else None, "concern": concern, "outcome": outcome,
    }  # fmt: skip


def insert_calls(db: Database, rows: list[dict[str, Any]]) -> None:
    with db.session() as session:
        session.execute(insert(CallTable), rows)


def append_events(db: Database, tenant_id: str, events: list[QueueEvent]) -> None:
    QueueEventRepository(db, tenant_id).append(events)
