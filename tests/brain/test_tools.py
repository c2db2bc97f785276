from datetime import UTC, datetime
from pathlib import Path

import pytest

from receptionist.brain.tools import CallTools
from receptionist.calls import Call, EscalationTrigger, HandoffStatus, Outcome, Urgency
from receptionist.config import load_profile
from receptionist.escalation.handoff import NoAgents
from tests.fakes.brains import FixedHandoff, KeywordFaq

ROOT = Path(__file__).resolve().parents[2]
DENTAL = load_profile(ROOT / "examples/dental-clinic.yaml")
WEDNESDAY_9AM_NY = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def tools(*, caller: str | None = None, handoff=None) -> CallTools:
    call = Call(tenant_id=DENTAL.tenant_id, caller_number=caller)
    return CallTools(profile=DENTAL, call=call, handoff=handoff or NoAgents(), faq=KeywordFaq(DENTAL.faq),
                     clock=lambda: WEDNESDAY_9AM_NY)  # fmt: skip


def test_message_needs_confirmed_number_before_saving() -> None:
    t = tools()
    r = t.take_message(name="Ana Ruiz", phone="617 555 0123", reason="question about a bill")
    assert r.ok and not r.data["saved"]
    assert r.data["phone_read_back"] == "six one seven, five five five, zero one two three"
    assert t.call.message is None
    r = t.take_message(phone_confirmed=True)
    assert r.data["saved"]
    assert t.call.message is not None
    assert t.call.message.phone == "+16175550123"
    assert t.final_outcome() is Outcome.MESSAGE_TAKEN


def test_invalid_phone_is_reported_and_not_stored() -> None:
    t = tools()
    r = t.take_message(phone="12")
    assert not r.ok and "not a valid phone number" in (r.error or "")
    assert t.call.draft.phone is None


def test_changing_the_number_needs_confirmation_again() -> None:
    t = tools()
    t.take_message(name="A", phone="617 555 0123", reason="x", phone_confirmed=True)
    assert t.call.message is not None  # saved: later edits don't change a saved message
    t2 = tools()
    t2.take_message(name="A", phone="617 555 0123", reason="x")
    t2.take_message(phone="617 555 0124")
    assert t2.call.draft.phone == "+16175550124" and not t2.call.draft.phone_confirmed
    t2.take_message(phone_confirmed=False)
    assert t2.call.draft.phone is None


def test_bad_urgency_is_an_error() -> None:
    r = tools().take_message(urgency="whenever")
    assert not r.ok and "urgency" in (r.error or "")


def test_record_concern_only_accepts_profile_concerns() -> None:
    t = tools()
    assert not t.record_concern("lookup_other_caller").ok
    assert t.call.concern is None
    assert t.record_concern("billing").data["handling"] == "message"


def test_hours_uses_the_clock_and_timezone() -> None:
    data = tools().business_hours().data
    assert data["open_now"] is True and "noon" in data["hours"]


async def test_request_human_routes_and_prioritises() -> None:
    handoff = FixedHandoff(HandoffStatus.QUEUED)
    t = tools(caller="+1 617 555 0199", handoff=handoff)  # a VIP number in the profile
    t.record_concern("dental-problem")
    r = await t.request_human(reason="cracked tooth", trigger=EscalationTrigger.CONCERN)
    assert r.data == {"status": "queued", "queue": "clinical", "priority": DENTAL.escalation.vip_priority}
    assert handoff.requests[0].briefing.tenant_name == "Bright Smile Dental"
    # asking again does not queue the call twice
    await t.request_human(reason="again")
    assert len(handoff.requests) == 1


async def test_emergency_goes_to_emergency_queue_with_urgent_priority() -> None:
    handoff = FixedHandoff(HandoffStatus.UNAVAILABLE)
    t = tools(handoff=handoff)
    t.call.draft.urgency = Urgency.EMERGENCY
    r = await t.request_human(reason="swelling, can't swallow", trigger=EscalationTrigger.EMERGENCY)
    assert r.data["queue"] == "clinical" and r.data["priority"] == DENTAL.escalation.urgent_priority
    assert t.call.handoff_status is HandoffStatus.UNAVAILABLE
    assert t.final_outcome() is Outcome.ABANDONED  # nothing settled yet


def test_notes_only_describe_this_call() -> None:
    t = tools(caller="+16175550123")
    t.take_message(name="Ana")
    notes = t.get_call_notes().data
    assert notes["name"] == "Ana" and notes["caller_id"] == "+16175550123"
    assert set(notes) == {"concern", "caller_id", "name", "phone", "phone_confirmed", "reason", "urgency",
                          "best_time", "message_saved"}  # fmt: skip


@pytest.mark.parametrize(("answered", "outcome"), [(0, Outcome.ABANDONED), (1, Outcome.RESOLVED)])
def test_outcome_from_what_happened(answered: int, outcome: Outcome) -> None:
    t = tools()
    t.call.answered_questions = answered
    assert t.final_outcome() is outcome
