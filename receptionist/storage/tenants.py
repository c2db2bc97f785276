"""The tenants table: one row per business profile, upserted when the profiles are loaded."""

from __future__ import annotations

from sqlalchemy import select

from receptionist.storage import _convert
from receptionist.storage.database import Database
from receptionist.storage.records import TenantRecord
from receptionist.storage.tables import TenantTable


class TenantRepository:
    """Tenants themselves: the one repository that is not scoped to a tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert(self, tenant_id: str, name: str) -> TenantRecord:
        """Create the tenant, or rename it if it exists; ``created_at`` is kept."""
        if not tenant_id:
            raise ValueError("tenant_id must not be empty")
        with self._db.session() as session:
            row = session.get(TenantTable, tenant_id)
            if row is None:
                row = TenantTable(id=tenant_id, name=name)
                session.add(row)
            else:
                row.name = name
            session.flush()
            return _convert.tenant(row)

    def get(self, tenant_id: str) -> TenantRecord | None:
        with self._db.session() as session:
            row = session.get(TenantTable, tenant_id)
            return _convert.tenant(row) if row is not None else None

    def list(self) -> list[TenantRecord]:
        with self._db.session() as session:
            return [_convert.tenant(r) for r in session.scalars(select(TenantTable).order_by(TenantTable.id))]
