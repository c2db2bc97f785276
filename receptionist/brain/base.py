"""The one interface both brains implement, and the failure type that makes the LLM brain fall back."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from receptionist.brain.tools import CallTools


class Brain(Protocol):
    """Answers one caller turn.

    ``respond`` streams the reply text in pieces (a sentence or a clause at a time) so speech can start
    before the reply is complete. Everything the brain decides (concern, message details, a request
    for a human, the end of the call) happens through ``tools``, which act on the current call only.
    ``caller_text`` has already been redacted and recorded as a turn on ``tools.call``.
    """

    @property
    def name(self) -> str: ...

    def respond(self, tools: CallTools, caller_text: str) -> AsyncGenerator[str, None]: ...


class BrainFailure(Exception):
    """The brain could not produce a usable reply (server error, timeout, malformed tool call).

    ``partial`` is any reply text already streamed to the caller before the failure.
    """

    def __init__(self, reason: str, *, retryable: bool = True, partial: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.partial = partial
