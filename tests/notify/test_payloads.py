from __future__ import annotations

import json
from datetime import datetime

from receptionist.calls import (
    Briefing,
    Call,
    CallSummary,
    EscalationRequest,
    EscalationTrigger,
    HandoffStatus,
    Urgency,
)
from receptionist.notify.payloads import deliveries_for, one_line
from receptionist.storage.records import DeliveryChannel

from .helpers import ENDED_AT, make_call, make_profile

SUMMARY = CallSummary(
    text="Jane wants to move\nher cleaning.", source="offline", action_items=("Call Jane back",)
)


def _escalated(trigger: EscalationTrigger, status: HandoffStatus) -> Call:
    call = Call(tenant_id="bright-smile", caller_number="+14155550134", id="call-2")
    call.draft.name = "Sam"
    call.escalation = EscalationRequest(
        queue="front-desk",
        priority=8,
        reason="chest pain",
        trigger=trigger,
        briefing=Briefing("Bright Smile Dental", "Sam", "+14155550134", None, "chest pain", "", ()),
    )
    call.handoff_status = status
    call.ended_at = ENDED_AT
    return call


def test_a_message_makes_one_delivery_per_recipient() -> None:
    out = deliveries_for(make_profile(), make_call(), SUMMARY)
    assert [d.channel for d in out] == [DeliveryChannel.EMAIL, DeliveryChannel.WEBHOOK]
    assert out[0].target == "owner@example.org"
    assert out[1].target == "https://hooks.example.org/rx"
    assert out[1].secret_env == "BRIGHT_SMILE_HOOK"
    for d in out:
        json.dumps(d.payload)  # storable as JSON


def test_the_webhook_payload_is_the_versioned_message_event() -> None:
    hook = deliveries_for(make_profile(), make_call(), SUMMARY)[1].payload
    assert hook == {
        "type": "message.created",
        "version": 1,
        "tenant_id": "bright-smile",
        "call_id": "call-1",
        "message": {
            "id": "msg-1",
            "name": "Jane Doe",
            "phone": "+14155550134",
            "reason": "Needs to move her cleaning to next week",
            "urgency": "urgent",
            "best_time": "after 3 p.m.",
        },
        "summary": {"text": "Jane wants to move\nher cleaning.", "action_items": ["Call Jane back"]},
        "created_at": "2024-05-06T21:03:00+00:00",
    }
    assert datetime.fromisoformat(hook["created_at"]) == ENDED_AT


def test_the_email_reads_well_with_the_phone_in_national_format_and_local_time() -> None:
    mail = deliveries_for(make_profile(), make_call(), SUMMARY)[0].payload
    assert mail["subject"] == "New message from Jane Doe, (415) 555-0134 — urgent"
    text = mail["text"]
    assert "Jane Doe called Bright Smile Dental and left a message." in text
    assert "Phone:     (415) 555-0134" in text
    assert "Reason:    Needs to move her cleaning to next week" in text
    assert "Best time: after 3 p.m." in text
    assert "Jane wants to move her cleaning.\n- Call Jane back" in text
    assert "Received Monday 6 May 2024, 14:03 (America/Los_Angeles)." in text
    assert "<th align='left'>Phone</th><td><a href='tel:+14155550134'>(415) 555-0134</a></td>" in mail["html"]
    assert mail["from_name"] == "Bright Smile Dental receptionist"


def test_normal_urgency_has_no_suffix_and_a_foreign_number_is_international() -> None:
    call = make_call(urgency=Urgency.NORMAL)
    assert call.message is not None
    call.message = type(call.message)(name="Luc", phone="+33142685300", reason="RDV")
    subject = deliveries_for(make_profile(), call, None)[0].payload["subject"]
    assert subject == "New message from Luc, +33 1 42 68 53 00"


def test_caller_text_cannot_break_out_of_a_header_or_the_html() -> None:
    call = make_call(name="Eve\r\nBcc: victim@example.com\n<script>x</script>")
    mail, hook = (d.payload for d in deliveries_for(make_profile(), call, None))
    assert "\r" not in mail["subject"] and "\n" not in mail["subject"]
    assert mail["subject"].startswith("New message from Eve Bcc: victim@example.com <script>")
    assert "<script>" not in mail["html"] and "&lt;script&gt;" in mail["html"]
    assert hook["message"]["name"] == "Eve\r\nBcc: victim@example.com\n<script>x</script>"  # data, as said


def test_one_line_folds_every_kind_of_line_break() -> None:
    assert one_line("a\r\nb\x00c\u2028d\x85e\tf  g") == "a b c d e f g"


def test_no_message_and_nothing_urgent_means_no_delivery() -> None:
    assert deliveries_for(make_profile(), Call(tenant_id="bright-smile"), None) == []
    assert deliveries_for(make_profile([]), make_call(), None) == []


def test_an_emergency_nobody_took_is_delivered_as_a_missed_escalation() -> None:
    call = _escalated(EscalationTrigger.EMERGENCY, HandoffStatus.UNAVAILABLE)
    mail, hook = (d.payload for d in deliveries_for(make_profile(), call, None))
    assert hook["type"] == "escalation.missed"
    assert hook["message"] is None
    assert hook["caller"] == {"name": "Sam", "phone": "+14155550134"}
    assert hook["escalation"]["status"] == "unavailable"
    assert mail["subject"] == "Missed urgent call from Sam, (415) 555-0134 — EMERGENCY"
    assert "nobody took the call" in mail["text"]


def test_a_connected_or_non_urgent_escalation_is_not_delivered() -> None:
    connected = _escalated(EscalationTrigger.EMERGENCY, HandoffStatus.CONNECTED)
    assert deliveries_for(make_profile(), connected, None) == []
    ordinary = _escalated(EscalationTrigger.CALLER_REQUEST, HandoffStatus.UNAVAILABLE)
    assert deliveries_for(make_profile(), ordinary, None) == []
