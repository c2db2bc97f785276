"""Warm transfer end to end: the real conversation and offline brain, the in-process ACD on a fake clock,
the queue log stored in a real SQLite database and read back for statistics."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from receptionist.acd.bridge import TextParticipant
from receptionist.acd.events import QueueEvent
from receptionist.acd.events import QueueEventKind as K
from receptionist.acd.fanout import Subscription
from receptionist.acd.model import CallState, NewCall, Party
from receptionist.acd.stats import queue_stats
from receptionist.acd.store import AcdStore
from receptionist.acd.transfer import Phase, WarmTransfer
from receptionist.calls import HandoffStatus, Outcome, Role
from receptionist.conversation import Conversation
from receptionist.storage.repository import CallRepository
from tests.acd.transfer_helpers import TENANT, Line, ManualSleep, agent, heard, queue, timeline
from tests.helpers import OPEN_HOURS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

SUPPORT_ISSUE = "Hi, this is Dana Whitfield. None of our users can sign in since this morning"


async def test_warm_transfer_rings_out_then_the_second_agent_takes_it(
    tmp_path: Path, store: AcdStore
) -> None:
    line = Line.build(
        tmp_path,
        store,
        queue("tech-support", ring_timeout_s=15),
        queue("sales"),
        agent("ann", no_answer_delay_s=60),
        agent("bob"),
    )
    service = line.service
    ann_feed = service.subscribe(agents=("ann",))
    bob_feed = service.subscribe(agents=("bob",))

    # t=0: Ann takes a sales call; Bob is in a meeting. t=2: someone else waits for tech support.
    await service.login("ann")
    await service.login("bob")
    await service.pause("bob", "meeting")
    await service.enqueue(NewCall(call_id="c0", tenant_id=TENANT, queue="sales"))
    await service.accept("ann", await line.offer_id("ann"))
    await line.at(2)
    await service.enqueue(NewCall(call_id="c1", tenant_id=TENANT, queue="tech-support"))

    # t=5: Dana asks for support; the receptionist connects her and she holds, second in line
    await line.at(5)
    conv = await line.caller()
    reply = await conv.say(SUPPORT_ISSUE)
    assert "connecting you with our tech support team" in reply
    assert status(conv) is HandoffStatus.QUEUED
    transfer = line.held(conv)
    await transfer.settled()
    first = "You're second in line; it should be about six minutes."  # 2 calls x 180 s / 1 staffed agent
    assert heard(transfer)[0].startswith(first)
    assert 'say "message" or press 1' in heard(transfer)[0]
    assert conv.call.turns[-1].role is Role.RECEPTIONIST and conv.call.turns[-1].text.startswith(first)

    # the caller ahead gives up; asked, the receptionist says where Dana stands now
    await line.at(30)
    await service.abandon("c1")
    assert await conv.say("how much longer will it be?") == (
        "Thanks for holding. You're next in line now; it should be about three minutes. "
        + transfer._prompts.say("options")
    )
    assert conv.call.turns[-2].text == "how much longer will it be?"

    # t=60: Ann is free and Dana's call rings her; t=62: Bob is back. Ann lets it ring out.
    await line.at(60)
    await service.complete("c0", Party.AGENT)
    await line.at(62)
    await service.unpause("bob")
    ringing = await line.service.call(conv.call.id)
    assert ringing is not None and ringing.ringing == ("ann",)
    await line.at(75)
    assert phase(transfer) is Phase.HOLDING
    assert [e.kind for e in _drain(ann_feed) if e.call_id == conv.call.id] == [K.OFFER, K.RING_NO_ANSWER]

    # Bob's offer arrives by push; he reads the briefing, then accepts
    offers = [e for e in _drain(bob_feed) if e.kind is K.OFFER]
    assert [e.call_id for e in offers] == [conv.call.id]
    offer = await service.open_offer("bob")
    assert offer is not None and offer.call_id == conv.call.id
    assert offer.expires_at == OPEN_HOURS + timedelta(seconds=90)
    briefing = offer.briefing
    assert briefing is not None
    assert briefing.tenant_name == "Acme Cloud Software"
    assert briefing.caller_name == "Dana Whitfield"
    assert briefing.caller_number == "+442079460111"
    assert briefing.concern == "support"
    assert briefing.summary.startswith("Dana Whitfield is calling about support")
    assert [t.text for t in briefing.transcript if t.role is Role.CALLER] == [SUPPORT_ISSUE]
    await line.at(80)
    await service.accept("bob", offer.offer_id)
    await transfer.settled()

    # bridged: the receptionist says so and leaves; the call is stored as transferred
    assert phase(transfer) is Phase.BRIDGED
    assert heard(transfer)[-1] == "Thanks for holding. I'm putting you through now."
    assert conv.ended and conv.call.outcome is Outcome.TRANSFERRED
    assert status(conv) is HandoffStatus.CONNECTED
    assert transfer.bridge is not None
    await transfer.bridge.from_caller("Hello?")
    await transfer.bridge.from_agent("Hi Dana, Bob from support here.")
    assert isinstance(transfer.bridge.agent, TextParticipant)
    assert transfer.bridge.agent.heard == ["Hello?"]
    assert heard(transfer)[-1] == "Hi Dana, Bob from support here."
    assert conv.call.turns[-1].role is Role.AGENT  # what Bob typed is on the transcript
    assert conv.call.turns[-1].text == "Hi Dana, Bob from support here."
    assert await conv.say("anything") == ""  # the receptionist is no longer on the line

    # t=200: Dana hangs up on Bob
    await line.at(200)
    await transfer.caller_hung_up_bridged()
    await transfer.settled()
    assert phase(transfer) is Phase.ENDED and transfer.bridge.ended_by is Party.CALLER
    assert line.desk.get(conv.call.id) is None

    # the queue log, as stored in the database, tells exactly that story
    assert await service.flush()
    assert timeline(line, line.stored(conv.call.id)) == [
        (5, "ENTERQUEUE", None),
        (60, "RINGING", "ann"),
        (75, "RINGNOANSWER", "ann"),
        (75, "RINGING", "bob"),
        (80, "CONNECT", "bob"),
        (200, "COMPLETECALLER", "bob"),
        (200, "WRAPUPEND", "bob"),
    ]
    stored = line.stored()
    enter = next(e for e in stored if e.call_id == conv.call.id and e.kind is K.ENTER)
    connect = next(e for e in stored if e.call_id == conv.call.id and e.kind is K.CONNECT)
    assert enter.data["position"] == 2 and connect.data["wait_s"] == 75.0 and connect.data["ring_s"] == 5.0
    end = OPEN_HOURS + timedelta(hours=1)
    stats = queue_stats(
        stored, tenant_id=TENANT, queue="tech-support", service_level_s=20, start=OPEN_HOURS, end=end
    )
    assert (stats.offered, stats.answered, stats.abandoned, stats.overflowed) == (2, 1, 1, 0)  # c1 abandoned
    assert stats.answered_within_sl == 0 and stats.service_level == 0.0  # answered after 75 s
    assert stats.average_speed_of_answer_s == 75.0 and stats.average_talk_s == 120.0
    relaxed = queue_stats(
        stored, tenant_id=TENANT, queue="tech-support", service_level_s=90, start=OPEN_HOURS, end=end
    )
    assert relaxed.service_level == 1.0

    assert line.rx.db is not None
    record = CallRepository(line.rx.db, TENANT).get(conv.call.id)
    assert record is not None and record.call.outcome is Outcome.TRANSFERRED
    # the transfer history: queued, then connected to the agent who took it
    assert [(e.queue, e.status) for e in record.escalations] == [
        ("tech-support", "queued"),
        ("tech-support", "connected"),
    ]
    assert any(t.text.startswith(first) for t in record.turns)  # the announcement is on the transcript


async def test_the_caller_hears_where_they_stand_every_so_often(tmp_path: Path, store: AcdStore) -> None:
    sleep = ManualSleep()
    line = Line.build(
        tmp_path, store, queue("tech-support"), agent("ann"), agent("bob"), every_s=45, sleep=sleep
    )
    await line.service.login("ann")
    await line.service.login("bob")
    await line.service.enqueue(NewCall(call_id="c0", tenant_id=TENANT, queue="tech-support"))
    await line.service.accept("ann", await line.offer_id("ann"))
    await line.service.pause("bob", "lunch")
    await line.service.enqueue(NewCall(call_id="c1", tenant_id=TENANT, queue="tech-support"))
    conv = await line.caller()
    await conv.say(SUPPORT_ISSUE)
    transfer = line.held(conv)
    await transfer.settled()
    assert heard(transfer)[-1].startswith("You're second in line; it should be about six minutes.")
    assert await sleep.wake() == 45
    assert (
        heard(transfer)[-1]
        == "Thanks for holding. You're second in line now; it should be about six minutes."
    )
    await line.service.abandon("c1")
    await sleep.wake()
    assert heard(transfer)[-1] == "You're next in line; it should be about three minutes."
    await line.service.complete("c0", Party.AGENT)  # Ann is free: the call rings her, then she takes it
    await line.service.accept("ann", await line.offer_id("ann"))
    await transfer.settled()
    assert phase(transfer) is Phase.BRIDGED
    assert (await sleep.asleep())[1].cancelled()  # no more announcements
    await conv.close()
    assert conv.call.outcome is Outcome.TRANSFERRED


async def test_a_caller_who_would_rather_leave_a_message_gets_one_taken(
    tmp_path: Path, store: AcdStore
) -> None:
    line = Line.build(tmp_path, store, queue("tech-support"), agent("ann"))
    await line.service.login("ann")
    await line.service.pause("ann", "lunch")  # logged in, so the call waits; nobody is free
    conv = await line.caller()
    await conv.say(SUPPORT_ISSUE)
    transfer = line.held(conv)
    await transfer.settled()
    assert heard(transfer)[0].startswith("You're next in line.")  # nobody staffed: no estimate

    await line.at(40)
    reply = await conv.say("actually I'd rather just leave a message")
    assert reply.startswith("No problem, I'll take a message instead. Thanks, Dana Whitfield.")
    assert "calling from" in reply  # the brain's next question: is the caller ID the number to use?
    assert transfer.phase is Phase.MESSAGE and conv.held is None
    await conv.say("yes")
    reply = await conv.say("tomorrow morning")
    assert "passed your message on" in reply
    await conv.say("no that's all, thanks")
    await conv.close()
    assert conv.call.outcome is Outcome.MESSAGE_TAKEN
    assert conv.call.message is not None and conv.call.message.phone == "+442079460111"

    await line.service.flush()
    events = line.stored(conv.call.id)
    assert timeline(line, events) == [
        (0, "ENTERQUEUE", None),
        (40, "EXITWITHKEY", None),
        (40, "OVERFLOW", None),
    ]
    assert events[1].data == {"choice": "message", "position": 1, "wait_s": 40.0}
    assert events[2].data == {"to": "message"}


async def test_pressing_2_while_holding_schedules_a_callback(tmp_path: Path, store: AcdStore) -> None:
    line = Line.build(tmp_path, store, queue("tech-support"), agent("ann"))
    await line.service.login("ann")
    await line.service.pause("ann", "lunch")
    conv = await line.caller()
    await conv.say(SUPPORT_ISSUE)
    reply = await conv.say("2")
    assert reply.startswith(
        "Of course, we'll call you back as soon as someone is free. Thanks, Dana Whitfield."
    )
    await conv.say("yes")
    await conv.say("after three")
    await conv.close()
    assert conv.call.outcome is Outcome.CALLBACK_SCHEDULED
    assert conv.call.message is not None and conv.call.message.best_time
    task = await line.service.call(f"{conv.call.id}-cb")  # agents see and work the callback like a call
    assert task is not None and task.state is CallState.WAITING and task.attributes["briefing"]


async def test_a_caller_who_hangs_up_while_queued_is_abandoned(tmp_path: Path, store: AcdStore) -> None:
    line = Line.build(tmp_path, store, queue("tech-support"), agent("ann"))
    await line.service.login("ann")
    await line.service.pause("ann", "lunch")
    conv = await line.caller()
    await conv.say(SUPPORT_ISSUE)
    transfer = line.held(conv)
    await line.at(95)
    await conv.close()  # the caller hangs up
    assert conv.call.outcome is Outcome.ABANDONED
    assert transfer.phase is Phase.ABANDONED and line.desk.get(conv.call.id) is None
    assert await line.service.call(conv.call.id) is not None  # remembered as ended
    await line.service.flush()
    events = line.stored(conv.call.id)
    assert timeline(line, events) == [(0, "ENTERQUEUE", None), (95, "ABANDON", None)]
    assert events[1].data == {"position": 1, "original_position": 1, "wait_s": 95.0}
    assert line.rx.db is not None
    record = CallRepository(line.rx.db, TENANT).get(conv.call.id)
    assert record is not None and record.call.outcome is Outcome.ABANDONED


async def test_nobody_answers_until_the_maximum_wait_so_a_message_is_taken(
    tmp_path: Path, store: AcdStore
) -> None:
    line = Line.build(
        tmp_path,
        store,
        queue("tech-support", ring_timeout_s=20, max_wait_s=60),
        agent("ann", max_no_answer=0),  # never auto-paused: keeps being offered, keeps not answering
    )
    await line.service.login("ann")
    conv = await line.caller()
    await conv.say(SUPPORT_ISSUE)
    transfer = line.held(conv)
    await line.at(100)
    assert transfer.phase is Phase.MESSAGE
    said = heard(transfer)[-1]
    assert said.startswith(
        "I'm sorry for the wait; nobody from our tech support team can take your call just now"
    )
    assert "calling from" in said and conv.call.turns[-1].text == said
    await conv.say("yes please")
    await conv.say("whenever")
    await conv.say("no, bye")
    await conv.close()
    assert conv.call.outcome is Outcome.MESSAGE_TAKEN

    await line.service.flush()
    assert [(t, kind) for t, kind, _ in timeline(line, line.stored(conv.call.id))] == [
        (0, "ENTERQUEUE"),
        (0, "RINGING"),
        (20, "RINGNOANSWER"),
        (20, "RINGING"),
        (40, "RINGNOANSWER"),
        (40, "RINGING"),
        (60, "RINGNOANSWER"),  # the maximum wait passed while ringing: it leaves when the ring ends
        (60, "EXITWITHTIMEOUT"),
        (60, "OVERFLOW"),
    ]


async def test_with_nobody_logged_in_a_message_is_taken_at_once(tmp_path: Path, store: AcdStore) -> None:
    line = Line.build(tmp_path, store, queue("tech-support"), agent("ann"))
    conv = await line.caller()
    reply = await conv.say(SUPPORT_ISSUE)
    assert "nobody from our tech support team is free" in reply
    assert conv.call.handoff_status is HandoffStatus.UNAVAILABLE
    assert line.desk.get(conv.call.id) is None
    await line.service.flush()
    assert [e.kind for e in line.stored(conv.call.id)] == [K.ENTER, K.EXIT_EMPTY, K.OVERFLOW]


def phase(transfer: WarmTransfer) -> Phase:
    return transfer.phase  # read afresh: the phase moves while the test awaits


def status(conv: Conversation) -> HandoffStatus | None:
    return conv.call.handoff_status


def _drain(feed: Subscription) -> list[QueueEvent]:
    out = []
    while (event := feed.get_nowait()) is not None:
        out.append(event)
        feed.task_done()
    return out
