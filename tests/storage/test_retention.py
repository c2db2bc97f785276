"""Retention on real databases: old ended calls lose their transcripts and recording links, and keep the
rest of their record; recent calls and calls in progress are untouched."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from receptionist.calls import Call, Outcome, Role, Turn, utcnow
from receptionist.cli import app as cli
from receptionist.storage.database import Database
from receptionist.storage.records import CallRecord, DeliveryChannel, NewDelivery
from receptionist.storage.repository import CallRepository, TenantRepository
from receptionist.storage.retention import (
    RECORDING_REMOVED,
    RetentionResult,
    RetentionTask,
    purge_transcripts,
)

from .conftest import ACME
from .factories import T0, call, ended, message, summary

CUTOFF = T0 + timedelta(days=30)
OLD = T0  # ended 30 days before the cutoff
RECENT = T0 + timedelta(days=45)
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


def finished(
    db: Database, c: Call, *, with_summary: bool = True, deliveries: tuple[NewDelivery, ...] = ()
) -> str:
    CallRepository(db, c.tenant_id).finish(c, summary() if with_summary else None, deliveries)
    return c.id


def stored(db: Database, tenant: str, call_id: str) -> CallRecord:
    record = CallRepository(db, tenant).get(call_id)
    assert record is not None
    return record


def voicemail(db: Database, tenant: str) -> str:
    """A voicemail as the Twilio route stores it: the link in a turn, the message, summary and webhook."""
    c = ended(call(tenant, started=OLD, turns=0), Outcome.MESSAGE_TAKEN)
    c.turns.append(Turn(Role.RECEPTIONIST, "All our lines are busy. Please leave a message after the tone."))
    c.turns.append(Turn(Role.CALLER, f"(voicemail, 14 s: {RECORDING})"))
    reason = f"Voicemail left while all lines were busy (14 s): {RECORDING}"
    c.message = message(reason=reason)
    payload = {"event": "message.taken", "message": {"reason": reason}, "tags": [RECORDING]}
    hook = NewDelivery(channel=DeliveryChannel.WEBHOOK, target="https://owner.example/hook", payload=payload)
    CallRepository(db, tenant).finish(c, summary(f'They said: "{reason}".'), [hook])
    return c.id


@pytest.fixture
def calls(db: Database, tenants: tuple[str, str]) -> dict[str, tuple[str, str]]:
    """Calls of both tenants: old and ended, recent, in progress for a long time, and a voicemail."""
    acme, globex = tenants
    in_progress = call(acme, started=OLD, turns=3)
    CallRepository(db, acme).start(in_progress)
    for i, turn in enumerate(in_progress.turns):
        CallRepository(db, acme).add_turn(in_progress.id, i, turn)
    return {
        "old_acme": (acme, finished(db, ended(call(acme, started=OLD, turns=4, message=message())))),
        "old_globex": (globex, finished(db, ended(call(globex, started=OLD, turns=2)))),
        "recent": (acme, finished(db, ended(call(acme, started=RECENT, turns=3)))),
        "in_progress": (acme, in_progress.id),
        "voicemail": (globex, voicemail(db, globex)),
    }


def test_old_ended_calls_of_every_tenant_lose_their_turns_and_keep_their_record(
    db: Database, calls: dict[str, tuple[str, str]]
) -> None:
    before = {name: stored(db, *key) for name, key in calls.items()}

    result = purge_transcripts(db, older_than=CUTOFF)

    assert result == RetentionResult(calls=3, turns=4 + 2 + 2, summaries_cleared=0, recordings=1)
    for name in ("old_acme", "old_globex", "voicemail"):
        after = stored(db, *calls[name])
        assert after.turns == ()
        assert after.call == before[name].call  # concern, outcome, times: kept for statistics
        assert after.summary is not None and after.escalations == before[name].escalations
    old = stored(db, *calls["old_acme"])
    assert old.message == before["old_acme"].message and old.summary == before["old_acme"].summary
    assert stored(db, *calls["recent"]).turns == before["recent"].turns
    assert stored(db, *calls["in_progress"]).turns == before["in_progress"].turns
    assert len(before["in_progress"].turns) == 3


def test_recording_links_are_removed_wherever_they_were_quoted(
    db: Database, calls: dict[str, tuple[str, str]]
) -> None:
    purge_transcripts(db, older_than=CUTOFF)

    record = stored(db, *calls["voicemail"])
    assert record.message is not None and record.summary is not None
    assert record.message.reason == f"Voicemail left while all lines were busy (14 s): {RECORDING_REMOVED}"
    assert RECORDING not in record.summary.text and RECORDING_REMOVED in record.summary.text
    assert record.summary.action_items == summary().action_items
    (delivery,) = record.deliveries
    assert delivery.payload == {
        "event": "message.taken",
        "message": {"reason": record.message.reason},
        "tags": [RECORDING_REMOVED],
    }


def test_a_dry_run_counts_the_same_and_changes_nothing(
    db: Database, calls: dict[str, tuple[str, str]]
) -> None:
    before = {name: stored(db, *key) for name, key in calls.items()}

    dry = purge_transcripts(db, older_than=CUTOFF, dry_run=True)

    assert {name: stored(db, *key) for name, key in calls.items()} == before
    assert dry == purge_transcripts(db, older_than=CUTOFF)


def test_running_again_changes_nothing(db: Database, calls: dict[str, tuple[str, str]]) -> None:
    purge_transcripts(db, older_than=CUTOFF)
    after_first = {name: stored(db, *key) for name, key in calls.items()}

    assert purge_transcripts(db, older_than=CUTOFF) == RetentionResult()
    assert {name: stored(db, *key) for name, key in calls.items()} == after_first


def test_small_batches_cover_every_call(db: Database, calls: dict[str, tuple[str, str]]) -> None:
    assert purge_transcripts(db, older_than=CUTOFF, batch=1, dry_run=True).calls == 3
    assert purge_transcripts(db, older_than=CUTOFF, batch=2) == RetentionResult(
        calls=3, turns=8, summaries_cleared=0, recordings=1
    )
    assert all(stored(db, *calls[n]).turns == () for n in ("old_acme", "old_globex", "voicemail"))


def test_a_later_cutoff_reaches_the_recent_calls_too(db: Database, calls: dict[str, tuple[str, str]]) -> None:
    result = purge_transcripts(db, older_than=RECENT + timedelta(days=1))
    assert result.calls == 4
    assert stored(db, *calls["in_progress"]).turns != ()  # however old, a call in progress keeps its turns


def test_summaries_can_be_cleared_too(db: Database, calls: dict[str, tuple[str, str]]) -> None:
    result = purge_transcripts(db, older_than=CUTOFF, clear_summaries=True)

    assert result.summaries_cleared == 3 and result.calls == 3
    assert stored(db, *calls["old_acme"]).summary is None
    assert stored(db, *calls["recent"]).summary is not None
    voicemail_message = stored(db, *calls["voicemail"]).message
    assert voicemail_message is not None and RECORDING not in voicemail_message.reason


def test_the_cutoff_must_be_aware(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        purge_transcripts(sqlite_db, older_than=CUTOFF.replace(tzinfo=None))


async def test_the_periodic_task_purges_and_stops(db: Database, calls: dict[str, tuple[str, str]]) -> None:
    task = RetentionTask(db, days=30, interval_s=3600, clock=lambda: CUTOFF + timedelta(days=30))
    await task.start()
    for _ in range(200):
        if task.last_result is not None:
            break
        await asyncio.sleep(0.02)
    await task.stop()

    assert task.last_result == RetentionResult(calls=3, turns=8, summaries_cleared=0, recordings=1)
    assert stored(db, *calls["recent"]).turns != ()


def test_the_command_purges_with_the_configured_days(sqlite_db: Database, tmp_path: Path) -> None:
    TenantRepository(sqlite_db).upsert(ACME, "Acme Plumbing")
    old_id = finished(sqlite_db, ended(call(ACME, started=utcnow() - timedelta(days=60), turns=2)))
    recent_id = finished(sqlite_db, ended(call(ACME, started=utcnow() - timedelta(days=2), turns=2)))
    env = {"RECEPTIONIST_DATABASE_URL": str(sqlite_db.url), "RECEPTIONIST_DATA_DIR": str(tmp_path)}
    runner = CliRunner()

    dry = runner.invoke(cli, ["retention", "run", "--days", "30", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "1 calls" in dry.output and "would lose 2 turns" in dry.output
    assert len(stored(sqlite_db, ACME, old_id).turns) == 2

    unset = runner.invoke(cli, ["retention", "run"], env=env)
    assert unset.exit_code == 2 and "RECEPTIONIST_RETENTION_DAYS" in unset.output

    done = runner.invoke(cli, ["retention", "run"], env={**env, "RECEPTIONIST_RETENTION_DAYS": "30"})
    assert done.exit_code == 0, done.output
    assert "lost 2 turns" in done.output
    assert stored(sqlite_db, ACME, old_id).turns == ()
    assert len(stored(sqlite_db, ACME, recent_id).turns) == 2
