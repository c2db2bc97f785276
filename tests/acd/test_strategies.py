"""Each strategy against a hand-worked timeline (seconds from the start), on both stores."""

from __future__ import annotations

from receptionist.acd.config import Strategy
from receptionist.acd.model import AgentState, Party
from tests.acd.helpers import Scenario, agent, queue, rows


def test_longest_idle_offers_the_agent_free_the_longest(sc: Scenario) -> None:
    sc.setup(queue(strategy=Strategy.LONGEST_IDLE), agent("a1"), agent("a2"), agent("a3"))
    sc.acd.login("a1")
    sc.at(1).acd.login("a2")
    sc.at(2).acd.login("a3")
    sc.at(5).enqueue("c1")
    sc.at(6).accept("a1")
    sc.at(10).complete("c1", Party.AGENT)  # a1 is idle again from 10: now the most recently freed
    sc.at(12).enqueue("c2")
    sc.at(13).accept("a2")
    sc.at(14).enqueue("c3")
    sc.at(15).accept("a3")
    sc.at(16).enqueue("c4")
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        1 AGENTLOGIN - - a2
        2 AGENTLOGIN - - a3
        5 ENTERQUEUE sales c1 -
        5 RINGING sales c1 a1
        6 CONNECT sales c1 a1
        10 COMPLETEAGENT sales c1 a1
        10 WRAPUPEND sales c1 a1
        12 ENTERQUEUE sales c2 -
        12 RINGING sales c2 a2
        13 CONNECT sales c2 a2
        14 ENTERQUEUE sales c3 -
        14 RINGING sales c3 a3
        15 CONNECT sales c3 a3
        16 ENTERQUEUE sales c4 -
        16 RINGING sales c4 a1
    """)
    assert sc.find("CONNECT", "c1").data == {
        "wait_s": 1.0,
        "ring_s": 1.0,
        "offer_id": sc.find("RINGING", "c1").data["offer_id"],
    }


def test_round_robin_remembers_where_it_left_off(sc: Scenario) -> None:
    # members in configuration order a1, a2, a3; they log in in reverse, so longest-idle would pick a3
    sc.setup(queue(strategy=Strategy.ROUND_ROBIN), agent("a1"), agent("a2"), agent("a3"))
    sc.acd.login("a3")
    sc.at(1).acd.login("a2")
    sc.at(2).acd.login("a1")
    for t, call_id, agent_id in ((5, "c1", "a1"), (8, "c2", "a2"), (11, "c3", "a3")):
        sc.at(t).enqueue(call_id)
        sc.at(t + 1).accept(agent_id)
        sc.at(t + 2).complete(call_id)
    sc.at(14).enqueue("c4")  # wraps round to a1
    sc.at(15).accept("a1")
    sc.at(16).acd.pause("a2", "coffee")
    sc.at(17).enqueue("c5")  # after a1 comes a2, who is paused: a3
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a3
        1 AGENTLOGIN - - a2
        2 AGENTLOGIN - - a1
        5 ENTERQUEUE sales c1 -
        5 RINGING sales c1 a1
        6 CONNECT sales c1 a1
        7 COMPLETECALLER sales c1 a1
        7 WRAPUPEND sales c1 a1
        8 ENTERQUEUE sales c2 -
        8 RINGING sales c2 a2
        9 CONNECT sales c2 a2
        10 COMPLETECALLER sales c2 a2
        10 WRAPUPEND sales c2 a2
        11 ENTERQUEUE sales c3 -
        11 RINGING sales c3 a3
        12 CONNECT sales c3 a3
        13 COMPLETECALLER sales c3 a3
        13 WRAPUPEND sales c3 a3
        14 ENTERQUEUE sales c4 -
        14 RINGING sales c4 a1
        15 CONNECT sales c4 a1
        16 PAUSE - - a2
        17 ENTERQUEUE sales c5 -
        17 RINGING sales c5 a3
    """)


def test_fewest_calls_and_reject_delay(sc: Scenario) -> None:
    agents = [agent(a, reject_delay_s=5) for a in ("a1", "a2", "a3")]
    sc.setup(queue(strategy=Strategy.FEWEST_CALLS), *agents)
    for a in ("a1", "a2", "a3"):
        sc.acd.login(a)
    for t, call_id, agent_id in ((1, "c1", "a1"), (4, "c2", "a2"), (7, "c3", "a3")):  # ties go by agent id
        sc.at(t).enqueue(call_id)
        sc.at(t + 1).accept(agent_id)
        sc.at(t + 2).complete(call_id)
    sc.at(10).enqueue("c4")  # one call each: a1
    sc.at(11).decline("a1")  # a1 is kept out until 16; a decline is not an answered call
    ready_at = sc.acd.agent("a1")
    sc.at(12).accept("a2")
    sc.at(13).enqueue("c5")
    sc.at(14).enqueue("c6")  # nobody free: a1 delayed, a2 on a call, a3 ringing
    sc.at(20)
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 AGENTLOGIN - - a2
        0 AGENTLOGIN - - a3
        1 ENTERQUEUE sales c1 -
        1 RINGING sales c1 a1
        2 CONNECT sales c1 a1
        3 COMPLETECALLER sales c1 a1
        3 WRAPUPEND sales c1 a1
        4 ENTERQUEUE sales c2 -
        4 RINGING sales c2 a2
        5 CONNECT sales c2 a2
        6 COMPLETECALLER sales c2 a2
        6 WRAPUPEND sales c2 a2
        7 ENTERQUEUE sales c3 -
        7 RINGING sales c3 a3
        8 CONNECT sales c3 a3
        9 COMPLETECALLER sales c3 a3
        9 WRAPUPEND sales c3 a3
        10 ENTERQUEUE sales c4 -
        10 RINGING sales c4 a1
        11 REJECT sales c4 a1
        11 RINGING sales c4 a2
        12 CONNECT sales c4 a2
        13 ENTERQUEUE sales c5 -
        13 RINGING sales c5 a3
        14 ENTERQUEUE sales c6 -
        16 RINGING sales c6 a1
    """)
    assert ready_at is not None and ready_at.state is AgentState.AVAILABLE
    assert ready_at.ready_at is not None and (ready_at.ready_at - sc.start).total_seconds() == 16


def test_skills_first_offers_the_most_proficient_member(sc: Scenario) -> None:
    sc.setup(
        queue("billing", strategy=Strategy.SKILLS, skills=frozenset({"billing"})),
        agent("a1", skills={"billing": 5}),  # penalty 5
        agent("a2", skills={"billing": 9}),  # penalty 1
        agent("a3", skills={"billing": 9}),  # penalty 1
        agent("a4", skills={"sales": 10}),  # not a member: lacks the skill
        agent("a5", tenants=["globex"], skills={"billing": 10}),  # not a member: another tenant
    )
    for a in ("a1", "a4", "a5"):
        sc.acd.login(a)
    sc.at(1).acd.login("a3")
    sc.at(2).acd.login("a2")
    for t, call_id, agent_id in ((5, "c1", "a3"), (7, "c2", "a2"), (9, "c3", "a1")):
        sc.at(t).enqueue(call_id, "billing")
        sc.at(t + 1).accept(agent_id)
    sc.at(11).enqueue("c4", "billing")
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        0 AGENTLOGIN - - a4
        0 AGENTLOGIN - - a5
        1 AGENTLOGIN - - a3
        2 AGENTLOGIN - - a2
        5 ENTERQUEUE billing c1 -
        5 RINGING billing c1 a3
        6 CONNECT billing c1 a3
        7 ENTERQUEUE billing c2 -
        7 RINGING billing c2 a2
        8 CONNECT billing c2 a2
        9 ENTERQUEUE billing c3 -
        9 RINGING billing c3 a1
        10 CONNECT billing c3 a1
        11 ENTERQUEUE billing c4 -
    """)
    assert sc.find("AGENTLOGIN", agent_id="a5").tenant_id == "globex"
    status = sc.acd.queue_status(queue("billing").key)
    assert (status.waiting, status.available, status.staffed) == (1, 0, 3)


def test_ring_all_first_accept_wins_and_the_rest_are_withdrawn(sc: Scenario) -> None:
    sc.setup(queue(strategy=Strategy.RING_ALL, ring_timeout_s=10), agent("a1"), agent("a2"), agent("a3"))
    sc.acd.login("a1")
    sc.at(1).acd.login("a2")
    sc.at(2).acd.login("a3")
    offer = sc.at(5).enqueue("c1").offers[0]
    assert offer.agent_ids == ("a1", "a2", "a3")
    sc.at(7).accept("a2")
    sc.at(8).enqueue("c2")
    sc.at(9).decline("a1")  # a3 is still ringing, so c2 is not offered to a1 again yet
    sc.at(18)  # a3 lets it ring out: every free member rings again
    sc.at(20).accept("a3")
    assert sc.log() == rows("""
        0 AGENTLOGIN - - a1
        1 AGENTLOGIN - - a2
        2 AGENTLOGIN - - a3
        5 ENTERQUEUE sales c1 -
        5 RINGING sales c1 a1
        5 RINGING sales c1 a2
        5 RINGING sales c1 a3
        7 CONNECT sales c1 a2
        7 RINGCANCELED sales c1 a1
        7 RINGCANCELED sales c1 a3
        8 ENTERQUEUE sales c2 -
        8 RINGING sales c2 a1
        8 RINGING sales c2 a3
        9 REJECT sales c2 a1
        18 RINGNOANSWER sales c2 a3
        18 RINGING sales c2 a1
        18 RINGING sales c2 a3
        20 CONNECT sales c2 a3
        20 RINGCANCELED sales c2 a1
    """)
    assert sc.find("RINGCANCELED", "c1", "a1").data["reason"] == "answered_elsewhere"
    a1 = sc.acd.agent("a1")
    assert a1 is not None and a1.state is AgentState.AVAILABLE and a1.no_answers == 0
