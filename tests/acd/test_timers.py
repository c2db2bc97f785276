"""Each timer against a hand-worked timeline (seconds from the start), on both stores."""

from __future__ import annotations

from receptionist.acd.config import Overflow
from receptionist.acd.model import AUTO_PAUSE_REASON, AgentState, CallKind, CallResult, CallState, Party
from receptionist.calls import Outcome
from tests.acd.helpers import Scenario, agent, queue, rows


def test_ring_no_answer_moves_the_offer_to_the_next_agent(sc: Scenario) -> None:
    sc.setup(queue(ring_timeout_s=15), agent("a1", no_answer_delay_s=30), agent("a2", no_answer_delay_s=30))
    sc.acd.login("a1")
    sc.at(1).acd.login("a2")
    sc.at(10).enqueue("c1")
    sc.at(27).accept("a2")
    sc.at(30).enqueue("c2")  # a1 is kept out until 25 + 30 = 55
    a1 = sc.acd.agent("a1")
    sc.at(60)
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        1 AGENTLOGIN - - a2
        10 ENTERQUEUE sales c1 -
        10 RINGING sales c1 a1
        25 RINGNOANSWER sales c1 a1
        25 RINGING sales c1 a2
        27 CONNECT sales c1 a2
        30 ENTERQUEUE sales c2 -
        55 RINGING sales c2 a1
    """)
    assert sc.find("RINGNOANSWER", "c1").data["ring_s"] == 15
    assert sc.find("CONNECT", "c1").data["wait_s"] == 17
    assert a1 is not None and a1.state is AgentState.AVAILABLE and a1.no_answers == 1
    assert a1.ready_at is not None and (a1.ready_at - sc.start).total_seconds() == 55


def test_max_no_answer_pauses_the_agent(sc: Scenario) -> None:
    sc.setup(queue(ring_timeout_s=15), agent("a1", max_no_answer=2))
    sc.acd.login("a1")
    sc.enqueue("c1")
    sc.at(35)
    paused = sc.acd.agent("a1")
    sc.at(40).acd.unpause("a1")
    sc.at(41).accept("a1")
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 ENTERQUEUE sales c1 -
        0 RINGING sales c1 a1
        15 RINGNOANSWER sales c1 a1
        15 RINGING sales c1 a1
        30 RINGNOANSWER sales c1 a1
        30 PAUSE - - a1
        40 UNPAUSE - - a1
        40 RINGING sales c1 a1
        41 CONNECT sales c1 a1
    """)
    assert paused is not None and paused.state is AgentState.PAUSED
    assert paused.pause_reason == AUTO_PAUSE_REASON == sc.find("PAUSE").data["reason"]


def test_reject_delay_keeps_a_declining_agent_out(sc: Scenario) -> None:
    sc.setup(queue(), agent("a1", reject_delay_s=10))
    sc.acd.login("a1")
    sc.enqueue("c1")
    sc.at(2).decline("a1")
    sc.at(20)
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 ENTERQUEUE sales c1 -
        0 RINGING sales c1 a1
        2 REJECT sales c1 a1
        12 RINGING sales c1 a1
    """)


def test_wrap_up_keeps_the_agent_from_the_next_call(sc: Scenario) -> None:
    sc.setup(queue(wrap_up_s=30), agent("a1"))
    sc.acd.login("a1")
    sc.enqueue("c1")
    sc.at(1).accept("a1")
    sc.at(20).complete("c1", Party.CALLER)
    sc.at(25).enqueue("c2")
    wrapping = sc.acd.agent("a1")
    sc.at(51).accept("a1")
    sc.at(60).complete("c2", Party.AGENT)
    sc.at(70).acd.ready("a1")  # ends wrap-up early
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 ENTERQUEUE sales c1 -
        0 RINGING sales c1 a1
        1 CONNECT sales c1 a1
        20 COMPLETECALLER sales c1 a1
        25 ENTERQUEUE sales c2 -
        50 WRAPUPEND sales c1 a1
        50 RINGING sales c2 a1
        51 CONNECT sales c2 a1
        60 COMPLETEAGENT sales c2 a1
        70 WRAPUPEND sales c2 a1
    """)
    assert wrapping is not None and wrapping.state is AgentState.WRAP_UP
    assert [e.data["wrap_s"] for e in sc.events() if e.kind.value == "WRAPUPEND"] == [30, 10]
    assert sc.find("COMPLETECALLER", "c1").data == {"wait_s": 1.0, "talk_s": 19.0}


def test_max_wait_overflows_to_another_queue(sc: Scenario) -> None:
    sc.setup(
        queue("sales", skills=frozenset({"sales"}), max_wait_s=60, on_timeout=Overflow.to_queue("overflow")),
        queue("overflow", skills=frozenset({"general"})),
        agent("a1", skills={"sales": 8}),
        agent("b1", skills={"general": 8}),
    )
    sc.acd.login("a1")
    sc.acd.login("b1")
    sc.enqueue("c0")
    sc.at(1).accept("a1")
    sc.at(10).enqueue("c1")
    sc.at(80)
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 AGENTLOGIN - - b1
        0 ENTERQUEUE sales c0 -
        0 RINGING sales c0 a1
        1 CONNECT sales c0 a1
        10 ENTERQUEUE sales c1 -
        70 EXITWITHTIMEOUT sales c1 -
        70 OVERFLOW sales c1 -
        70 ENTERQUEUE overflow c1 -
        70 RINGING overflow c1 b1
    """)
    assert sc.find("EXITWITHTIMEOUT").data == {"position": 1, "wait_s": 60.0, "overflow": "queue:overflow"}
    assert sc.find("ENTERQUEUE", "c1").data["position"] == 1
    assert [
        e.data.get("from") for e in sc.events() if e.kind.value == "ENTERQUEUE" and e.call_id == "c1"
    ] == [
        None,
        "sales",
    ]


def test_max_wait_overflows_to_a_message(sc: Scenario) -> None:
    sc.setup(queue(max_wait_s=30), agent("a1"))
    sc.acd.login("a1")
    sc.enqueue("c0")
    sc.at(1).accept("a1")
    sc.at(5).enqueue("c1")
    sc.at(40)
    assert sc.log()[-3:] == rows("""
        5 ENTERQUEUE sales c1 -
        35 EXITWITHTIMEOUT sales c1 -
        35 OVERFLOW sales c1 -
    """)
    assert sc.find("OVERFLOW", "c1").data == {"to": "message"}
    ended = sc.acd.call("c1")
    assert ended is not None and ended.state is CallState.ENDED and ended.result is CallResult.MESSAGE
    assert ended.result.outcome is Outcome.MESSAGE_TAKEN


def test_max_wait_overflows_to_a_scheduled_callback_task(sc: Scenario) -> None:
    sc.setup(
        queue("sales", max_wait_s=30, on_timeout=Overflow.callback(queue="callbacks", delay_s=300)),
        queue("callbacks"),
        agent("a1"),
    )
    sc.acd.login("a1")
    sc.enqueue("c0")
    sc.at(1).accept("a1")
    sc.at(5).enqueue("c1")
    sc.at(40)
    task = sc.acd.call("c1-cb")
    sc.at(400).complete("c0", Party.AGENT)  # a1 is free: the task that has waited since 335 is offered
    sc.at(401).accept("a1")
    sc.at(500).complete("c1-cb", Party.AGENT)
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 ENTERQUEUE sales c0 -
        0 RINGING sales c0 a1
        1 CONNECT sales c0 a1
        5 ENTERQUEUE sales c1 -
        35 EXITWITHTIMEOUT sales c1 -
        35 OVERFLOW sales c1 -
        335 ENTERQUEUE callbacks c1-cb -
        400 COMPLETEAGENT sales c0 a1
        400 WRAPUPEND sales c0 a1
        400 RINGING callbacks c1-cb a1
        401 CONNECT callbacks c1-cb a1
        500 COMPLETEAGENT callbacks c1-cb a1
        500 WRAPUPEND callbacks c1-cb a1
    """)
    assert sc.find("OVERFLOW", "c1").data == {"to": "callback", "task": "c1-cb"}
    assert sc.find("ENTERQUEUE", "c1-cb").data == {
        "position": 1,
        "priority": 0,
        "kind": "callback",
        "from": "sales",
        "callback_for": "c1",
    }
    assert task is not None and task.kind is CallKind.CALLBACK and task.state is CallState.SCHEDULED
    c1 = sc.acd.call("c1")
    assert c1 is not None and c1.result is CallResult.CALLBACK
    assert c1.result.outcome is Outcome.CALLBACK_SCHEDULED


def test_max_wait_while_ringing_exits_when_the_offer_fails(sc: Scenario) -> None:
    sc.setup(queue(max_wait_s=20, ring_timeout_s=15), agent("a1"))
    sc.acd.login("a1")
    sc.acd.pause("a1", "meeting")
    sc.enqueue("c1")
    sc.at(10).acd.unpause("a1")
    sc.at(30)
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 PAUSE - - a1
        0 ENTERQUEUE sales c1 -
        10 UNPAUSE - - a1
        10 RINGING sales c1 a1
        25 RINGNOANSWER sales c1 a1
        25 EXITWITHTIMEOUT sales c1 -
        25 OVERFLOW sales c1 -
    """)
    assert sc.find("EXITWITHTIMEOUT").data["wait_s"] == 25


def test_a_queue_with_nobody_logged_in_overflows_at_once_and_when_the_last_agent_leaves(sc: Scenario) -> None:
    sc.setup(queue(), agent("a1"))
    sc.enqueue("c1")
    sc.at(10).acd.login("a1")
    sc.acd.pause("a1", "lunch")  # paused agents are still logged in: callers wait
    sc.at(20).enqueue("c2")
    sc.at(30).acd.logoff("a1")
    assert sc.log() == rows("""
        0 ENTERQUEUE sales c1 -
        0 EXITEMPTY sales c1 -
        0 OVERFLOW sales c1 -
        10 AGENTLOGIN - - a1
        10 PAUSE - - a1
        20 ENTERQUEUE sales c2 -
        30 AGENTLOGOFF - - a1
        30 EXITEMPTY sales c2 -
        30 OVERFLOW sales c2 -
    """)
    assert sc.find("EXITEMPTY", "c2").data == {"position": 1, "wait_s": 10.0, "overflow": "message"}
    assert sc.find("AGENTLOGOFF").data == {"logged_in_s": 20.0}


def test_a_queue_without_an_empty_overflow_keeps_callers_waiting(sc: Scenario) -> None:
    sc.setup(queue(on_empty=None), agent("a1"))
    sc.enqueue("c1")
    sc.at(10).acd.login("a1")
    assert [row[1] for row in sc.log()] == ["ENTERQUEUE", "AGENTLOGIN", "RINGING"]
