"""Queue statistics against hand-worked timelines, and properties that hold for any log at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.acd.events import QueueEvent, QueueEventKind
from receptionist.acd.stats import AgentTime, QueueStats, queue_stats

K = QueueEventKind
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # a Monday, 9 a.m. UTC
HOUR_S = 3600


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


@dataclass
class Timeline:
    """A queue log written as a supervisor reads one: each call is seconds after 9:00 (T0)."""

    tenant: str = "acme"
    queue: str = "support"
    events: list[QueueEvent] = field(default_factory=list)

    def log(self, s: float, kind: K, /, *, call: str | None = None, agent: str | None = None,
            queue: str | None = None, agent_wide: bool = False, **data: Any) -> Timeline:  # fmt: skip
        """Log one event; agent-wide ones (log in/off, pause) have no queue, as the ACD writes them."""
        queue = None if agent_wide else queue or self.queue
        event = QueueEvent(at(s), self.tenant, queue, kind, call, agent, dict(data))
        self.events.append(event)
        return self

    def enter(self, s: float, call: str, queue: str | None = None) -> Timeline:
        return self.log(s, K.ENTER, call=call, queue=queue, position=1)

    def offer(self, s: float, call: str, agent: str) -> Timeline:
        return self.log(s, K.OFFER, call=call, agent=agent)

    def no_answer(self, s: float, call: str, agent: str) -> Timeline:
        return self.log(s, K.RING_NO_ANSWER, call=call, agent=agent)

    def connect(self, s: float, call: str, agent: str) -> Timeline:
        return self.log(s, K.CONNECT, call=call, agent=agent)

    def hang_up(self, s: float, call: str, agent: str | None = None, **data: Any) -> Timeline:
        return self.log(s, K.COMPLETE_CALLER, call=call, agent=agent, **data)

    def wrapped(self, s: float, agent: str, **data: Any) -> Timeline:
        return self.log(s, K.WRAPUP_END, agent=agent, **data)

    def abandon(self, s: float, call: str) -> Timeline:
        return self.log(s, K.ABANDON, call=call)

    def timeout(self, s: float, call: str, to: str = "message") -> Timeline:
        return self.log(s, K.EXIT_TIMEOUT, call=call).log(s, K.OVERFLOW, call=call, to=to)

    def login(self, s: float, agent: str) -> Timeline:
        return self.log(s, K.LOGIN, agent=agent, agent_wide=True)

    def logoff(self, s: float, agent: str) -> Timeline:
        return self.log(s, K.LOGOFF, agent=agent, agent_wide=True)

    def pause(self, s: float, agent: str) -> Timeline:
        return self.log(s, K.PAUSE, agent=agent, agent_wide=True, reason="lunch")

    def unpause(self, s: float, agent: str) -> Timeline:
        return self.log(s, K.UNPAUSE, agent=agent, agent_wide=True)

    def answered(self, call: str, agent: str, *, enter: float, connect: float, hang_up: float,
                 wrapped: float) -> Timeline:  # fmt: skip
        self.enter(enter, call).offer(connect - 2, call, agent).connect(connect, call, agent)
        return self.hang_up(hang_up, call, agent).wrapped(wrapped, agent)

    def stats(self, start: float = 0, end: float = HOUR_S, **options: Any) -> QueueStats:
        options.setdefault("tenant_id", self.tenant)
        return queue_stats(self.events, start=at(start), end=at(end), **options)


def morning() -> Timeline:
    """Two agents and eight calls between 9:00 and 10:00, worked out by hand in the tests below.

    ann is logged in since 8:50 and on a call (c0, entered 8:58) at 9:00; she pauses 9:30-9:40 and logs
    off at 9:50. bob logs in at 9:05 and is still on c8 at 10:00. c7 is still waiting at 10:00.
    """
    tl = Timeline()
    tl.login(-600, "ann").enter(-100, "c0").connect(-60, "c0", "ann").hang_up(40, "c0", "ann").wrapped(
        55, "ann"
    )
    tl.answered("c1", "ann", enter=60, connect=70, hang_up=250, wrapped=280)  # wait 10, talk 180, wrap 30
    tl.enter(100, "c2").abandon(103, "c2")  # a short abandon (3 s)
    tl.enter(120, "c3").abandon(160, "c3")  # 40 s
    tl.enter(200, "c4").offer(285, "c4", "ann").no_answer(300, "c4", "ann").login(300, "bob")
    tl.offer(310, "c4", "bob").connect(325, "c4", "bob")  # wait 125
    tl.log(625, K.COMPLETE_AGENT, call="c4", agent="bob").wrapped(685, "bob")  # talk 300, wrap 60
    tl.answered("c5", "ann", enter=400, connect=415, hang_up=535, wrapped=545)  # wait 15, talk 120, wrap 10
    tl.enter(900, "c6").timeout(1200, "c6")  # waited 300 s, then a message was taken
    tl.pause(1800, "ann").unpause(2400, "ann").logoff(3000, "ann")
    tl.enter(3500, "c7")  # still waiting at 10:00
    tl.answered("c8", "bob", enter=3590, connect=3595, hang_up=3700, wrapped=3710)  # ends after 10:00
    return tl


def test_call_counts_of_a_hand_worked_hour() -> None:
    s = morning().stats()
    assert (s.offered, s.answered, s.abandoned, s.overflowed, s.waiting) == (8, 4, 2, 1, 1)
    assert (s.answered_within_sl, s.abandoned_within_sl, s.short_abandoned) == (3, 1, 1)
    assert (s.timed_out, s.exited_empty, s.exited_by_caller) == (1, 0, 0)


def test_every_service_level_definition_of_a_hand_worked_hour() -> None:
    s = morning().stats()
    assert s.service_level == 3 / 4  # Asterisk SL: c1, c5, c8 of the four answered
    assert s.service_level_sl2 == pytest.approx(4 / 6)  # Asterisk SL2: + c2 abandoned within 20 s
    assert s.service_level_with_abandons == 3 / 6
    assert s.service_level_of_offered == 3 / 8
    assert s.abandonment_rate == 2 / 8


def test_times_of_a_hand_worked_hour() -> None:
    s = morning().stats()
    assert s.average_speed_of_answer_s == (10 + 125 + 15 + 5) / 4
    assert s.longest_wait_s == 300  # c6
    assert s.longest_waiting_s == 100  # c7, at 10:00
    assert s.completed == 4  # c1, c4, c5, c8 (c8's call ended after 10:00: the events say how)
    assert s.average_talk_s == (180 + 300 + 120 + 105) / 4
    assert s.average_wrap_s == (30 + 60 + 10 + 10) / 4
    assert s.average_handle_s == pytest.approx(176.25 + 27.5)


def test_agent_time_of_a_hand_worked_hour() -> None:
    s = morning().stats()
    # ann: 9:00-9:50 logged in; talk 40 (c0, from 9:00) + 180 + 120; wrap 15 + 30 + 10; paused 600
    assert s.agents["ann"] == AgentTime(
        logged_in_s=3000, talk_s=340, wrap_s=55, available_s=2005, paused_s=600
    )
    assert s.agents["ann"].occupancy == 395 / 2400
    # bob: 9:05-10:00; talk 300 (c4) + 5 (c8 until 10:00); wrap 60
    assert s.agents["bob"] == AgentTime(logged_in_s=3300, talk_s=305, wrap_s=60, available_s=2935, paused_s=0)
    assert s.agent_time == AgentTime(logged_in_s=6300, talk_s=645, wrap_s=115, available_s=4940, paused_s=600)
    assert s.occupancy == 760 / 5700


def test_short_abandons_can_be_left_out() -> None:
    s = morning().stats(exclude_short_abandons=True)
    assert (s.offered, s.abandoned, s.abandoned_within_sl, s.short_abandoned) == (7, 1, 0, 1)
    assert s.service_level == 3 / 4
    assert s.service_level_sl2 == 3 / 5
    assert s.service_level_with_abandons == 3 / 5
    assert s.service_level_of_offered == 3 / 7
    assert s.abandonment_rate == 1 / 7


def test_calls_by_hour_in_the_reports_time_zone() -> None:
    s = morning().stats()
    assert [
        (h.hour, h.offered, h.answered, h.answered_within_sl, h.abandoned, h.overflowed) for h in s.by_hour
    ] == [(T0, 8, 4, 3, 2, 1)]
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+5:30: 9:00-10:00 UTC is 14:30-15:30 there
    hours = morning().stats(tz=kolkata).by_hour
    assert [h.hour for h in hours] == [
        datetime(2030, 3, 4, 14, tzinfo=kolkata),
        datetime(2030, 3, 4, 15, tzinfo=kolkata),
    ]
    assert [h.offered for h in hours] == [6, 2]  # c1-c6 entered before 9:30 UTC, c7 and c8 after


# -- edges -------------------------------------------------------------------------------------------


def test_nothing_to_divide_by_is_none_not_zero() -> None:
    s = Timeline().stats()
    assert (s.offered, s.answered, s.completed, s.agents) == (0, 0, 0, {})
    for name in ("service_level", "service_level_sl2", "service_level_with_abandons",
                 "service_level_of_offered", "abandonment_rate", "average_speed_of_answer_s",
                 "longest_wait_s", "longest_waiting_s", "average_talk_s", "average_wrap_s",
                 "average_handle_s", "occupancy"):  # fmt: skip
        assert getattr(s, name) is None, name
    assert [h.offered for h in s.by_hour] == [0]

    only_abandons = Timeline().enter(0, "c1").abandon(30, "c1").stats()
    assert only_abandons.service_level is None  # nothing answered
    assert (only_abandons.service_level_sl2, only_abandons.service_level_of_offered) == (0.0, 0.0)
    assert only_abandons.abandonment_rate == 1.0


def test_a_later_window_counts_only_what_entered_in_it_and_clips_agent_time() -> None:
    s = morning().stats(start=1800, end=3600)  # 9:30-10:00
    assert (s.offered, s.answered, s.waiting) == (2, 1, 1)  # c7 and c8
    assert s.agents["ann"] == AgentTime(logged_in_s=1200, talk_s=0, wrap_s=0, available_s=600, paused_s=600)
    assert s.agents["ann"].occupancy == 0.0
    assert s.agents["bob"] == AgentTime(logged_in_s=1800, talk_s=5, wrap_s=0, available_s=1795, paused_s=0)


def test_consecutive_windows_add_up() -> None:
    tl = morning()
    whole, first, second = tl.stats(), tl.stats(end=1800), tl.stats(start=1800)
    for name in (
        "offered",
        "answered",
        "answered_within_sl",
        "abandoned",
        "overflowed",
        "waiting",
        "completed",
    ):
        assert getattr(first, name) + getattr(second, name) == getattr(whole, name), name
    for name in ("logged_in_s", "talk_s", "wrap_s", "available_s", "paused_s"):
        assert getattr(first.agent_time, name) + getattr(second.agent_time, name) == getattr(
            whole.agent_time, name
        )


def test_outcomes_after_the_window_count_unless_left_out() -> None:
    tl = Timeline().login(0, "ann").enter(3590, "c1").connect(3610, "c1", "ann")
    with_later = tl.stats()
    assert (with_later.answered, with_later.answered_within_sl, with_later.waiting) == (1, 1, 0)
    as_at_end = Timeline(events=[e for e in tl.events if e.at < at(HOUR_S)]).stats()
    assert (as_at_end.answered, as_at_end.waiting, as_at_end.longest_waiting_s) == (0, 1, 10)
    assert with_later.agents["ann"].talk_s == 0  # the call began after 10:00


def test_an_agents_state_before_the_log_is_inferred_from_their_first_event() -> None:
    tl = Timeline()
    tl.pause(600, "ann")  # logged in, not paused, before 9:10
    tl.unpause(900, "bob")  # logged in and paused before 9:15
    tl.hang_up(300, "c9", "cy", talk_s=420)  # a call that began at 8:58 (420 s before 9:05)
    tl.wrapped(30, "dee", wrap_s=50)  # a wrap-up that began at 8:59:40
    tl.hang_up(120, "c8", "dee")  # a call end whose start cannot be known: no talk time is made up
    s = tl.stats()
    assert s.agents["ann"] == AgentTime(logged_in_s=3600, talk_s=0, wrap_s=0, available_s=600, paused_s=3000)
    assert s.agents["bob"] == AgentTime(logged_in_s=3600, talk_s=0, wrap_s=0, available_s=2700, paused_s=900)
    assert (s.agents["cy"].talk_s, s.agents["cy"].wrap_s) == (300, 3300)  # wrap-up never ended
    assert (s.agents["dee"].talk_s, s.agents["dee"].wrap_s) == (0, 30 + HOUR_S - 120)


def test_wrap_up_ends_at_wrapupend_logoff_or_the_next_offer() -> None:
    tl = Timeline().login(0, "ann")
    tl.enter(10, "c1").connect(20, "c1", "ann").hang_up(80, "c1", "ann")  # no WRAPUPEND logged
    tl.enter(200, "c2").offer(200, "c2", "ann").connect(205, "c2", "ann").hang_up(305, "c2", "ann")
    tl.logoff(345, "ann")  # during c2's wrap-up
    s = tl.stats()
    assert (s.completed, s.average_talk_s, s.average_wrap_s) == (2, 80, 20)  # c1: 60 + 0, c2: 100 + 40
    assert s.agents["ann"] == AgentTime(logged_in_s=345, talk_s=160, wrap_s=40, available_s=145, paused_s=0)

    tl.login(400, "ann").enter(400, "c3").connect(410, "c3", "ann").hang_up(470, "c3", "ann")
    s = tl.stats()
    assert s.completed == 2  # c3's wrap-up is still going on when the log ends
    assert s.agents["ann"].wrap_s == 40 + (HOUR_S - 470)


def test_an_overflow_to_another_queue_is_two_visits() -> None:
    tl = Timeline()
    tl.enter(0, "c1", "sales").log(10, K.EXIT_EMPTY, call="c1", queue="sales").log(10, K.OVERFLOW, call="c1")
    tl.enter(10, "c1", "support").connect(40, "c1", "ann")
    tl.enter(100, "c2", "sales").enter(105, "c2", "support").abandon(110, "c2")  # moved without an EXIT*
    tl.enter(200, "c3", "support").log(215, K.EXIT_CALLER, call="c3", choice="callback")

    sales, support, both = tl.stats(queue="sales"), tl.stats(queue="support"), tl.stats()
    assert (sales.offered, sales.overflowed, sales.exited_empty, sales.answered) == (2, 2, 1, 0)
    assert (support.offered, support.answered, support.abandoned, support.exited_by_caller) == (3, 1, 1, 1)
    assert support.average_speed_of_answer_s == 30  # from entering support
    assert (both.offered, both.answered, both.abandoned, both.overflowed) == (5, 1, 1, 3)


def test_other_tenants_are_skipped_and_none_means_all() -> None:
    acme, globex = Timeline(tenant="acme"), Timeline(tenant="globex")
    acme.login(0, "ann").enter(10, "c1").connect(20, "c1", "ann").hang_up(80, "c1", "ann").wrapped(90, "ann")
    globex.login(0, "ann").enter(10, "c1").abandon(15, "c1").logoff(1800, "ann")  # same call id, same agent
    events = acme.events + globex.events
    mine = queue_stats(events, tenant_id="acme", start=at(0), end=at(HOUR_S))
    assert mine == acme.stats()
    everyone = queue_stats(events, tenant_id=None, start=at(0), end=at(HOUR_S))
    assert (everyone.offered, everyone.answered, everyone.abandoned) == (2, 1, 1)
    assert everyone.agents["ann"].logged_in_s == HOUR_S  # logged in for both: counted once


@pytest.mark.parametrize(
    ("start", "end", "options"),
    [
        (T0.replace(tzinfo=None), at(60), {}),
        (at(60), at(60), {}),
        (at(0), at(60), {"service_level_s": -1}),
    ],
)
def test_bad_windows_and_thresholds_are_refused(
    start: datetime, end: datetime, options: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        queue_stats([], tenant_id="acme", start=start, end=end, **options)


# -- properties --------------------------------------------------------------------------------------

DATA: list[dict[str, Any]] = [{}, {}, {"talk_s": 120, "wrap_s": 30}, {"talk_s": 5000}, {"kind": "callback"}]
# every kind, weighted towards those that tell a call's story
KINDS = [*K, K.CONNECT, K.CONNECT, K.ABANDON, K.COMPLETE_CALLER, K.WRAPUP_END, K.WRAPUP_END]


@st.composite
def any_log(draw: st.DrawFn) -> list[QueueEvent]:
    """Stories of calls and agents in random order, often nonsensical, with ids shared between them."""
    events = []
    for i in range(draw(st.integers(0, 12))):
        tenant = draw(st.sampled_from(["acme", "acme", "globex"]))
        call = draw(st.sampled_from([f"c{i}", f"c{i}", "c0", None]))
        agent = draw(st.sampled_from(["ann", "bob", None]))
        kinds = draw(st.lists(st.sampled_from(KINDS), max_size=8))
        if draw(st.booleans()):
            kinds.insert(0, K.ENTER)
        t = draw(st.integers(-900, HOUR_S + 300))
        for kind in kinds:
            t += draw(st.integers(0, 8) | st.integers(0, 400))
            queue = draw(st.sampled_from(["support", "support", "billing", None]))
            data = draw(st.sampled_from(DATA))  # {"kind": "callback"} on an ENTERQUEUE: a callback task
            who = agent if draw(st.integers(0, 3)) else draw(st.sampled_from(["ann", "bob", None]))
            events.append(QueueEvent(at(t), tenant, queue, kind, call, who, data))
    return draw(st.permutations(events))


RATES = ("service_level", "service_level_sl2", "service_level_with_abandons", "service_level_of_offered",
         "abandonment_rate")  # fmt: skip


def check_invariants(s: QueueStats) -> None:
    assert s.answered + s.abandoned + s.overflowed + s.waiting == s.offered
    assert s.timed_out + s.exited_empty + s.exited_by_caller <= s.overflowed
    assert s.answered_within_sl <= s.answered and s.abandoned_within_sl <= s.abandoned
    assert sum(h.offered for h in s.by_hour) == s.offered
    assert sum(h.answered_within_sl for h in s.by_hour) == s.answered_within_sl
    for name in RATES:
        value = getattr(s, name)
        assert value is None or 0 <= value <= 1, name
    assert (s.service_level is None) == (s.answered == 0)
    assert (s.abandonment_rate is None) == (s.offered == 0)
    if s.average_speed_of_answer_s is not None:
        assert s.longest_wait_s is not None and 0 <= s.average_speed_of_answer_s <= s.longest_wait_s
    if s.average_handle_s is not None:
        assert s.average_talk_s is not None and s.average_wrap_s is not None
        assert s.average_handle_s == pytest.approx(s.average_talk_s + s.average_wrap_s)
    window = (s.end - s.start).total_seconds()
    for t in [s.agent_time, *s.agents.values()]:
        assert t.occupancy is None or 0 <= t.occupancy <= 1
    for t in s.agents.values():
        for value in (t.logged_in_s, t.talk_s, t.wrap_s, t.available_s, t.paused_s):
            assert 0 <= value <= window
        assert t.handling_s <= window + 1e-9
        assert t.available_s + t.paused_s <= t.logged_in_s + 1e-9


@settings(max_examples=300, deadline=None)
@given(log=any_log(), split=st.integers(1, HOUR_S - 1), exclude=st.booleans())
def test_any_log_at_all_gives_consistent_figures(log: list[QueueEvent], split: int, exclude: bool) -> None:
    def stats(start: float, end: float) -> QueueStats:
        return queue_stats(
            log, tenant_id="acme", start=at(start), end=at(end), exclude_short_abandons=exclude
        )

    whole, first, second = stats(0, HOUR_S), stats(0, split), stats(split, HOUR_S)
    for s in (whole, first, second):
        check_invariants(s)
    for name in ("offered", "answered", "abandoned", "overflowed", "waiting", "short_abandoned", "completed"):
        assert getattr(first, name) + getattr(second, name) == getattr(whole, name), name
    for name in ("logged_in_s", "talk_s", "wrap_s", "available_s", "paused_s"):
        parts = getattr(first.agent_time, name) + getattr(second.agent_time, name)
        assert parts == pytest.approx(getattr(whole.agent_time, name)), name
    acme_only = [e for e in log if e.tenant_id == "acme"]
    assert (
        queue_stats(acme_only, tenant_id="acme", start=at(0), end=at(HOUR_S), exclude_short_abandons=exclude)
        == whole
    )


@settings(max_examples=200, deadline=None)
@given(log=any_log())
def test_leaving_short_abandons_out_removes_exactly_them(log: list[QueueEvent]) -> None:
    kept = queue_stats(log, tenant_id="acme", start=at(0), end=at(HOUR_S))
    left_out = queue_stats(log, tenant_id="acme", start=at(0), end=at(HOUR_S), exclude_short_abandons=True)
    assert left_out.short_abandoned == kept.short_abandoned
    assert left_out.offered == kept.offered - kept.short_abandoned
    assert left_out.abandoned == kept.abandoned - kept.short_abandoned
    for name in ("answered", "overflowed", "waiting", "callbacks", "completed"):
        assert getattr(left_out, name) == getattr(kept, name), name
    assert left_out.agent_time == kept.agent_time


@st.composite
def staffed_hour(draw: st.DrawFn) -> tuple[Timeline, int]:
    """Agents working as an ACD would have them: one call at a time, wrap-up after each, pauses between.

    Returns the timeline and how many answered calls entered between 9:00 and 10:00.
    """
    tl, answered = Timeline(), 0
    for agent in ("ann", "bob", "cy"):
        t = draw(st.integers(-1800, 1800))
        tl.login(t, agent)
        for i in range(draw(st.integers(0, 8))):
            t += draw(st.integers(0, 600))
            if draw(st.booleans()):
                tl.pause(t, agent)
                t += draw(st.integers(1, 900))
                tl.unpause(t, agent)
            call, wait = f"{agent}-{i}", draw(st.integers(0, 120))
            tl.enter(t - wait, call).connect(t, call, agent)
            answered += 0 <= t - wait < HOUR_S
            t += draw(st.integers(1, 600))
            tl.hang_up(t, call, agent)
            t += draw(st.integers(0, 120))
            tl.wrapped(t, agent)
        t += draw(st.integers(0, 1800))
        tl.logoff(t, agent)
    for i in range(draw(st.integers(0, 10))):  # callers who gave up or were sent elsewhere
        entered, waited = draw(st.integers(-600, HOUR_S + 600)), draw(st.integers(0, 300))
        tl.enter(entered, f"x{i}")
        if draw(st.booleans()):
            tl.abandon(entered + waited, f"x{i}")
        else:
            tl.timeout(entered + waited, f"x{i}")
    return tl, answered


@settings(max_examples=200, deadline=None)
@given(hour=staffed_hour())
def test_a_well_run_queue_accounts_for_every_second_of_every_agent(hour: tuple[Timeline, int]) -> None:
    tl, answered = hour
    s = tl.stats()
    check_invariants(s)
    assert s.answered == answered and s.waiting == 0
    for t in s.agents.values():
        assert t.handling_s + t.available_s + t.paused_s == pytest.approx(t.logged_in_s)
    assert s.agent_time.logged_in_s <= 3 * HOUR_S


def test_callback_tasks_are_counted_apart_but_their_handling_is_agent_time() -> None:
    tl = Timeline().login(0, "ann")
    tl.log(100, K.ENTER, call="c1-cb", kind="callback", callback_for="c1").connect(700, "c1-cb", "ann")
    tl.hang_up(760, "c1-cb", "ann").wrapped(770, "ann")
    tl.enter(800, "c2").offer(800, "c2", "ann").offer(800, "c2", "bob").connect(805, "c2", "bob")
    tl.log(805, K.WITHDRAW, call="c2", agent="ann", reason="answered_elsewhere")
    s = tl.stats()
    assert (s.offered, s.answered, s.callbacks, s.average_speed_of_answer_s) == (1, 1, 1, 5)
    assert (s.agents["ann"].talk_s, s.agents["ann"].wrap_s) == (60, 10)
