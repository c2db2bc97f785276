from pathlib import Path

from receptionist.brain.base import BrainFailure
from receptionist.brain.fallback import CircuitBreaker, FallbackBrain
from receptionist.brain.tools import CallTools
from receptionist.calls import Call
from receptionist.config import load_profile
from receptionist.escalation.handoff import NoAgents
from tests.fakes.brains import KeywordFaq, ScriptedBrain

PROFILE = load_profile(Path(__file__).resolve().parents[2] / "examples/dental-clinic.yaml")


def tools() -> CallTools:
    return CallTools(profile=PROFILE, call=Call(tenant_id=PROFILE.tenant_id), handoff=NoAgents(),
                     faq=KeywordFaq([]))  # fmt: skip


async def collect(brain, t: CallTools, text: str) -> list[str]:
    return [p async for p in brain.respond(t, text)]


async def test_failure_moves_this_turn_and_the_rest_of_the_call_to_the_secondary() -> None:
    primary = ScriptedBrain(["hello from llm", BrainFailure("HTTP 500"), "never used"])
    secondary = ScriptedBrain(["offline one", "offline two"])
    brain = FallbackBrain(primary, secondary)
    t = tools()
    assert await collect(brain, t, "hi") == ["hello from llm"]
    assert await collect(brain, t, "my name is Ana") == ["offline one"]
    assert await collect(brain, t, "555") == ["offline two"]
    assert primary.heard == ["hi", "my name is Ana"]
    assert secondary.heard == ["my name is Ana", "555"]
    assert t.call.id in brain.degraded


async def test_partial_text_is_kept_and_followed_by_the_secondary() -> None:
    brain = FallbackBrain(
        ScriptedBrain([BrainFailure("stalled", partial="Sure, let me")]), ScriptedBrain(["x"])
    )
    assert await collect(brain, tools(), "hi") == ["Sure, let me", "x"]


async def test_other_calls_still_use_the_primary_until_the_breaker_opens() -> None:
    primary = ScriptedBrain([BrainFailure("a"), "fine", BrainFailure("b"), BrainFailure("c"), "unused"])
    secondary = ScriptedBrain([])
    brain = FallbackBrain(primary, secondary, breaker=CircuitBreaker(threshold=3, cooldown_s=60))
    await collect(brain, tools(), "1")  # failure 1
    assert await collect(brain, tools(), "2") == ["fine"]  # success resets
    await collect(brain, tools(), "3")  # failure 1
    await collect(brain, tools(), "4")  # failure 2
    assert len(primary.heard) == 4
    await collect(brain, tools(), "5")  # breaker closed still (2 < 3): primary used, "unused" replied
    assert len(primary.heard) == 5


def test_breaker_opens_and_half_opens() -> None:
    b = CircuitBreaker(threshold=2, cooldown_s=10)
    b.record(False, 0)
    assert b.allow(1)
    b.record(False, 1)
    assert not b.allow(5)
    assert b.allow(11)  # half-open
    b.record(False, 11)
    assert not b.allow(12)  # one more failure re-opens
    assert b.allow(22)
    b.record(True, 22)
    assert b.allow(23) and b.failures == 0
