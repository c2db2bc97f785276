"""Positions, priorities with ageing, abandonment, callers who leave, transfers and wait estimates."""

from __future__ import annotations

from receptionist.acd.briefing import briefing_of
from receptionist.acd.config import QueueKey
from receptionist.acd.model import CallerChoice, CallKind, CallResult, CallState, Party
from receptionist.calls import Briefing, Call, EscalationRequest, EscalationTrigger, Role, Turn
from tests.acd.helpers import TENANT, Scenario, agent, queue, rows


def enter_positions(sc: Scenario) -> dict[str, int]:
    return {e.call_id or "": e.data["position"] for e in sc.events() if e.kind.value == "ENTERQUEUE"}


def test_priority_goes_first_and_abandon_records_positions(sc: Scenario) -> None:
    sc.setup(queue(), agent("a1"))
    sc.acd.login("a1")
    sc.acd.pause("a1")
    for t, call_id in enumerate(("c1", "c2", "c3")):
        sc.at(t).enqueue(call_id)
    sc.at(3).enqueue("vip", priority=5)
    assert enter_positions(sc) == {"c1": 1, "c2": 2, "c3": 3, "vip": 1}
    sc.at(10).acd.abandon("c2")  # entered 2nd, was 3rd behind the VIP
    position = sc.acd.position("c3")
    assert position is not None and position.position == 3
    sc.at(20).acd.unpause("a1")
    assert sc.find("ABANDON", "c2").data == {"position": 3, "original_position": 2, "wait_s": 9.0}
    assert sc.log()[-2:] == rows("""
        20 UNPAUSE - - a1
        20 RINGING sales vip a1
    """)
    abandoned = sc.acd.call("c2")
    assert abandoned is not None and abandoned.result is CallResult.ABANDONED
    assert sc.acd.position("c2") is None


def test_ageing_lets_long_waiters_overtake_newer_priority_calls(sc: Scenario) -> None:
    sc.setup(queue(ageing_s=10), agent("a1"))  # every 10 s waited is worth one priority level
    sc.acd.login("a1")
    sc.acd.pause("a1")
    sc.enqueue("c1")  # effective score 0
    sc.at(100).enqueue("c2", priority=5)  # 100 - 50 = 50: behind c1, who has aged 10 levels
    sc.at(101).enqueue("c3", priority=5)  # 51
    sc.at(102).enqueue("c4", priority=9)  # 102 - 90 = 12: between c1 and c2
    assert enter_positions(sc) == {"c1": 1, "c2": 2, "c3": 3, "c4": 2}
    offered = [sc.at(110).acd.unpause("a1").offers[0].call_id]
    for _ in range(3):
        sc.accept("a1")
        offered.append(sc.complete(offered[-1]).offers[0].call_id)  # a1 is free again: the next is offered
    assert offered == ["c1", "c4", "c2", "c3"]


def test_a_caller_may_leave_for_a_callback_that_agents_then_work(sc: Scenario) -> None:
    sc.setup(queue(callback_queue="callbacks"), queue("callbacks"), agent("a1"))
    sc.acd.login("a1")
    sc.acd.pause("a1")
    sc.enqueue("c1")
    sc.at(30).leave("c1", CallerChoice.CALLBACK)
    sc.at(40).acd.unpause("a1")
    sc.at(41).accept("a1")
    sc.at(90).complete("c1-cb", Party.AGENT)
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 PAUSE - - a1
        0 ENTERQUEUE sales c1 -
        30 EXITWITHKEY sales c1 -
        30 OVERFLOW sales c1 -
        30 ENTERQUEUE callbacks c1-cb -
        40 UNPAUSE - - a1
        40 RINGING callbacks c1-cb a1
        41 CONNECT callbacks c1-cb a1
        90 COMPLETEAGENT callbacks c1-cb a1
        90 WRAPUPEND callbacks c1-cb a1
    """)
    assert sc.find("EXITWITHKEY").data == {"choice": "callback", "position": 1, "wait_s": 30.0}
    task = sc.acd.call("c1-cb")
    assert task is not None and task.kind is CallKind.CALLBACK and task.result is CallResult.CONNECTED


def test_a_caller_leaving_while_ringing_withdraws_the_offer(sc: Scenario) -> None:
    sc.setup(queue(), agent("a1"))
    sc.acd.login("a1")
    sc.enqueue("c1")
    sc.at(3).leave("c1", CallerChoice.MESSAGE)
    assert sc.log()[-3:] == rows("""
        3 RINGCANCELED sales c1 a1
        3 EXITWITHKEY sales c1 -
        3 OVERFLOW sales c1 -
    """)
    a1 = sc.acd.agent("a1")
    assert a1 is not None and a1.state.value == "available" and a1.ready_at is None


def test_an_agent_transfers_a_call_to_another_queue(sc: Scenario) -> None:
    sc.setup(
        queue("sales", skills=frozenset({"sales"})),
        queue("billing", skills=frozenset({"billing"})),
        agent("a1", skills={"sales": 7}),
        agent("b1", skills={"billing": 7}),
    )
    sc.acd.login("a1")
    sc.acd.login("b1")
    sc.enqueue("c1")
    sc.at(1).accept("a1")
    sc.at(20).acd.transfer("c1", "billing")
    sc.at(22).accept("b1")
    assert sc.log()[4:] == rows("""
        1 CONNECT sales c1 a1
        20 TRANSFER sales c1 a1
        20 WRAPUPEND sales c1 a1
        20 ENTERQUEUE billing c1 -
        20 RINGING billing c1 b1
        22 CONNECT billing c1 b1
    """)
    assert sc.find("TRANSFER").data == {"to": "billing", "wait_s": 1.0, "talk_s": 19.0}


def test_position_and_estimated_wait_come_from_recent_handle_times(sc: Scenario) -> None:
    sc.setup(queue(default_handle_s=120), agent("a1"), agent("a2"))
    for a in ("a1", "a2"):
        sc.acd.login(a)
    for call_id in ("c1", "c2"):
        offer = sc.enqueue(call_id).offers[0]
        sc.acd.accept(offer.agent_ids[0], offer.offer_id)
    sc.enqueue("c3")
    sc.enqueue("c4")
    p3, p4 = sc.acd.position("c3"), sc.acd.position("c4")
    assert p3 is not None and (p3.position, p3.estimated_wait_s) == (1, 60.0)  # 1 ahead x 120 s / 2 agents
    assert p4 is not None and (p4.position, p4.estimated_wait_s) == (2, 120.0)
    sc.at(30).complete("c1")  # handled in 30 s: a1 takes c3
    p4 = sc.acd.position("c4")
    assert p4 is not None and (p4.position, p4.estimated_wait_s) == (2, 15.0)  # c3 still ringing ahead of it
    status = sc.acd.queue_status(QueueKey(TENANT, "sales"))
    assert (status.queued, status.waiting, status.staffed, status.avg_handle_s) == (2, 1, 2, 30.0)


def test_an_escalation_carries_its_briefing_to_the_agent(sc: Scenario) -> None:
    sc.setup(queue("front-desk"), agent("a1"))
    sc.acd.login("a1")
    call = Call(tenant_id=TENANT, caller_number="+14155550134", id="call-1")
    turn = Turn(role=Role.CALLER, text="My invoice was charged twice", at=sc.clock.now())
    briefing = Briefing(
        tenant_name="Acme Plumbing",
        caller_name="Ada",
        caller_number="+14155550134",
        concern="billing",
        reason="double charge",
        summary="Ada was charged twice.",
        transcript=(turn,),
    )
    request = EscalationRequest(
        queue="front-desk",
        priority=8,
        reason="double charge",
        trigger=EscalationTrigger.CALLER_REQUEST,
        briefing=briefing,
    )
    offer = sc.acd.enqueue_escalation(call, request).offers[0]
    assert (offer.call_id, offer.priority, offer.agent_ids) == ("call-1", 8, ("a1",))
    queued = sc.acd.call("call-1")
    assert queued is not None and queued.state is CallState.OFFERED
    assert briefing_of(queued.attributes) == briefing


def test_a_queue_added_while_agents_are_logged_in_gets_them_at_once(sc: Scenario) -> None:
    sc.setup(queue("sales"), agent("a1", tenants=[TENANT, "globex"]))
    sc.acd.login("a1")
    sc.acd.configure_queue(queue("support", tenant_id="globex"))
    offer = sc.at(1).enqueue("g1", "support", tenant="globex").offers[0]
    assert offer.queue == QueueKey("globex", "support") and offer.agent_ids == ("a1",)
    status = sc.acd.queue_status(QueueKey("globex", "support"))
    assert (status.logged_in, status.staffed) == (1, 1)
    # and losing the skill a queue needs takes the agent out of it
    sc.acd.configure_queue(queue("sales", skills=frozenset({"sales"})))
    assert sc.acd.queue_status(QueueKey(TENANT, "sales")).logged_in == 0
