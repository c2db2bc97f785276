"""Illegal actions are refused with a typed error, and change nothing."""

from __future__ import annotations

import pytest

from receptionist.acd.config import AgentConfig, Overflow, QueueConfig
from receptionist.acd.errors import (
    DuplicateCall,
    IllegalCallState,
    IllegalTransition,
    InvalidConfig,
    StaleOffer,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
)
from receptionist.acd.model import AgentState, NewCall, Party
from tests.acd.helpers import TENANT, Scenario, agent, queue


@pytest.fixture
def ringing(sc: Scenario) -> Scenario:
    sc.setup(queue(ring_timeout_s=10), agent("a1"), agent("a2"))
    sc.acd.login("a1")
    sc.enqueue("c1")
    return sc


def test_illegal_agent_transitions_are_refused(ringing: Scenario) -> None:
    sc = ringing
    before = sc.log()
    with pytest.raises(IllegalTransition) as error:
        sc.acd.pause("a1")  # ringing
    assert (error.value.state, error.value.action) == ("offered", "pause")
    with pytest.raises(IllegalTransition):
        sc.acd.login("a1")
    with pytest.raises(IllegalTransition):
        sc.acd.unpause("a2")  # logged out
    with pytest.raises(IllegalTransition):
        sc.acd.ready("a1")
    sc.accept("a1")
    with pytest.raises(IllegalTransition):
        sc.acd.logoff("a1")  # on a call
    assert len(sc.log()) == len(before) + 1  # only the CONNECT
    snapshot = sc.acd.agent("a1")
    assert snapshot is not None and snapshot.state is AgentState.ON_CALL and snapshot.call_id == "c1"


def test_stale_offers_are_refused(ringing: Scenario) -> None:
    sc = ringing
    offer_id = sc.offer_of("a1")
    with pytest.raises(StaleOffer):
        sc.acd.accept("a1", "o-unknown")
    sc.at(10)  # rang out at 10; not re-offered because a1 is... (no delay) re-offered with a new id
    with pytest.raises(StaleOffer) as error:
        sc.acd.accept("a1", offer_id)
    assert error.value.reason == "not open"
    new_offer = sc.offer_of("a1")
    sc.clock.advance(10)  # expired, though no tick has run yet
    with pytest.raises(StaleOffer) as error:
        sc.acd.accept("a1", new_offer)
    assert error.value.reason == "expired"


def test_illegal_call_actions_are_refused(ringing: Scenario) -> None:
    sc = ringing
    with pytest.raises(IllegalCallState):
        sc.complete("c1", Party.AGENT)  # nobody answered it
    with pytest.raises(UnknownQueue):
        sc.enqueue("c2", "nowhere")
    with pytest.raises(DuplicateCall):
        sc.enqueue("c1")
    with pytest.raises(UnknownCall):
        sc.acd.abandon("c-unknown")
    with pytest.raises(UnknownAgent):
        sc.acd.login("nobody")
    sc.accept("a1")
    with pytest.raises(IllegalCallState):
        sc.acd.abandon("c1")
    with pytest.raises(UnknownQueue):
        sc.acd.transfer("c1", "nowhere")
    sc.complete("c1")
    with pytest.raises(UnknownCall):
        sc.complete("c1")


def test_configurations_are_validated() -> None:
    with pytest.raises(InvalidConfig):
        QueueConfig(tenant_id=TENANT, name="has space")
    with pytest.raises(InvalidConfig):
        QueueConfig(tenant_id=TENANT, name="sales", ring_timeout_s=0)
    with pytest.raises(InvalidConfig):
        QueueConfig(tenant_id=TENANT, name="sales", on_timeout=Overflow.to_queue("sales"))
    with pytest.raises(InvalidConfig):
        AgentConfig(agent_id="a1", tenants=frozenset({TENANT}), skills={"sales": 11})
    with pytest.raises(InvalidConfig):
        AgentConfig(agent_id="a1", tenants=frozenset())
    with pytest.raises(InvalidConfig):
        NewCall(call_id="c1", tenant_id=TENANT, queue="sales", priority=11)
