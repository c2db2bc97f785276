"""Alembic environment for the receptionist schema.

Programmatic runs (:meth:`receptionist.storage.Database.migrate`) hand in an open connection through
``config.attributes["connection"]``; the ``alembic`` command line builds one from
``RECEPTIONIST_DATABASE_URL``. Logging is left to the application: no ``fileConfig`` here.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from receptionist.storage.database import Database
from receptionist.storage.tables import Base
from receptionist.storage.utc import UTCDateTime

target_metadata = Base.metadata


def render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Autogenerate writes the plain column type: migrations must not import the models' helpers."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        # SQLite can alter little in place; batch mode rebuilds the table for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported; run against a database")
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("RECEPTIONIST_DATABASE_URL")
    if not url:
        raise SystemExit("set RECEPTIONIST_DATABASE_URL (or sqlalchemy.url) to the database to migrate")
    # Database() rather than a bare engine: SQLite then gets the same PRAGMAs as the application.
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            run_migrations(connection)
    finally:
        database.dispose()


main()
