"""Shared test helpers: build a real receptionist (real embedding model, real database) for tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from receptionist.app import Receptionist
from receptionist.config import Settings, load_profile
from receptionist.config.profile import BusinessProfile
from receptionist.escalation.handoff import Handoff

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
