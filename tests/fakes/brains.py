"""Scripted brains and small fakes for the brain's collaborators (no mocks: real behaviour, scripted)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field

from receptionist.brain.base import BrainFailure
from receptionist.brain.tools import CallTools
from receptionist.calls import Call, EscalationRequest, HandoffStatus
from receptionist.config.profile import FaqEntry

Step = Callable[[CallTools, str], Awaitable[str]] | str | BrainFailure | Exception


@dataclass
class ScriptedBrain:
    """Replies from a script, one step per turn: a string, a coroutine acting on the tools, or an error."""

    steps: list[Step]
    name: str = "scripted"
    heard: list[str] = field(default_factory=list)

    async def respond(self, tools: CallTools, caller_text: str) -> AsyncGenerator[str, None]:
        self.heard.append(caller_text)
        step = self.steps.pop(0) if self.steps else "ok."
        if isinstance(step, BaseException):
            if isinstance(step, BrainFailure) and step.partial:
                yield step.partial
            raise step
        text = step if isinstance(step, str) else await step(tools, caller_text)
        for piece in text.split("|"):
            yield piece


@dataclass
class KeywordFaq:
    """A FaqIndex that matches on shared words (no model)."""

    entries: list[FaqEntry]

    def search(self, question: str) -> tuple[FaqEntry, float] | None:
        words = set(question.lower().split())
        best: tuple[FaqEntry, float] | None = None
        for e in self.entries:
            keys = set(e.question.lower().rstrip("?").split())
            score = len(words & keys) / max(len(keys), 1)
            if best is None or score > best[1]:
                best = (e, score)
        return best


@dataclass
class FixedHandoff:
    """A handoff that always answers ``status`` and remembers what it was asked."""

    status: HandoffStatus
    requests: list[EscalationRequest] = field(default_factory=list)

    async def request(self, call: Call, request: EscalationRequest) -> HandoffStatus:
        self.requests.append(request)
        return self.status
