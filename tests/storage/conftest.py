from __future__ import annotations

import pytest

from receptionist.storage.database import Database
from receptionist.storage.repository import TenantRepository

ACME = "acme"
GLOBEX = "globex"


@pytest.fixture
def tenants(db: Database) -> tuple[str, str]:
    """Two businesses sharing one database."""
    repo = TenantRepository(db)
    repo.upsert(ACME, "Acme Plumbing")
    repo.upsert(GLOBEX, "Globex Dental")
    return ACME, GLOBEX
