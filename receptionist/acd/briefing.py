"""A briefing travels with its queued call as a string attribute, so any worker can show it to an agent."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from receptionist.calls import Briefing, EscalationRequest, Role, Turn

BRIEFING = "briefing"
REASON = "reason"
TRIGGER = "trigger"


def escalation_attributes(request: EscalationRequest) -> dict[str, str]:
    b = request.briefing
    briefing = {
        "tenant_name": b.tenant_name,
        "caller_name": b.caller_name,
        "caller_number": b.caller_number,
        "concern": b.concern,
        "reason": b.reason,
        "summary": b.summary,
        "transcript": [{"role": t.role.value, "text": t.text, "at": t.at.isoformat()} for t in b.transcript],
    }
    return {BRIEFING: json.dumps(briefing), REASON: request.reason, TRIGGER: request.trigger.value}


def briefing_of(attributes: Mapping[str, str]) -> Briefing | None:
    """The briefing a queued call carries, or None if it was enqueued without one."""
    raw = attributes.get(BRIEFING)
    if raw is None:
        return None
    data = json.loads(raw)
    turns = tuple(
        Turn(role=Role(t["role"]), text=t["text"], at=datetime.fromisoformat(t["at"]))
        for t in data["transcript"]
    )
    return Briefing(
        tenant_name=data["tenant_name"],
        caller_name=data["caller_name"],
        caller_number=data["caller_number"],
        concern=data["concern"],
        reason=data["reason"],
        summary=data["summary"],
        transcript=turns,
    )
