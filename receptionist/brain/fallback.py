"""An LLM brain with the offline brain behind it: a failing LLM never leaves a caller in silence."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from receptionist.brain.base import Brain, BrainFailure
from receptionist.brain.tools import CallTools

log = logging.getLogger(__name__)


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures; new calls skip the primary until ``cooldown_s`` ends."""

    threshold: int = 3
    cooldown_s: float = 30.0
    failures: int = 0
    opened_at: float | None = None

    def allow(self, now: float) -> bool:
        if self.opened_at is None:
            return True
        if now - self.opened_at >= self.cooldown_s:
            self.opened_at = None  # half-open: let one call try
            self.failures = self.threshold - 1
            return True
        return False

    def record(self, ok: bool, now: float) -> None:
        if ok:
            self.failures, self.opened_at = 0, None
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = now


@dataclass
class FallbackBrain:
    """Answers with ``primary``; on a :class:`BrainFailure` the same turn, and the rest of that call, go
    to ``secondary``. The call's state (concern, message draft) is on the call, so nothing collected is
    lost. ``degraded`` holds the ids of calls that have fallen back."""

    primary: Brain
    secondary: Brain
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    degraded: set[str] = field(default_factory=set)
    name: str = "fallback"

    async def respond(self, tools: CallTools, caller_text: str) -> AsyncGenerator[str, None]:
        call_id = tools.call.id
        if call_id in self.degraded or not self.breaker.allow(time.monotonic()):
            self.degraded.add(call_id)
            async for piece in self.secondary.respond(tools, caller_text):
                yield piece
            return
        try:
            async for piece in self.primary.respond(tools, caller_text):
                yield piece
        except BrainFailure as failure:
            self.breaker.record(False, time.monotonic())
            self.degraded.add(call_id)
            log.warning(
                "brain %s failed on call %s (%s); continuing with %s",
                self.primary.name, call_id, failure.reason, self.secondary.name,
            )  # fmt: skip
            async for piece in self.secondary.respond(tools, caller_text):
                yield piece
            return
        self.breaker.record(True, time.monotonic())

    def forget(self, call_id: str) -> None:
        self.degraded.discard(call_id)
