"""Either brain as a LiveKit Agents ``llm.LLM``, so an ``AgentSession`` (voice) can drive it.

The adapter is bound to one :class:`~receptionist.conversation.Conversation`: LiveKit's chat context is
used only to find the caller's latest words; the conversation keeps the real state (turns, redaction,
tools, storage), so a voice call behaves exactly like a text call. Tools are the brain's own, so none
are declared to LiveKit. Preemptive generation must stay off: each ``chat`` call is a committed turn.
"""

from __future__ import annotations

import uuid
from typing import Any

from livekit.agents import APIConnectOptions, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr

from receptionist.conversation import Conversation


class BrainLLM(llm.LLM[Any]):
    """A LiveKit LLM whose every reply comes from ``conversation.reply``."""

    def __init__(self, conversation: Conversation) -> None:
        super().__init__()
        self.conversation = conversation

    @property
    def model(self) -> str:
        return f"receptionist-{self.conversation.brain.name}"

    @property
    def provider(self) -> str:
        return "receptionist"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        # the brain does not fail over to a retry of the same turn: LiveKit must not retry either
        options = APIConnectOptions(max_retry=0, retry_interval=0, timeout=conn_options.timeout)
        return _BrainStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=options)


class _BrainStream(llm.LLMStream):
    def __init__(
        self,
        brain_llm: BrainLLM,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(brain_llm, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._conversation = brain_llm.conversation

    async def _run(self) -> None:
        text = latest_caller_text(self._chat_ctx)
        request_id = uuid.uuid4().hex
        first = True
        async for piece in self._conversation.reply(text):
            self._event_ch.send_nowait(
                llm.ChatChunk(
                    id=request_id,
                    delta=llm.ChoiceDelta(role="assistant" if first else None, content=piece + " "),
                )
            )
            first = False


def latest_caller_text(chat_ctx: llm.ChatContext) -> str:
    """The text of the last user message (empty if the caller has said nothing)."""
    for item in reversed(chat_ctx.items):
        if item.type == "message" and item.role == "user":
            return item.text_content or ""
    return ""
