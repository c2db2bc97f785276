from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, StatementError

from receptionist.calls import HandoffStatus, Outcome, Role, Turn, utcnow
from receptionist.storage.database import Database
from receptionist.storage.records import DeliveryChannel, DeliveryStatus
from receptionist.storage.repository import CallRepository, UnknownCall, UnknownTenant
from receptionist.storage.tables import CallTable, OutboxTable, TurnTable

from .factories import T0, at, call, email, ended, escalation, message, summary, webhook


def count(db: Database, table: type, **where: object) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(getattr(table, column) == value)
        return session.scalar(query) or 0


def test_a_call_round_trips_with_everything_stored_about_it(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    repo = CallRepository(db, acme)
    c = call(acme, turns=0, channel="twilio")
    repo.start(c)

    in_progress = repo.get(c.id)
    assert in_progress is not None
    assert in_progress.call.outcome is None and in_progress.call.ended_at is None

    c.add_turn(Role.CALLER, "My boiler is leaking")
    repo.add_turn(c.id, 0, c.turns[0])
    c.add_turn(Role.RECEPTIONIST, "I'm sorry to hear that. Can I take your name?")
    c.add_turn(Role.CALLER, "Dana Scully")  # turns 1 and 2 are stored by finish()
    repo.record_escalation(c.id, escalation(), HandoffStatus.UNAVAILABLE)
    c.concern = "leak"
    c.message = message()
    ended(c, Outcome.MESSAGE_TAKEN)
    repo.finish(c, summary(), [webhook(1), email(2)])

    record = repo.get(c.id)
    assert record is not None
    row = record.call
    assert (row.id, row.tenant_id, row.channel) == (c.id, acme, "twilio")
    assert (row.caller_number, row.dialled_number) == ("+15550100", "+15550199")
    assert row.started_at == c.started_at and row.ended_at == c.ended_at
    assert row.started_at.tzinfo is not None and row.started_at.utcoffset() == timedelta(0)
    assert (row.concern, row.outcome) == ("leak", Outcome.MESSAGE_TAKEN)

    assert record.turns == tuple(c.turns)
    assert all(t.at.tzinfo is not None for t in record.turns)

    assert record.message is not None
    assert record.message.as_message() == c.message
    assert record.message.call_id == c.id and record.message.handled_at is None

    assert [(e.queue, e.priority, e.trigger, e.status) for e in record.escalations] == [
        ("front-desk", 2, "caller_request", "unavailable")
    ]
    assert record.summary == summary()

    assert [(d.channel, d.payload, d.status, d.attempts) for d in record.deliveries] == [
        (DeliveryChannel.WEBHOOK, {"n": 1}, DeliveryStatus.PENDING, 0),
        (DeliveryChannel.EMAIL, {"n": 2}, DeliveryStatus.PENDING, 0),
    ]
    assert {d.message_id for d in record.deliveries} == {c.message.id}
    assert record.deliveries[0].secret_env == "HOOK"
    assert all(d.next_attempt_at <= utcnow() for d in record.deliveries)


def test_finish_without_start_stores_the_whole_call(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    repo = CallRepository(db, acme)
    c = ended(call(acme, turns=3), Outcome.RESOLVED)
    repo.finish(c, None, [])

    record = repo.get(c.id)
    assert record is not None
    assert record.call.outcome is Outcome.RESOLVED
    assert record.turns == tuple(c.turns)
    assert record.message is None and record.summary is None and record.deliveries == ()


def test_finishing_twice_keeps_the_first_account_and_duplicates_nothing(
    db: Database, tenants: tuple[str, str]
) -> None:
    acme, _ = tenants
    repo = CallRepository(db, acme)
    c = call(acme, message=message())
    repo.start(c)
    repo.finish(ended(c, Outcome.MESSAGE_TAKEN), summary("first"), [webhook()])

    c.add_turn(Role.CALLER, "hello?")
    repo.finish(ended(c, Outcome.ABANDONED), summary("second"), [webhook(), email()])

    record = repo.get(c.id)
    assert record is not None
    assert record.call.outcome is Outcome.MESSAGE_TAKEN
    assert record.summary is not None and record.summary.text == "first"
    assert len(record.deliveries) == 1
    assert len(record.turns) == 2
    assert count(db, OutboxTable) == 1


def test_finish_is_atomic(db: Database, tenants: tuple[str, str]) -> None:
    """If any part fails, nothing of the finish is stored and the call stays in progress."""
    acme, _ = tenants
    repo = CallRepository(db, acme)
    first = call(acme, message=message())
    repo.finish(ended(first), None, [])

    second = call(acme, turns=3, message=first.message)  # same message id: the insert will fail
    repo.start(second)
    with pytest.raises(IntegrityError):
        repo.finish(ended(second, Outcome.MESSAGE_TAKEN), summary(), [webhook()])

    record = repo.get(second.id)
    assert record is not None
    assert record.call.outcome is None and record.call.ended_at is None
    assert record.turns == () and record.summary is None and record.deliveries == ()
    assert count(db, OutboxTable) == 0


def test_finish_needs_an_outcome(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    c = call(acme)
    with pytest.raises(ValueError, match="no outcome"):
        CallRepository(db, acme).finish(c, None, [])
    assert CallRepository(db, acme).get(c.id) is None


def test_finish_only_adds_the_turns_not_yet_stored(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    repo = CallRepository(db, acme)
    c = call(acme, turns=4)
    repo.start(c)
    repo.add_turn(c.id, 0, c.turns[0])
    repo.add_turn(c.id, 2, c.turns[2])  # stored out of order: finish fills the gaps
    repo.finish(ended(c), None, [])

    record = repo.get(c.id)
    assert record is not None and record.turns == tuple(c.turns)
    assert count(db, TurnTable, call_id=c.id) == 4


def test_storing_the_same_turn_again_is_a_no_op(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    repo = CallRepository(db, acme)
    c = call(acme, turns=1)
    repo.start(c)
    repo.start(c)  # starting twice is harmless too
    repo.add_turn(c.id, 0, c.turns[0])
    repo.add_turn(c.id, 0, c.turns[0])
    assert count(db, TurnTable, call_id=c.id) == 1
    assert count(db, CallTable, id=c.id) == 1


def test_writes_for_unknown_calls_and_tenants_are_refused(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    repo = CallRepository(db, acme)
    with pytest.raises(UnknownCall):
        repo.add_turn("0" * 32, 0, Turn(role=Role.CALLER, text="hi"))
    with pytest.raises(UnknownCall):
        repo.record_escalation("0" * 32, escalation(), HandoffStatus.QUEUED)
    with pytest.raises(ValueError, match="seq"):
        repo.add_turn("0" * 32, -1, Turn(role=Role.CALLER, text="hi"))

    nobody = CallRepository(db, "no-such-business")
    with pytest.raises(UnknownTenant):
        nobody.start(call("no-such-business"))
    with pytest.raises(UnknownTenant):
        nobody.finish(ended(call("no-such-business")), None, [])


def test_a_repository_refuses_another_tenants_call_object(db: Database, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    with pytest.raises(ValueError, match="belongs to tenant"):
        CallRepository(db, acme).start(call(globex))
    with pytest.raises(ValueError, match="belongs to tenant"):
        CallRepository(db, acme).finish(ended(call(globex)), None, [])


def test_escalations_are_kept_in_order(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    repo = CallRepository(db, acme)
    c = call(acme)
    repo.start(c)
    repo.record_escalation(c.id, escalation("sales"), HandoffStatus.QUEUED)
    repo.record_escalation(c.id, escalation("sales"), HandoffStatus.CONNECTED)
    record = repo.get(c.id)
    assert record is not None
    assert [e.status for e in record.escalations] == ["queued", "connected"]


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_passes_the_check_constraint(
    db: Database, tenants: tuple[str, str], outcome: Outcome
) -> None:
    """Fails when an Outcome is added without a migration widening the CHECK constraint."""
    acme, _ = tenants
    c = ended(call(acme), outcome)
    CallRepository(db, acme).finish(c, None, [])
    record = CallRepository(db, acme).get(c.id)
    assert record is not None and record.call.outcome is outcome


@pytest.mark.parametrize("bad", ["maybe", "RESOLVED", ""])
def test_the_database_rejects_outcomes_outside_the_vocabulary(
    db: Database, tenants: tuple[str, str], bad: str
) -> None:
    acme, _ = tenants
    with pytest.raises(IntegrityError, match=r"ck_calls_outcome|CHECK constraint"), db.session() as session:
        session.execute(
            insert(CallTable).values(id="f" * 32, tenant_id=acme, channel="text", started_at=T0, outcome=bad)
        )


def test_rows_cannot_be_filed_under_another_tenant_than_their_call(
    db: Database, tenants: tuple[str, str]
) -> None:
    acme, globex = tenants
    c = call(acme)
    CallRepository(db, acme).start(c)
    with pytest.raises(IntegrityError), db.session() as session:
        session.execute(
            insert(TurnTable).values(call_id=c.id, tenant_id=globex, seq=0, role="caller", text="x", at=T0)
        )


def test_instants_come_back_aware_and_in_utc(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    paris = timezone(timedelta(hours=1))
    started = datetime(2030, 3, 1, 10, 0, 0, 123456, tzinfo=paris)
    c = call(acme, started=started)
    CallRepository(db, acme).start(c)
    record = CallRepository(db, acme).get(c.id)
    assert record is not None
    assert record.call.started_at == started
    assert record.call.started_at.tzinfo is UTC
    assert record.call.started_at.hour == 9 and record.call.started_at.microsecond == 123456


def test_naive_datetimes_are_refused(db: Database, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    c = call(acme, started=datetime(2030, 3, 1, 9, 0))  # naive: the point of the test
    with pytest.raises(StatementError, match="naive datetime"):
        CallRepository(db, acme).start(c)


def test_fail_stale_fails_only_old_calls_still_in_progress(db: Database, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    repo = CallRepository(db, acme)
    stale = call(acme, started=at(0), turns=3)
    repo.start(stale)
    for seq, turn in enumerate(stale.turns[:2]):
        repo.add_turn(stale.id, seq, turn)
    silent = call(acme, started=at(1), turns=0)
    repo.start(silent)
    live = call(acme, started=at(90))
    repo.start(live)
    done = ended(call(acme, started=at(0)), Outcome.TRANSFERRED)
    repo.finish(done, None, [])
    other_tenant = call(globex, started=at(0))
    CallRepository(db, globex).start(other_tenant)

    assert repo.fail_stale(at(60)) == 2

    outcomes = {r.id: r.outcome for r in repo.list()}
    assert outcomes == {
        stale.id: Outcome.FAILED,
        silent.id: Outcome.FAILED,
        live.id: None,
        done.id: Outcome.TRANSFERRED,
    }
    record = repo.get(stale.id)
    assert record is not None
    assert record.turns == tuple(stale.turns[:2])
    assert record.call.ended_at == stale.turns[1].at  # the last thing we heard
    silent_record = repo.get(silent.id)
    assert silent_record is not None and silent_record.call.ended_at == silent.started_at
    globex_record = CallRepository(db, globex).get(other_tenant.id)
    assert globex_record is not None and globex_record.call.outcome is None

    assert repo.fail_stale(at(60)) == 0
