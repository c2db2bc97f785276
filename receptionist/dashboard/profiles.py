"""Business profiles edited on the dashboard: the YAML text, validated like the files, stored with a version.

A stored profile overrides the tenant's file from then on (the composition root applies
:func:`stored_profiles` at start-up, and :meth:`receptionist.app.Receptionist.replace_profile` when one is
saved). Validation goes through :func:`receptionist.config.profile.load_profile` itself, on the text written
to a scratch file, so a profile the dashboard accepts is exactly one the ``check-profile`` command and the
start-up accept, with the same messages.

Saves use optimistic concurrency: the editor sends back the ``version`` it loaded, and a save against any
other version is refused with :class:`ProfileConflict`, so two people editing at once cannot overwrite
each other unseen. Version 0 means "never edited" (the file's profile).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, cast

import yaml
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from receptionist.calls import utcnow
from receptionist.config.profile import BusinessProfile, ProfileError, load_profile
from receptionist.storage.database import Database
from receptionist.storage.tables import ProfileTable

log = logging.getLogger(__name__)

MAX_YAML_CHARS = 60_000
_SOURCE = "profile.yaml"  # how the scratch file is named in messages
_WHOLE = ("not valid YAML", "a profile must be", "cannot read")  # load_profile's errors about the whole text


@dataclass(frozen=True, slots=True)
class FieldError:
    """One validation problem: ``field`` is the dotted path (``concerns.2.handling.queue``), or None when
    the text as a whole is wrong (not YAML, not a mapping)."""

    field: str | None
    message: str


class ProfileInvalid(ValueError):
    """The YAML is not a valid profile for this tenant; ``errors`` lists every problem found."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field or '(profile)'}: {e.message}" for e in errors))
        self.errors = errors


class ProfileConflict(Exception):
    """The profile was saved by someone else since it was loaded: reload (``current_version``) and retry."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the profile has changed since it was loaded (now version {current_version})")
        self.current_version = current_version


@dataclass(frozen=True, slots=True)
class ProfileText:
    """The profile as the editor shows it, and the version to send back with a save."""

    yaml: str
    version: int


class ProfileStore:
    """Reads and saves the edited profiles of every tenant (the caller checks who may edit which)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def current(self, tenant_id: str, fallback: BusinessProfile | None) -> ProfileText | None:
        """The stored YAML and its version; else ``fallback`` (the file's profile) as YAML, version 0;
        None when there is neither."""
        with self._db.session() as session:
            row = session.get(ProfileTable, tenant_id)
            if row is not None:
                return ProfileText(yaml=row.yaml, version=row.version)
        return ProfileText(yaml=profile_to_yaml(fallback), version=0) if fallback is not None else None

    def current_yaml(self, tenant_id: str, fallback: BusinessProfile) -> str:
        """The YAML text the editor starts from (see :meth:`current`)."""
        found = self.current(tenant_id, fallback)
        assert found is not None
        return found.yaml

    def save(
        self, tenant_id: str, yaml_text: str, *, expected_version: int, user_id: str | None
    ) -> tuple[BusinessProfile, int]:
        """Validate and store ``yaml_text`` as version ``expected_version + 1``.

        Raises :class:`ProfileInvalid` (including a ``tenant_id`` other than this tenant's: ids are not
        renamed) and :class:`ProfileConflict` when the stored version is not ``expected_version``.
        """
        if expected_version < 0:
            raise ValueError(f"expected_version must be >= 0, not {expected_version}")
        profile = parse_profile(yaml_text)
        if profile.tenant_id != tenant_id:
            message = f"the tenant id cannot be changed: it must stay {tenant_id!r}"
            raise ProfileInvalid([FieldError("tenant_id", message)])
        version = expected_version + 1
        values: dict[str, Any] = {
            "yaml": yaml_text,
            "version": version,
            "updated_at": utcnow(),
            "updated_by": user_id,
        }
        try:
            with self._db.session() as session:
                if expected_version == 0:
                    session.add(ProfileTable(tenant_id=tenant_id, **values))
                    stored = True
                else:
                    t = ProfileTable
                    result = session.execute(
                        update(t)
                        .where(t.tenant_id == tenant_id, t.version == expected_version)
                        .values(**values)
                    )
                    stored = cast(CursorResult[Any], result).rowcount == 1
        except IntegrityError:  # version 0 expected, but someone stored a first edit meanwhile
            stored = False
        if not stored:  # checked after the transaction: SQLite would wait on its own write lock
            raise ProfileConflict(self._version(tenant_id))
        return profile, version

    def _version(self, tenant_id: str) -> int:
        with self._db.session() as session:
            return (
                session.scalar(select(ProfileTable.version).where(ProfileTable.tenant_id == tenant_id)) or 0
            )


def stored_profiles(db: Database) -> dict[str, BusinessProfile]:
    """Every stored profile that is still valid, by tenant id, to apply over the files at start-up.

    A stored profile that no longer validates (the profile model changed since it was saved) is left out
    with an error logged, so the tenant keeps answering with its file's profile.
    """
    with db.session() as session:
        rows = session.execute(select(ProfileTable.tenant_id, ProfileTable.yaml, ProfileTable.version)).all()
    profiles: dict[str, BusinessProfile] = {}
    for tenant_id, text, version in rows:
        try:
            profile = parse_profile(text)
        except ProfileInvalid as exc:
            log.error(
                "stored profile of %s (version %s) is not valid; using its file: %s", tenant_id, version, exc
            )
            continue
        if profile.tenant_id != tenant_id:
            log.error("stored profile of %s names tenant %s; using its file", tenant_id, profile.tenant_id)
            continue
        profiles[tenant_id] = profile
    return profiles


def parse_profile(yaml_text: str) -> BusinessProfile:
    """Validate profile YAML exactly as :func:`load_profile` validates a file; :class:`ProfileInvalid`."""
    if len(yaml_text) > MAX_YAML_CHARS:
        raise ProfileInvalid([FieldError(None, f"a profile must be at most {MAX_YAML_CHARS} characters")])
    with tempfile.TemporaryDirectory(prefix="profile-") as scratch:
        path = Path(scratch) / _SOURCE
        path.write_text(yaml_text, encoding="utf-8")
        try:
            return load_profile(path)
        except ProfileError as exc:
            raise ProfileInvalid(_field_errors(str(exc), prefix=f"{path}: ")) from None


def profile_to_yaml(profile: BusinessProfile) -> str:
    """The profile as YAML the loader reads back to an equal profile (hours as ``"09:00-17:30"``)."""
    data = profile.model_dump(mode="json")
    data["hours"] = {
        day: [f"{r.start:%H:%M}-{_end(r.end)}" for r in ranges] for day, ranges in profile.hours.items()
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _end(t: time) -> str:
    return "24:00" if t == time(23, 59, 59) else f"{t:%H:%M}"


def _field_errors(message: str, *, prefix: str) -> list[FieldError]:
    """``load_profile``'s message (``<file>: <field>: <message>`` per line) as structured errors."""
    body = message.replace(prefix, "")
    if body.startswith(_WHOLE):
        return [FieldError(None, body)]
    errors = []
    for line in body.splitlines():
        field, sep, text = line.partition(": ")
        errors.append(FieldError(field if sep and field != "(top level)" else None, text if sep else line))
    return errors
