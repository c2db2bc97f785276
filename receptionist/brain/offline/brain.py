"""The offline brain: no LLM server, no network; the default without an LLM and the fallback with one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from receptionist.brain.offline.classifier import ConcernClassifier
from receptionist.brain.offline.policy import OfflinePolicy
from receptionist.brain.offline.understand import understand
from receptionist.brain.text import split_sentences
from receptionist.brain.tools import CallTools

#: The classifier sees at most this much of a turn; a monologue's opening says what it is about.
MAX_CLASSIFIED_CHARS = 1_000


@dataclass(frozen=True)
class OfflineBrain:
    """Understands a turn (classifier + slot extraction) and replies from templates, for one profile."""

    classifier: ConcernClassifier
    policy: OfflinePolicy
    name: str = "offline"

    async def respond(self, tools: CallTools, caller_text: str) -> AsyncGenerator[str, None]:
        u = await asyncio.to_thread(
            understand,
            caller_text[:MAX_CLASSIFIED_CHARS],
            classifier=self.classifier,
            region=tools.profile.country,
        )
        reply = await self.policy.reply(tools, u)
        for sentence in split_sentences(reply):
            yield sentence
