"""The seam between the receptionist and whoever takes calls from it (the ACD, once it exists)."""

from __future__ import annotations

from typing import Protocol

from receptionist.calls import Call, EscalationRequest, HandoffStatus


class Handoff(Protocol):
    """Asks for a human to take ``call``; answers at once with where the request stands."""

    async def request(self, call: Call, request: EscalationRequest) -> HandoffStatus: ...


class NoAgents:
    """The handoff when no ACD is configured: nobody can take calls, so a message is taken instead."""

    async def request(self, call: Call, request: EscalationRequest) -> HandoffStatus:
        return HandoffStatus.UNAVAILABLE
