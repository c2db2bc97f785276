"""One business must never see or change another's calls and messages, whatever happens in between."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receptionist.calls import Outcome
from receptionist.storage.database import Database
from receptionist.storage.repository import (
    CallRepository,
    MessageRepository,
    OutboxRepository,
    TenantRepository,
)

from .factories import at, call, ended, message, webhook


def test_another_tenant_cannot_read_or_mark(db: Database, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    c = call(acme, message=message())
    CallRepository(db, acme).finish(ended(c, Outcome.MESSAGE_TAKEN), None, [webhook()])
    assert c.message is not None

    assert CallRepository(db, globex).get(c.id) is None
    assert CallRepository(db, globex).list() == []
    assert MessageRepository(db, globex).get(c.message.id) is None
    assert MessageRepository(db, globex).list() == []
    assert MessageRepository(db, globex).mark_handled(c.message.id) is False
    assert OutboxRepository(db).for_call(globex, c.id) == []

    mine = MessageRepository(db, acme).get(c.message.id)
    assert mine is not None and mine.handled_at is None
    assert len(OutboxRepository(db).for_call(acme, c.id)) == 1


def test_fail_stale_stays_in_its_tenant(db: Database, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    c = call(acme, started=at(0))
    CallRepository(db, acme).start(c)
    assert CallRepository(db, globex).fail_stale(at(60)) == 0
    record = CallRepository(db, acme).get(c.id)
    assert record is not None and record.call.outcome is None


@dataclass
class Model:
    calls: dict[str, set[str]] = field(default_factory=dict)  # tenant -> call ids
    messages: dict[str, set[str]] = field(default_factory=dict)  # tenant -> message ids
    handled: set[str] = field(default_factory=set)
    in_progress: dict[str, dict[str, int]] = field(default_factory=dict)  # tenant -> call id -> start minute


Step = tuple[int, str, int]  # (tenant index, action, pick)
steps = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(["call", "message", "start", "mark", "fail_stale"]),
        st.integers(0, 50),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_random_interleavings_never_cross_tenants(db: Database, steps: list[Step]) -> None:
    run = uuid.uuid4().hex[:8]  # the database is shared by all examples of one test
    names = [f"t{i}-{run}" for i in range(3)]
    for name in names:
        TenantRepository(db).upsert(name, name)
    model = Model({n: set() for n in names}, {n: set() for n in names}, set(), {n: {} for n in names})
    all_messages: list[tuple[str, str]] = []  # (owner, message id)

    for index, action, pick in steps:
        tenant = names[index]
        calls, messages = CallRepository(db, tenant), MessageRepository(db, tenant)
        if action in ("call", "message", "start"):
            c = call(tenant, started=at(pick), message=message() if action == "message" else None)
            if action == "start":
                calls.start(c)
                model.in_progress[tenant][c.id] = pick
            else:
                calls.finish(ended(c, Outcome.MESSAGE_TAKEN if c.message else Outcome.RESOLVED), None, [])
            model.calls[tenant].add(c.id)
            if c.message is not None:
                model.messages[tenant].add(c.message.id)
                all_messages.append((tenant, c.message.id))
        elif action == "mark" and all_messages:
            owner, message_id = all_messages[pick % len(all_messages)]
            assert messages.mark_handled(message_id) is (owner == tenant)
            if owner == tenant:
                model.handled.add(message_id)
        elif action == "fail_stale":
            stale = {i for i, started in model.in_progress[tenant].items() if started < pick}
            assert calls.fail_stale(at(pick)) == len(stale)
            for call_id in stale:
                del model.in_progress[tenant][call_id]

        for name in names:
            calls, messages = CallRepository(db, name), MessageRepository(db, name)
            assert {r.id for r in calls.list(limit=500)} == model.calls[name]
            assert {r.tenant_id for r in calls.list(limit=500)} <= {name}
            assert {r.id for r in calls.list(limit=500) if r.outcome is None} == set(model.in_progress[name])
            listed = messages.list(limit=500)
            assert {m.id for m in listed} == model.messages[name]
            assert {m.id for m in listed if m.handled_at is not None} == model.handled & model.messages[name]
            for other in names:
                if other != name:
                    for call_id in model.calls[other]:
                        assert calls.get(call_id) is None
                    for message_id in model.messages[other]:
                        assert messages.get(message_id) is None
