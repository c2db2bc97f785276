"""The after-call summary: from the LLM when one is configured, otherwise built from collected facts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from receptionist.brain.base import BrainFailure
from receptionist.brain.phone import display
from receptionist.calls import Call, CallSummary, Outcome
from receptionist.config.profile import BusinessProfile

log = logging.getLogger(__name__)

LLMSummariser = Callable[[Call, BusinessProfile], Awaitable[CallSummary]]

_OUTCOME_WORDS = {
    Outcome.RESOLVED: "The receptionist answered the caller's questions.",
    Outcome.MESSAGE_TAKEN: "A message was taken.",
    Outcome.TRANSFERRED: "The call was transferred to a person.",
    Outcome.CALLBACK_SCHEDULED: "A callback was scheduled.",
    Outcome.ABANDONED: "The caller hung up before anything was settled.",
    Outcome.FAILED: "The call failed; what the caller said is kept in the transcript.",
}


def offline_summary(call: Call, profile: BusinessProfile) -> CallSummary:
    """A factual summary from what the call collected; needs no model."""
    d = call.draft
    concern = profile.concern(call.concern) if call.concern else None
    who = d.name or "An unnamed caller"
    number = d.phone or call.caller_number
    if number:
        who += f" ({display(number, profile.country)})"
    about = f" about {concern.description.lower()}" if concern else ""
    parts = [f"{who} called{about}."]
    reason = (call.message.reason if call.message else d.reason) or None
    if reason:
        parts.append(f'They said: "{_clip(reason, 240)}".')
    if call.escalation is not None:
        parts.append(
            f"They were routed to {call.escalation.queue} ({call.escalation.trigger.value.replace('_', ' ')})."
        )
    if call.outcome is not None:
        parts.append(_OUTCOME_WORDS[call.outcome])
    actions: list[str] = []
    if call.message is not None:
        when = f" ({call.message.best_time})" if call.message.best_time else ""
        urgent = "urgently " if call.message.urgency.value in ("urgent", "emergency") else ""
        actions.append(
            f"Call {call.message.name} back {urgent}on {display(call.message.phone, profile.country)}{when}."
        )
    return CallSummary(text=" ".join(parts), source="offline", reason=reason, action_items=tuple(actions))


async def summarise(call: Call, profile: BusinessProfile, llm: LLMSummariser | None) -> CallSummary:
    """The LLM's summary when it works; the offline one when there is no LLM or it fails."""
    if llm is not None and any(t.text for t in call.turns):
        try:
            return await llm(call, profile)
        except BrainFailure as e:
            log.warning("LLM summary failed for call %s (%s); using the offline summary", call.id, e.reason)
    return offline_summary(call, profile)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
