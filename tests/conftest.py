"""Real databases and Redis for tests: SQLite always; PostgreSQL and Redis when reachable.

PostgreSQL and Redis come from ``RECEPTIONIST_TEST_POSTGRES_URL`` / ``RECEPTIONIST_TEST_REDIS_URL`` (or
the local defaults below). ``python scripts/services.py ensure --env-file .services.env`` finds or starts
both and writes those variables. A missing service skips its tests locally and fails them when ``CI=true``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from receptionist.storage.database import Database, normalise_url
from tests.helpers import unavailable

if TYPE_CHECKING:
    from receptionist.voice.session import VoiceModels

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
HOW_TO_START = "run `python scripts/services.py ensure --env-file .services.env` and export what it writes"


def _unavailable(reason: str) -> None:
    unavailable(f"{reason}; {HOW_TO_START}")


def _postgres_base_url() -> URL:
    return normalise_url(os.environ.get("RECEPTIONIST_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)


@cache
def _postgres_problem(url: URL) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None. Checked once per session."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL not reachable at {url.render_as_string(hide_password=True)}: {first_line}"
    finally:
        engine.dispose()
    return None


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database in a fresh file (in a not-yet-existing directory, as in production)."""
    db = Database(f"sqlite:///{tmp_path / 'data' / 'receptionist.db'}")
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def postgres_url() -> Iterator[URL]:
    """A URL whose default schema is a fresh, empty PostgreSQL schema, dropped after the test."""
    base = _postgres_base_url()
    problem = _postgres_problem(base)
    if problem:
        _unavailable(problem)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield base.update_query_dict({"options": f"-csearch_path={schema}"})
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def postgres_db(postgres_url: URL) -> Iterator[Database]:
    """A migrated PostgreSQL database of its own (a fresh schema)."""
    db = Database(postgres_url)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """Each test that takes ``db`` runs on SQLite and on PostgreSQL."""
    database: Database = request.getfixturevalue(f"{request.param}_db")
    return database


@cache
def _redis_problem(url: str) -> str | None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"Redis not reachable at {_without_password(url)}: {exc}"
    finally:
        client.close()
    return None


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


@pytest.fixture
def redis_url() -> str:
    """The URL of a reachable Redis. Shared, not flushed: tests must use their own key prefix."""
    url = os.environ.get("RECEPTIONIST_TEST_REDIS_URL") or DEFAULT_REDIS_URL
    problem = _redis_problem(url)
    if problem:
        _unavailable(problem)
    return url


@pytest.fixture
def needs_espeak() -> None:
    """Tests whose caller is spoken by espeak-ng (``scripts/system_packages.sh`` installs it)."""
    import shutil

    if shutil.which("espeak-ng") is None:
        _unavailable("espeak-ng is not installed (apt-get install espeak-ng)")


@pytest.fixture(scope="module")
def models() -> VoiceModels:
    """The process-wide speech models (loaded once; voice tests only)."""
    from receptionist.voice.session import VoiceModels

    return VoiceModels.load()
