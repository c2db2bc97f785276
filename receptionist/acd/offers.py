"""What an agent is shown when a call is offered to them: the offer and the receptionist's briefing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from receptionist.acd.briefing import REASON, TRIGGER, briefing_of
from receptionist.acd.config import QueueKey
from receptionist.acd.model import AgentSnapshot, AgentState, CallKind, CallSnapshot
from receptionist.calls import Briefing


@dataclass(frozen=True, slots=True)
class OfferView:
    """An open offer as its agent sees it. ``briefing`` is None for calls queued without one."""

    offer_id: str
    call_id: str
    queue: QueueKey
    kind: CallKind
    priority: int
    expires_at: datetime | None
    briefing: Briefing | None
    reason: str | None  # why the receptionist asked for a person
    trigger: str | None  # caller_request, concern, emergency...

    @property
    def tenant_id(self) -> str:
        return self.queue.tenant_id


def offer_view(agent: AgentSnapshot, call: CallSnapshot | None) -> OfferView | None:
    """The agent's open offer, or None when nothing rings for them (any more)."""
    if agent.state is not AgentState.OFFERED or agent.offer_id is None or call is None:
        return None
    if call.offer_id != agent.offer_id or agent.agent_id not in call.ringing:
        return None
    return OfferView(
        offer_id=agent.offer_id,
        call_id=call.call_id,
        queue=call.queue,
        kind=call.kind,
        priority=call.priority,
        expires_at=agent.offer_expires_at,
        briefing=briefing_of(call.attributes),
        reason=call.attributes.get(REASON),
        trigger=call.attributes.get(TRIGGER),
    )
