"""A tenant's figures on a small hand-built period: local hours, outcomes, concerns and the queue log."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receptionist.acd.events import QueueEvent
from receptionist.acd.events import QueueEventKind as K
from receptionist.acd.stats import queue_stats
from receptionist.dashboard.periods import local_days
from receptionist.dashboard.queue_figures import _max_wait_us
from receptionist.dashboard.stats import QUEUE_TAIL, tenant_stats
from receptionist.storage.database import Database
from receptionist.storage.repository import TenantRepository
from tests.dashboard.conftest import ACME, GLOBEX, append_events, call_row, insert_calls

NEW_YORK = ZoneInfo("America/New_York")  # UTC-4 all through July: no daylight-saving change in the period
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30
START, END = local_days(date(2030, 7, 1), date(2030, 7, 7), NEW_YORK)  # 04:00 UTC on July 1 .. July 8


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2030, 7, day, hour, minute, second, tzinfo=UTC)


def test_calls_by_local_hour_day_concern_and_outcome(db: Database, tenants: tuple[str, str]) -> None:
    insert_calls(db, [
        call_row(ACME, utc(1, 3, 59), concern="billing"),  # 23:59 on June 30 in New York: before the period
        call_row(ACME, utc(1, 4, 0), concern="billing", outcome="resolved"),  # July 1, 00:00 local
        call_row(ACME, utc(1, 13, 30), concern="billing", outcome="message_taken"),  # 09:30 local
        call_row(ACME, utc(2, 13, 5), concern="emergency", outcome="transferred"),  # July 2, 09:05
        call_row(ACME, utc(3, 2, 0), concern="emergency", outcome="abandoned"),  # July 2, 22:00 local
        call_row(ACME, utc(7, 20, 0), concern=None, outcome="failed"),  # July 7, 16:00
        call_row(ACME, utc(8, 3, 59), concern="billing", outcome="callback_scheduled"),  # July 7, 23:59
        call_row(ACME, utc(8, 3, 0), concern="billing", outcome=None, length=None),  # in progress, 23:00
        call_row(ACME, utc(8, 4, 0), concern="billing"),  # July 8, 00:00 local: after the period
        call_row(GLOBEX, utc(2, 13, 0), concern="billing"),  # another tenant's
    ])  # fmt: skip

    s = tenant_stats(db, ACME, start=START, end=END, tz=NEW_YORK)

    assert s.calls == 7 and s.timezone == "America/New_York"
    assert s.by_concern == (("billing", 4), ("emergency", 2), (None, 1))
    o = s.outcomes
    assert (o.ai_resolved, o.transferred, o.callback_scheduled, o.abandoned, o.failed, o.in_progress) == (
        2, 1, 1, 1, 1, 1,
    )  # fmt: skip
    assert s.by_outcome["resolved"] == 1 and s.by_outcome["in_progress"] == 1 and s.by_outcome["failed"] == 1
    hours = {h: n for h, n in enumerate(s.by_hour) if n}
    assert hours == {0: 1, 9: 2, 22: 1, 16: 1, 23: 2}
    assert len(s.by_hour) == 24
    assert [d for d, _ in s.by_day] == [date(2030, 7, d) for d in range(1, 8)]
    assert dict(s.by_day) == {
        date(2030, 7, 1): 2, date(2030, 7, 2): 2, date(2030, 7, 3): 0, date(2030, 7, 4): 0,
        date(2030, 7, 5): 0, date(2030, 7, 6): 0, date(2030, 7, 7): 3,
    }  # fmt: skip


def test_hours_of_a_zone_half_an_hour_off_utc(db: Database, tenants: tuple[str, str]) -> None:
    insert_calls(db, [
        call_row(ACME, utc(2, 10, 15)),  # 15:45 in Kolkata
        call_row(ACME, utc(2, 10, 45)),  # 16:15
        call_row(ACME, utc(2, 18, 29)),  # 23:59 on July 2
        call_row(ACME, utc(2, 18, 30)),  # 00:00 on July 3
    ])  # fmt: skip
    start, end = local_days(date(2030, 7, 2), date(2030, 7, 3), KOLKATA)

    s = tenant_stats(db, ACME, start=start, end=end, tz=KOLKATA)

    assert {h: n for h, n in enumerate(s.by_hour) if n} == {15: 1, 16: 1, 23: 1, 0: 1}
    assert dict(s.by_day) == {date(2030, 7, 2): 3, date(2030, 7, 3): 1}


def test_queue_figures_follow_the_queue_statistics_definitions(
    db: Database, tenants: tuple[str, str]
) -> None:
    def ev(what: K, at: datetime, call_id: str, agent: str | None = None, **data: object) -> QueueEvent:
        return QueueEvent(at=at, tenant_id=ACME, queue="front-desk", kind=what, call_id=call_id,
                          agent_id=agent, data=dict(data))  # fmt: skip

    t = utc(2, 14)
    append_events(db, ACME, [
        ev(K.ENTER, START - timedelta(minutes=1), "before"),  # entered before the period: not counted
        ev(K.CONNECT, START + timedelta(seconds=5), "before", "ann"),
        ev(K.ENTER, t, "a"),
        ev(K.OFFER, t + timedelta(seconds=2), "a", "ann"),
        ev(K.CONNECT, t + timedelta(seconds=10), "a", "ann"),  # answered in 10 s: within 20 s
        ev(K.COMPLETE_CALLER, t + timedelta(minutes=3), "a", "ann"),
        ev(K.ENTER, t + timedelta(minutes=1), "b"),
        ev(K.CONNECT, t + timedelta(minutes=1, seconds=30), "b", "bob"),  # 30 s: answered, not within
        ev(K.ENTER, t + timedelta(minutes=2), "c"),
        ev(K.ABANDON, t + timedelta(minutes=2, seconds=15), "c"),  # abandoned after 15 s
        ev(K.ENTER, t + timedelta(minutes=3), "cb", kind="callback"),  # a callback task: not a caller
        ev(K.ENTER, END - timedelta(seconds=5), "late"),  # entered in the period ...
        ev(K.CONNECT, END + timedelta(seconds=10), "late", "ann"),  # ... answered after it, in 15 s
    ])  # fmt: skip
    append_events(
        db,
        GLOBEX,
        [
            QueueEvent(at=t, tenant_id=GLOBEX, queue="front-desk", kind=K.ENTER, call_id="x"),
        ],
    )

    q = tenant_stats(db, ACME, start=START, end=END, tz=NEW_YORK).queue

    assert (q.offered, q.answered, q.answered_within_sl, q.abandoned) == (4, 3, 2, 1)
    assert q.service_level_s == 20.0 and q.service_level == pytest.approx(2 / 4)
    assert q.average_speed_of_answer_s == pytest.approx((10 + 30 + 15) / 3)
    assert q.abandonment_rate == pytest.approx(1 / 4)


def test_an_empty_period_has_no_ratios_and_bad_periods_are_refused(
    db: Database, tenants: tuple[str, str]
) -> None:
    s = tenant_stats(db, ACME, start=START, end=END, tz=NEW_YORK)
    assert s.calls == 0 and s.by_concern == () and sum(s.by_hour) == 0 and len(s.by_day) == 7
    assert s.queue.offered == 0 and s.queue.service_level is None and s.queue.abandonment_rate is None
    with pytest.raises(ValueError, match="after"):
        tenant_stats(db, ACME, start=END, end=START, tz=NEW_YORK)
    with pytest.raises(ValueError, match="timezone-aware"):
        tenant_stats(db, ACME, start=START.replace(tzinfo=None), end=END, tz=NEW_YORK)


# Random small logs: a few calls, times in whole seconds so that the replay's float arithmetic is exact too
# (waits of exactly 20 s are common), ties, events of no visit, callback tasks, and events around the edges
# of the period and of its tail.
_PERIOD = timedelta(seconds=30)
_TAIL_END = int((_PERIOD + QUEUE_TAIL).total_seconds())
_EDGES = [-1, 0, 1, 29, 30, 31, _TAIL_END - 1, _TAIL_END, _TAIL_END + 1]
_KINDS = [K.ENTER, K.ENTER, K.CONNECT, K.ABANDON, K.EXIT_TIMEOUT, K.EXIT_EMPTY, K.EXIT_CALLER, K.OVERFLOW,
          K.OFFER, K.COMPLETE_CALLER, K.WRAPUP_END]  # fmt: skip
_EVENT = st.tuples(
    st.one_of(st.integers(min_value=-5, max_value=45), st.sampled_from(_EDGES)),
    st.sampled_from(_KINDS),
    st.sampled_from(["a", "b", "b", None]),
    st.sampled_from([{}, {}, {}, {"kind": "callback"}, {"kind": "other"}]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=st.lists(_EVENT, max_size=30), service_level_s=st.sampled_from([0.0, 10.0, 20.0, 30.5]))
def test_queue_figures_in_sql_equal_the_replay_of_the_log(
    db: Database, log: list[tuple[int, K, str | None, dict[str, object]]], service_level_s: float
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"  # every example its own tenant: nothing to clean up
    TenantRepository(db).upsert(tenant, "Random log")
    start = utc(2, 14)
    events = [
        QueueEvent(at=start + timedelta(seconds=s), tenant_id=tenant, queue="q", kind=kind, call_id=call,
                   agent_id="ann", data=data)
        for s, kind, call, data in log
    ]  # fmt: skip
    if events:
        append_events(db, tenant, events)
    end = start + _PERIOD

    got = tenant_stats(db, tenant, start=start, end=end, tz=UTC, service_level_s=service_level_s).queue
    # The replay of the log as the figures were computed before: every event before the end of the tail.
    want = queue_stats(
        [e for e in events if e.at < end + QUEUE_TAIL], tenant_id=tenant, start=start, end=end,
        service_level_s=service_level_s,
    )  # fmt: skip

    assert (got.offered, got.answered, got.answered_within_sl, got.abandoned) == (
        want.offered, want.answered, want.answered_within_sl, want.abandoned,
    )  # fmt: skip
    assert got.service_level == want.service_level_of_offered
    assert got.abandonment_rate == want.abandonment_rate
    if want.average_speed_of_answer_s is None:
        assert got.average_speed_of_answer_s is None
    else:
        assert got.average_speed_of_answer_s == pytest.approx(want.average_speed_of_answer_s, rel=1e-12)


def test_the_service_level_bound_is_the_replays_comparison_to_the_microsecond() -> None:
    for t in (0.0, 1e-6, 0.1, 0.3, 20.0, 20.3, 29.999999, 1234.5678):
        us = _max_wait_us(t)
        assert (
            timedelta(microseconds=us).total_seconds() <= t < timedelta(microseconds=us + 1).total_seconds()
        )


def test_a_visit_settled_only_at_the_end_of_the_tail_is_still_waiting_and_ties_keep_log_order(
    db: Database, tenants: tuple[str, str]
) -> None:
    def ev(what: K, at: datetime, call_id: str) -> QueueEvent:
        return QueueEvent(at=at, tenant_id=ACME, queue="q", kind=what, call_id=call_id, agent_id="ann")

    t = utc(3, 12)
    append_events(db, ACME, [
        ev(K.ENTER, END - timedelta(seconds=5), "late"),
        ev(K.CONNECT, END + QUEUE_TAIL, "late"),  # the tail is exclusive: offered, not answered
        ev(K.CONNECT, t, "tie"),  # logged before the ENTERQUEUE of the same instant: not its answer
        ev(K.ENTER, t, "tie"),
        ev(K.ABANDON, t + timedelta(seconds=3), "tie"),
        ev(K.ENTER, t, "same"),  # ... and logged after it, it is
        ev(K.CONNECT, t, "same"),
    ])  # fmt: skip

    q = tenant_stats(db, ACME, start=START, end=END, tz=NEW_YORK).queue

    assert (q.offered, q.answered, q.answered_within_sl, q.abandoned) == (3, 1, 1, 1)
    assert q.average_speed_of_answer_s == 0.0
