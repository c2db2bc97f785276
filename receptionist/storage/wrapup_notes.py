"""Agents' wrap-up notes, one tenant at a time: what the agent wrote after handling a call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from receptionist.calls import utcnow
from receptionist.storage.database import Database
from receptionist.storage.errors import UnknownTenant
from receptionist.storage.tables import TenantTable, WrapUpNoteTable

MAX_NOTE_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class WrapUpNote:
    id: int
    tenant_id: str
    call_id: str
    agent_id: str
    text: str
    created_at: datetime


class WrapUpNoteRepository:
    """Adds and lists one tenant's wrap-up notes. Built for a tenant, so no query can forget it."""

    def __init__(self, db: Database, tenant_id: str) -> None:
        if not tenant_id:
            raise ValueError("tenant_id must not be empty")
        self._db = db
        self.tenant_id = tenant_id

    def add(self, call_id: str, agent_id: str, text: str, *, at: datetime | None = None) -> WrapUpNote:
        """Store a note; ValueError if it is empty or longer than ``MAX_NOTE_CHARS``."""
        text = text.strip()
        if not text or len(text) > MAX_NOTE_CHARS:
            raise ValueError(f"a note must have 1..{MAX_NOTE_CHARS} characters")
        with self._db.session() as session:
            if session.get(TenantTable, self.tenant_id) is None:
                raise UnknownTenant(self.tenant_id)
            row = WrapUpNoteTable(
                tenant_id=self.tenant_id,
                call_id=call_id,
                agent_id=agent_id,
                text=text,
                created_at=at or utcnow(),
            )
            session.add(row)
            session.flush()
            return _note(row)

    def for_call(self, call_id: str) -> list[WrapUpNote]:
        """The call's notes, oldest first."""
        query = (
            select(WrapUpNoteTable)
            .where(WrapUpNoteTable.tenant_id == self.tenant_id, WrapUpNoteTable.call_id == call_id)
            .order_by(WrapUpNoteTable.created_at, WrapUpNoteTable.id)
        )
        with self._db.session() as session:
            return [_note(r) for r in session.scalars(query)]


def _note(row: WrapUpNoteTable) -> WrapUpNote:
    return WrapUpNote(
        id=row.id, tenant_id=row.tenant_id, call_id=row.call_id, agent_id=row.agent_id, text=row.text,
        created_at=row.created_at,
    )  # fmt: skip
