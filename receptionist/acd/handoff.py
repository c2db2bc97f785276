"""The receptionist's :class:`~receptionist.escalation.handoff.Handoff` over the ACD.

The receptionist names a queue from the business profile ("tech-support", "front-desk"); :class:`QueueRoutes`
maps it to the ACD queue of that tenant (by default the same name). The call is queued with its briefing
and the answer is QUEUED (the hold session takes over), or UNAVAILABLE when the ACD cannot keep it: the
queue does not exist, the store is unreachable, or the call left at once because nobody is logged in
(EXITEMPTY to a message or a callback). On UNAVAILABLE the receptionist takes a message, so a caller is
never left with nobody; a call that left at once for a callback is marked ``callback_scheduled``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from receptionist.acd.errors import AcdError, DuplicateCall
from receptionist.acd.model import CallResult, CallState
from receptionist.acd.service import AcdService
from receptionist.calls import Call, EscalationRequest, HandoffStatus, Outcome

log = logging.getLogger(__name__)

_HELD = (CallState.WAITING, CallState.OFFERED, CallState.CONNECTED)


@dataclass(frozen=True)
class QueueRoutes:
    """Per tenant, which ACD queue takes each queue name the receptionist uses; unlisted names are kept."""

    routes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def resolve(self, tenant_id: str, queue: str) -> str:
        return self.routes.get(tenant_id, {}).get(queue, queue)


class AcdHandoff:
    """Queues escalations in the ACD; answers QUEUED while the ACD holds the call, else UNAVAILABLE."""

    def __init__(self, service: AcdService, *, routes: QueueRoutes | None = None) -> None:
        self.service = service
        self.routes = routes or QueueRoutes()

    async def request(self, call: Call, request: EscalationRequest) -> HandoffStatus:
        queue = self.routes.resolve(call.tenant_id, request.queue)
        try:
            await self.service.enqueue_escalation(call, replace(request, queue=queue))
        except DuplicateCall:
            log.info("call %s is already in the ACD; reporting where it stands", call.id)
        except AcdError as exc:  # unknown queue, bad id, store unreachable: take a message instead
            log.warning(
                "cannot queue call %s of %s for %r (ACD queue %r): %s; taking a message",
                call.id, call.tenant_id, request.queue, queue, exc,
            )  # fmt: skip
            return HandoffStatus.UNAVAILABLE
        try:
            snapshot = await self.service.call(call.id)
        except AcdError as exc:
            log.warning("cannot read call %s back from the ACD: %s; assuming it is queued", call.id, exc)
            return HandoffStatus.QUEUED
        if snapshot is not None and snapshot.state in _HELD:
            return HandoffStatus.QUEUED
        if snapshot is not None and snapshot.result is CallResult.CALLBACK:
            call.outcome = Outcome.CALLBACK_SCHEDULED  # a callback task is queued; the message adds details
        log.info("call %s of %s left queue %r at once (nobody logged in)", call.id, call.tenant_id, queue)
        return HandoffStatus.UNAVAILABLE
