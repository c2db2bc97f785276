from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Index, MetaData, String, Table, inspect, text

from receptionist.storage.database import Database, alembic_config
from receptionist.storage.tables import Base


def schema_diff(db: Database, metadata: MetaData = Base.metadata) -> list[object]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert schema_diff(db) == []


def test_the_comparison_would_notice_a_difference(db: Database) -> None:
    """Guards the test above: a model the migrations do not know about must show up as a diff."""
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["calls"].append_column(Column("language", String(8)))
    Index("ix_turns_role", drifted.tables["turns"].c.role)
    Table("agents", drifted, Column("id", String(32), primary_key=True))

    kinds = {diff[0] for diff in schema_diff(db, drifted) if isinstance(diff, tuple)}
    assert {"add_column", "add_index", "add_table"} <= kinds


def test_migrations_have_one_head_and_it_is_applied(db: Database) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == tuple(heads)


def test_migrate_again_is_a_no_op(db: Database) -> None:
    db.migrate()
    assert schema_diff(db) == []


def test_migrate_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini or migrations/ here
    db = Database(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'r.db'}")
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    db.dispose()
    assert {"tenants", "calls", "turns", "messages", "escalations", "summaries", "outbox"} <= tables


def test_constructing_a_database_does_not_touch_it(tmp_path: Path) -> None:
    Database(f"sqlite:///{tmp_path / 'later.db'}").dispose()
    assert not (tmp_path / "later.db").exists()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() >= 1000


@pytest.mark.postgres
def test_bare_postgresql_urls_use_psycopg_3(postgres_db: Database) -> None:
    assert postgres_db.url.drivername == "postgresql+psycopg"
    assert postgres_db.engine.dialect.driver == "psycopg"


def test_downgrade_removes_everything(sqlite_db: Database) -> None:
    from alembic import command

    config = alembic_config()
    with sqlite_db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(sqlite_db.engine).get_table_names()) <= {"alembic_version"}
