"""The call list (filters, keyset pages with ties) and one call in full, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receptionist.acd.events import QueueEvent, QueueEventKind
from receptionist.calls import HandoffStatus, Outcome
from receptionist.dashboard.calls import (
    MAX_LIMIT,
    CallFilter,
    InvalidCursor,
    call_detail,
    decode_cursor,
    encode_cursor,
    list_calls,
)
from receptionist.storage.database import Database
from receptionist.storage.repository import CallRepository, TenantRepository
from receptionist.storage.wrapup_notes import WrapUpNoteRepository
from tests.dashboard.conftest import ACME, GLOBEX, append_events, call_row, insert_calls
from tests.storage import factories as f

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


def every_page(db: Database, tenant: str, flt: CallFilter, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = list_calls(db, tenant, flt, limit=limit, cursor=cursor)
        pages.append([c.id for c in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_filters_narrow_the_list_to_this_tenants_matching_calls(
    db: Database, tenants: tuple[str, str]
) -> None:
    rows = [
        call_row(ACME, T0, call_id="a1", concern="billing", outcome="resolved", caller="+16175550123"),
        call_row(ACME, T0 + timedelta(hours=1), call_id="a2", concern="emergency", outcome="transferred"),
        call_row(ACME, T0 + timedelta(days=1), call_id="a3", outcome="message_taken", caller="+442079460111"),
        call_row(
            ACME, T0 + timedelta(days=2), call_id="a4", concern=None, outcome=None, length=None, caller=None
        ),
        call_row(GLOBEX, T0 + timedelta(hours=2), call_id="g1", concern="billing"),
    ]
    insert_calls(db, rows)

    def ids(flt: CallFilter) -> list[str]:
        return [c.id for c in list_calls(db, ACME, flt).items]

    assert ids(CallFilter()) == ["a4", "a3", "a2", "a1"]
    assert ids(CallFilter(concern="billing")) == ["a3", "a1"]
    assert ids(CallFilter(outcome=Outcome.TRANSFERRED)) == ["a2"]
    assert ids(CallFilter(since=T0 + timedelta(hours=1))) == ["a4", "a3", "a2"]
    assert ids(CallFilter(since=T0, until=T0 + timedelta(days=1))) == ["a2", "a1"]  # until is exclusive
    assert ids(CallFilter(caller="+1 (617) 555")) == ["a2", "a1"]  # the start, country code included
    assert ids(CallFilter(caller="555-0123")) == ["a2", "a1"]  # the end
    assert ids(CallFilter(caller="4420")) == ["a3"]
    assert ids(CallFilter(concern="billing", caller="1617")) == ["a1"]
    assert [c.id for c in list_calls(db, GLOBEX, CallFilter()).items] == ["g1"]


def test_an_item_carries_duration_a_short_summary_and_whether_a_message_was_taken(
    db: Database, tenants: tuple[str, str]
) -> None:
    repo = CallRepository(db, ACME)
    with_message = f.ended(f.call(ACME, started=T0), Outcome.MESSAGE_TAKEN, after=timedelta(seconds=95))
    with_message.message = f.message()
    repo.finish(with_message, f.summary("x" * 300), [])
    plain = f.ended(f.call(ACME, started=T0 + timedelta(minutes=5)))
    repo.finish(plain, None, [])

    second, first = list_calls(db, ACME, CallFilter()).items
    assert first.id == with_message.id and second.id == plain.id
    assert first.duration_s == 95.0 and first.has_message and first.summary == "x" * 200
    assert first.outcome is Outcome.MESSAGE_TAKEN and first.caller_number == "+15550100"
    assert not second.has_message and second.summary is None and second.started_at == plain.started_at


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=6), min_size=0, max_size=30),
    limit=st.integers(min_value=1, max_value=7),
)
def test_keyset_pages_cover_every_call_once_in_order_even_with_equal_start_times(
    db: Database, offsets: list[int], limit: int
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"  # every example its own tenant: nothing to clean up
    TenantRepository(db).upsert(tenant, "Ties")
    rows = [call_row(tenant, T0 + timedelta(seconds=o), call_id=uuid.uuid4().hex) for o in offsets]
    if rows:
        insert_calls(db, rows)
    expected = [r["id"] for r in sorted(rows, key=lambda r: (r["started_at"], r["id"]), reverse=True)]

    pages = every_page(db, tenant, CallFilter(), limit)

    assert [i for page in pages for i in page] == expected
    assert all(len(page) == limit for page in pages[:-1]) and len(pages[-1]) <= limit
    assert len(pages) == max(1, -(-len(rows) // limit))  # no empty page after a full last one


def test_pages_keep_their_filter_and_calls_stored_meanwhile_shift_nothing(
    db: Database, tenants: tuple[str, str]
) -> None:
    insert_calls(db, [call_row(ACME, T0 + timedelta(minutes=i), call_id=f"c{i:02d}") for i in range(10)])
    insert_calls(db, [call_row(ACME, T0, call_id=f"m{i}", concern="moving") for i in range(3)])
    first = list_calls(db, ACME, CallFilter(concern="billing"), limit=4)
    insert_calls(db, [call_row(ACME, T0 + timedelta(hours=5), call_id="new")])  # newer than every page
    rest = every_page(db, ACME, CallFilter(concern="billing"), 4)
    assert [c.id for c in first.items] == ["c09", "c08", "c07", "c06"]
    assert first.next_cursor is not None
    after = list_calls(db, ACME, CallFilter(concern="billing"), limit=4, cursor=first.next_cursor)
    assert [c.id for c in after.items] == ["c05", "c04", "c03", "c02"]
    assert rest[0][0] == "new"


def test_limits_and_foreign_cursors_are_refused(db: Database, tenants: tuple[str, str]) -> None:
    for bad in (0, MAX_LIMIT + 1):
        with pytest.raises(ValueError, match="limit"):
            list_calls(db, ACME, CallFilter(), limit=bad)
    for cursor in ("nope", "!!!", encode_cursor(T0, "x")[:-3], "W10", "WyJ4IiwxXQ"):
        with pytest.raises(InvalidCursor):
            list_calls(db, ACME, CallFilter(), cursor=cursor)
    assert decode_cursor(encode_cursor(T0, "abc")) == (T0, "abc")
    with pytest.raises(ValueError, match="timezone-aware"):
        CallFilter(since=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="digit"):
        CallFilter(caller="abc")


def test_detail_has_turns_summary_message_transfers_queue_log_and_notes(
    db: Database, tenants: tuple[str, str]
) -> None:
    repo = CallRepository(db, ACME)
    call = f.call(ACME, started=T0, turns=3)
    repo.start(call)
    repo.record_escalation(call.id, f.escalation("front-desk"), HandoffStatus.QUEUED)
    repo.record_escalation(call.id, f.escalation("front-desk"), HandoffStatus.CONNECTED)
    call.message = f.message()
    repo.finish(f.ended(call, Outcome.TRANSFERRED, after=timedelta(minutes=4)), f.summary(), [])

    def event(what: QueueEventKind, seconds: int, call_id: str = call.id, **data: object) -> QueueEvent:
        return QueueEvent(at=T0 + timedelta(seconds=seconds), tenant_id=ACME, queue="front-desk", kind=what,
                          call_id=call_id, agent_id="ann" if what is QueueEventKind.CONNECT else None,
                          data=dict(data))  # fmt: skip

    append_events(db, ACME, [
        event(QueueEventKind.ENTER, 30, position=1),
        event(QueueEventKind.CONNECT, 42, wait_s=12),
        event(QueueEventKind.ENTER, 300, call_id=f"{call.id}-cb", kind="callback"),
        event(QueueEventKind.ENTER, 50, call_id="someone-else"),
    ])  # fmt: skip
    notes = WrapUpNoteRepository(db, ACME)
    notes.add(call.id, "ann", "Booked a plumber", at=T0 + timedelta(minutes=5))
    notes.add("someone-else", "ann", "not this call", at=T0 + timedelta(minutes=6))

    detail = call_detail(db, ACME, call.id)

    assert detail is not None
    assert detail.outcome is Outcome.TRANSFERRED and detail.duration_s == 240.0
    assert [t.text for t in detail.turns] == ["turn 0", "turn 1", "turn 2"]
    assert detail.summary is not None and detail.summary.action_items == ("call back", "send plumber")
    assert detail.message is not None and detail.message.name == "Dana Scully"
    assert [e.status for e in detail.escalations] == ["queued", "connected"]
    assert [(e.kind, e.at - T0, e.agent_id) for e in detail.queue_events] == [
        ("ENTERQUEUE", timedelta(seconds=30), None),
        ("CONNECT", timedelta(seconds=42), "ann"),
        ("ENTERQUEUE", timedelta(seconds=300), None),  # the callback task is this call's too
    ]
    assert detail.queue_events[1].data == {"wait_s": 12}
    assert [(n.agent_id, n.text) for n in detail.notes] == [("ann", "Booked a plumber")]
    assert call_detail(db, GLOBEX, call.id) is None  # another tenant's id is nobody's
    assert call_detail(db, ACME, "no-such-call") is None
