"""The receptionist's tools: the only ways either brain can act on a call.

A :class:`CallTools` is bound to one call. No tool takes the id of a call, message or caller, so no
tool can read or change anything outside the current call, whatever a caller or an LLM asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from receptionist.brain import phone as phones
from receptionist.calls import (
    Briefing,
    Call,
    EscalationRequest,
    EscalationTrigger,
    HandoffStatus,
    Message,
    Outcome,
    Urgency,
    utcnow,
)
from receptionist.config.profile import BusinessProfile, FaqEntry
from receptionist.escalation.handoff import Handoff


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool did, as data for a template or as JSON for an LLM."""

    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class FaqIndex(Protocol):
    """Finds the FAQ entry a question is about, with a similarity score in 0..1."""

    def search(self, question: str) -> tuple[FaqEntry, float] | None: ...


@dataclass
class CallTools:
    """Tools bound to one call in one tenant."""

    profile: BusinessProfile
    call: Call
    handoff: Handoff
    faq: FaqIndex
    clock: Callable[[], datetime] = utcnow
    faq_threshold: float = 0.55

    # -- questions -------------------------------------------------------------------------------

    def answer_faq(self, question: str) -> ToolResult:
        hit = self.faq.search(question)
        if hit is None or hit[1] < self.faq_threshold:
            return ToolResult(ok=False, error="no FAQ entry answers this")
        entry, score = hit
        self.call.answered_questions += 1
        return ToolResult(ok=True, data={"question": entry.question, "answer": entry.answer, "score": score})

    def business_hours(self) -> ToolResult:
        now = self.clock()
        closure = self.profile.closure_on(now)
        self.call.answered_questions += 1
        return ToolResult(
            ok=True,
            data={
                "open_now": self.profile.is_open(now),
                "hours": self.profile.hours_sentence(),
                "closed_today_because": closure.reason if closure else None,
            },
        )

    # -- what the call is about ------------------------------------------------------------------

    def record_concern(self, concern_id: str) -> ToolResult:
        concern = self.profile.concern(concern_id)
        if concern is None:
            known = ", ".join(c.id for c in self.profile.concerns)
            return ToolResult(ok=False, error=f"unknown concern {concern_id!r}; known: {known}")
        self.call.concern = concern.id
        return ToolResult(
            ok=True,
            data={
                "concern": concern.id,
                "handling": concern.handling.action.value,
                "queue": concern.handling.queue,
            },
        )

    # -- messages --------------------------------------------------------------------------------

    def take_message(
        self,
        *,
        name: str | None = None,
        phone: str | None = None,
        reason: str | None = None,
        urgency: str | None = None,
        best_time: str | None = None,
        phone_confirmed: bool | None = None,
        save: bool = True,
    ) -> ToolResult:
        """Add details to the message; save it once name, a confirmed number and a reason are known
        (unless ``save`` is False: the offline policy still wants to ask for a good time to call)."""
        draft = self.call.draft
        if self.call.message is not None:
            return ToolResult(ok=True, data={"saved": True, "note": "the message was already saved"})
        errors: list[str] = []
        if name and name.strip():
            draft.name = name.strip()[:120]
        if phone and phone.strip():
            e164 = phones.find_phone(phone, self.profile.country)
            if e164 is None:
                errors.append(f"{phone!r} is not a valid phone number; ask the caller to repeat it")
            elif e164 != draft.phone:
                draft.phone = e164
                draft.phone_confirmed = False
        if reason and reason.strip():
            draft.reason = reason.strip()[:1000]
        if urgency:
            try:
                draft.urgency = Urgency(urgency.lower())
            except ValueError:
                errors.append(f"urgency must be one of {', '.join(u.value for u in Urgency)}")
        if best_time and best_time.strip():
            draft.best_time = best_time.strip()[:200]
        if phone_confirmed is not None and draft.phone:
            draft.phone_confirmed = phone_confirmed
            if not phone_confirmed:
                draft.phone = None
        missing = [
            slot
            for slot, have in (("name", draft.name), ("phone", draft.phone), ("reason", draft.reason))
            if not have
        ]
        data: dict[str, Any] = {"saved": False, "missing": missing}
        if draft.phone:
            data["phone_read_back"] = phones.read_back(draft.phone, self.profile.country)
        if not missing and not draft.phone_confirmed:
            data["needs"] = "read the number back to the caller and confirm it (phone_confirmed=true)"
        if save and not missing and draft.phone_confirmed and draft.name and draft.phone and draft.reason:
            self.call.message = Message(
                name=draft.name,
                phone=draft.phone,
                reason=draft.reason,
                urgency=draft.urgency,
                best_time=draft.best_time,
            )
            data = {"saved": True, "name": draft.name, "phone": draft.phone}
        return ToolResult(ok=not errors, data=data, error="; ".join(errors) or None)

    def get_call_notes(self) -> ToolResult:
        """What this call has collected so far. The only read tool; it sees the current call only."""
        d = self.call.draft
        return ToolResult(
            ok=True,
            data={
                "concern": self.call.concern,
                "caller_id": self.call.caller_number,
                "name": d.name,
                "phone": d.phone,
                "phone_confirmed": d.phone_confirmed,
                "reason": d.reason,
                "urgency": d.urgency.value,
                "best_time": d.best_time,
                "message_saved": self.call.message is not None,
            },
        )

    # -- people ----------------------------------------------------------------------------------

    def vip_caller(self) -> bool:
        caller = self.call.caller_number
        if not caller:
            return False
        region = self.profile.country
        vips = {phones.find_phone(n, region) for n in self.profile.escalation.vip_numbers}
        return phones.find_phone(caller, region) in vips

    async def request_human(
        self,
        *,
        reason: str,
        trigger: EscalationTrigger = EscalationTrigger.CALLER_REQUEST,
        queue: str | None = None,
        priority: int | None = None,
        summary: str = "",
    ) -> ToolResult:
        if self.call.escalation is not None and self.call.handoff_status is not None:
            # one request per call; asking again (e.g. after a brain fallback) reports where it stands
            return ToolResult(
                ok=True,
                data={
                    "status": self.call.handoff_status.value,
                    "queue": self.call.escalation.queue,
                    "priority": self.call.escalation.priority,
                },
            )
        rules = self.profile.escalation
        concern = self.profile.concern(self.call.concern) if self.call.concern else None
        if queue is None:
            if trigger is EscalationTrigger.EMERGENCY and rules.emergency_queue:
                queue = rules.emergency_queue
            elif concern is not None and concern.handling.queue:
                queue = concern.handling.queue
            else:
                queue = rules.human_queue
        if priority is None:
            priority = 0
            if trigger is EscalationTrigger.EMERGENCY or self.call.draft.urgency in (
                Urgency.URGENT,
                Urgency.EMERGENCY,
            ):
                priority = rules.urgent_priority
        if self.vip_caller():
            priority = max(priority, rules.vip_priority)
        request = EscalationRequest(
            queue=queue,
            priority=max(0, min(10, priority)),
            reason=reason.strip()[:500] or "caller asked for a person",
            trigger=trigger,
            briefing=Briefing(
                tenant_name=self.profile.name,
                caller_name=self.call.draft.name,
                caller_number=self.call.draft.phone or self.call.caller_number,
                concern=self.call.concern,
                reason=reason.strip()[:500],
                summary=summary,
                transcript=tuple(self.call.turns),
            ),
        )
        self.call.escalation = request
        status = await self.handoff.request(self.call, request)
        self.call.handoff_status = status
        return ToolResult(
            ok=True, data={"status": status.value, "queue": queue, "priority": request.priority}
        )

    # -- ending ----------------------------------------------------------------------------------

    def end_call(self) -> ToolResult:
        self.call.ended = True
        return ToolResult(ok=True, data={"outcome": self.final_outcome().value})

    def final_outcome(self) -> Outcome:
        """The outcome the call has earned so far (the session may still override on failure)."""
        if self.call.outcome is not None:
            return self.call.outcome
        if self.call.message is not None:
            return Outcome.MESSAGE_TAKEN
        if self.call.handoff_status is HandoffStatus.CONNECTED:
            return Outcome.TRANSFERRED
        if self.call.answered_questions:
            return Outcome.RESOLVED
        return Outcome.ABANDONED
