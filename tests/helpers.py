"""Shared test helpers: build a real receptionist (real embedding model, real database) for tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import pytest

from receptionist.app import Receptionist, Tenant
from receptionist.config import Settings, load_profile
from receptionist.config.profile import BusinessProfile
from receptionist.escalation.handoff import Handoff
from receptionist.storage.database import Database
from receptionist.storage.tenants import TenantRepository
from tests.fakes.brains import KeywordFaq, ScriptedBrain

ROOT = Path(__file__).resolve().parents[1]
DENTAL = ROOT / "examples/dental-clinic.yaml"
SOFTWARE = ROOT / "examples/software-company.yaml"
EVAL_PROFILE = ROOT / "evals/profiles/concerns.yaml"
#: a Wednesday, 9 a.m. in New York: the dental clinic is open
OPEN_HOURS = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
#: a Saturday: closed
CLOSED_HOURS = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def build(
    tmp_path: Path | None,
    *profiles: Path | BusinessProfile,
    handoff: Handoff | None = None,
    clock: Callable[[], datetime] = lambda: OPEN_HOURS,
    **settings: object,
) -> Receptionist:
    """A receptionist on a fresh SQLite file in ``tmp_path`` (no database when ``tmp_path`` is None)."""
    loaded = [p if isinstance(p, BusinessProfile) else load_profile(p) for p in profiles or (DENTAL,)]
    s = Settings(_env_file=None, data_dir=tmp_path or Path("/nonexistent"), **settings)  # type: ignore[call-arg]
    return Receptionist.build(s, loaded, handoff=handoff, with_database=tmp_path is not None, clock=clock)


def light_receptionist(settings: Settings, db: Database | None = None) -> Receptionist:
    """The example businesses with scripted brains: routing, storage and profiles (names, time zones)
    without the embedding model; the businesses are stored when there is a database."""
    tenants = {}
    for path in (DENTAL, SOFTWARE):
        profile = load_profile(path)
        brain: Any = ScriptedBrain([])  # stands in for the offline brain too: never asked here
        tenants[profile.tenant_id] = Tenant(
            profile=profile, brain=brain, offline=brain, faq=KeywordFaq(profile.faq)
        )
        if db is not None:
            TenantRepository(db).upsert(profile.tenant_id, profile.name)
    return Receptionist(settings=settings, db=db, tenants=tenants)


def unavailable(reason: str) -> NoReturn:
    """Something a test needs is missing: skipped locally, a failure when ``CI=true``."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)
