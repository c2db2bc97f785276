"""Profiles edited on the dashboard: validated like the files, versioned, and applied to new calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from receptionist.config import load_profile
from receptionist.dashboard.profiles import (
    FieldError,
    ProfileConflict,
    ProfileInvalid,
    ProfileStore,
    parse_profile,
    profile_to_yaml,
    stored_profiles,
)
from receptionist.storage.database import Database
from receptionist.storage.repository import TenantRepository
from receptionist.storage.tables import ProfileTable
from tests.helpers import DENTAL, SOFTWARE, build

DENTAL_ID = "bright-smile-dental"
OLD_PARKING = "There's free parking behind the building; the entrance is on Elm Street."
NEW_PARKING = "Please use the Harbor Street garage; we validate your ticket at the desk."


@pytest.fixture
def dental(db: Database) -> str:
    TenantRepository(db).upsert(DENTAL_ID, "Bright Smile Dental")
    return DENTAL_ID


def edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize("path", [DENTAL, SOFTWARE])
def test_a_files_profile_dumped_to_yaml_reads_back_equal(path: Path) -> None:
    profile = load_profile(path)
    assert parse_profile(profile_to_yaml(profile)) == profile


def test_the_editor_starts_from_the_file_then_from_each_save(db: Database, dental: str) -> None:
    store = ProfileStore(db)
    profile = load_profile(DENTAL)
    start = store.current(dental, profile)
    assert start is not None and start.version == 0
    assert store.current_yaml(dental, profile) == start.yaml == profile_to_yaml(profile)
    assert store.current(dental, None) is None

    text = edited(start.yaml, OLD_PARKING, NEW_PARKING)
    saved, version = store.save(dental, text, expected_version=0, user_id="u1")
    assert version == 1 and saved.faq[1].answer == NEW_PARKING
    assert store.current(dental, profile) == store.current(dental, None)
    assert store.current_yaml(dental, profile) == text

    again, version = store.save(dental, text.replace("Harbor", "Elm"), expected_version=1, user_id="u2")
    assert version == 2 and "Elm Street garage" in again.faq[1].answer
    assert stored_profiles(db) == {dental: again}
    with db.session() as session:
        row = session.get(ProfileTable, dental)
        assert row is not None and (row.version, row.updated_by) == (2, "u2")


def test_a_save_from_a_stale_version_is_a_conflict(db: Database, dental: str) -> None:
    store = ProfileStore(db)
    text = profile_to_yaml(load_profile(DENTAL))
    store.save(dental, text, expected_version=0, user_id="u1")
    for stale in (0, 2, 7):
        with pytest.raises(ProfileConflict) as caught:
            store.save(dental, text, expected_version=stale, user_id="u2")
        assert caught.value.current_version == 1
    assert store.current(dental, None) is not None
    assert store.current(dental, None).version == 1  # type: ignore[union-attr]


def test_invalid_yaml_is_refused_with_the_loaders_field_paths(db: Database, dental: str) -> None:
    store = ProfileStore(db)
    text = profile_to_yaml(load_profile(DENTAL))

    def errors(yaml_text: str) -> list[FieldError]:
        with pytest.raises(ProfileInvalid) as caught:
            store.save(dental, yaml_text, expected_version=0, user_id="u1")
        return caught.value.errors

    assert errors(text + "\nsurprise: true\n") == [FieldError("surprise", "Extra inputs are not permitted")]
    bad_queue = errors(text.replace("queue: front-desk", "queue: Front Desk!", 1))
    assert len(bad_queue) == 1 and bad_queue[0].field is not None
    assert bad_queue[0].field.startswith("concerns.") and bad_queue[0].field.endswith(".handling.queue")
    assert "pattern" in bad_queue[0].message
    timezone = errors(text.replace("America/New_York", "Mars/Olympus"))
    assert timezone[0].field == "timezone" and "IANA" in timezone[0].message
    (syntax,) = errors("name: [unclosed")
    assert syntax.field is None and syntax.message.startswith("not valid YAML")
    (mapping,) = errors("- just\n- a list\n")
    assert mapping.field is None and "mapping" in mapping.message
    (renamed,) = errors(text.replace(f"tenant_id: {dental}", "tenant_id: someone-else"))
    assert renamed.field == "tenant_id" and "cannot be changed" in renamed.message
    assert store.current(dental, None) is None  # nothing was stored


def test_stored_profiles_skip_one_that_no_longer_validates(db: Database, dental: str) -> None:
    TenantRepository(db).upsert("acme-cloud", "Acme Cloud")
    ProfileStore(db).save(
        "acme-cloud", profile_to_yaml(load_profile(SOFTWARE)), expected_version=0, user_id=None
    )
    with db.session() as session:
        session.execute(
            insert(ProfileTable).values(tenant_id=dental, yaml="tenant_id: x\nold_field: 1\n", version=3)
        )
    assert set(stored_profiles(db)) == {"acme-cloud"}


@pytest.mark.slow
async def test_a_saved_profile_changes_what_new_calls_hear_and_survives_a_restart(tmp_path: Path) -> None:
    rx = build(tmp_path, DENTAL)
    assert rx.db is not None
    before = rx.conversation(DENTAL_ID)
    await before.open()
    store = ProfileStore(rx.db)
    text = edited(store.current_yaml(DENTAL_ID, rx.tenant(DENTAL_ID).profile), OLD_PARKING, NEW_PARKING)
    profile, _ = store.save(DENTAL_ID, text, expected_version=0, user_id="owner")

    rx.replace_profile(profile)

    after = rx.conversation(DENTAL_ID)
    await after.open()
    assert "Harbor Street garage" in await after.say("where can I park when I come in?")
    assert "parking behind the building" in await before.say("where can I park when I come in?")
    restarted = build(tmp_path, DENTAL)
    assert restarted.tenant(DENTAL_ID).profile == profile
