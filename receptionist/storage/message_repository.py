"""Messages of one tenant, as the owner's dashboard reads and ticks them off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from receptionist.calls import utcnow
from receptionist.storage import _convert
from receptionist.storage.database import Database
from receptionist.storage.records import MessageRecord
from receptionist.storage.tables import MessageTable


class MessageRepository:
    """Reads and marks one tenant's messages; they are written by :meth:`CallRepository.finish`."""

    def __init__(self, db: Database, tenant_id: str) -> None:
        if not tenant_id:
            raise ValueError("tenant_id must not be empty")
        self._db = db
        self.tenant_id = tenant_id

    def list(self, *, handled: bool | None = None, limit: int = 50, offset: int = 0) -> list[MessageRecord]:
        """Newest first; ``handled`` True or False keeps only handled or only open messages."""
        _convert.check_page(limit, offset)
        query = select(MessageTable).where(MessageTable.tenant_id == self.tenant_id)
        if handled is not None:
            column = MessageTable.handled_at
            query = query.where(column.is_not(None) if handled else column.is_(None))
        query = query.order_by(MessageTable.created_at.desc(), MessageTable.id.desc())
        with self._db.session() as session:
            return [_convert.message(r) for r in session.scalars(query.limit(limit).offset(offset))]

    def get(self, message_id: str) -> MessageRecord | None:
        with self._db.session() as session:
            row = session.scalar(
                select(MessageTable).where(
                    MessageTable.id == message_id, MessageTable.tenant_id == self.tenant_id
                )
            )
            return _convert.message(row) if row is not None else None

    def mark_handled(self, message_id: str, *, at: datetime | None = None) -> bool:
        """Mark a message handled; False if this tenant has none such. Keeps the first ``handled_at``."""
        with self._db.session() as session:
            key = (MessageTable.id == message_id, MessageTable.tenant_id == self.tenant_id)
            session.execute(
                update(MessageTable)
                .where(*key, MessageTable.handled_at.is_(None))
                .values(handled_at=at or utcnow())
                .execution_options(synchronize_session=False)
            )
            return session.scalar(select(MessageTable.id).where(*key)) is not None
