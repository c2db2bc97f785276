"""The LLM brain: one caller turn = a few streamed chat completions, with tools, until the model speaks.

Each round streams a completion. Text is passed on a clause at a time as it arrives (stripped pieces,
to be joined with spaces); tool calls are collected, checked against their schemas, run on the
current call through :class:`CallTools`, and their results sent back for the next round. Whatever
goes wrong becomes a :class:`BrainFailure` carrying the text already passed on, so the session can
fall back to the offline brain mid-turn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from pathlib import Path
from string import Template
from typing import Any, cast

import httpx
import openai
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolUnionParam

from receptionist.brain.base import BrainFailure
from receptionist.brain.llm.client import failure_from, make_client
from receptionist.brain.llm.deadlines import Deadlines
from receptionist.brain.llm.prompt import SYSTEM_PLACEHOLDERS, load_template, render_system_prompt
from receptionist.brain.llm.stream import ClauseSplitter, RoundAccumulator, ToolCallDraft
from receptionist.brain.llm.toolspec import (
    MalformedToolCall,
    OutOfScopeToolCall,
    ToolSpec,
    dispatch,
    refusal_json,
    result_json,
    tool_specs,
)
from receptionist.brain.tools import CallTools
from receptionist.calls import Role, utcnow
from receptionist.config.profile import BusinessProfile
from receptionist.config.settings import Settings

log = logging.getLogger(__name__)


class LLMBrain:
    """A :class:`~receptionist.brain.base.Brain` backed by any OpenAI-compatible chat-completions server.

    The brain is not bound to a tenant: the system prompt is rendered for each turn from
    ``tools.profile`` and ``tools.clock()``, so one instance serves every business.
    """

    name = "llm"

    def __init__(
        self,
        *,
        client: openai.AsyncOpenAI,
        model: str,
        system_prompt: Template,
        timeout_s: float,
        total_timeout_s: float,
        max_tool_rounds: int = 4,
    ) -> None:
        self._client = client
        self._model = model
        self._system_prompt = system_prompt
        self._timeout_s = timeout_s
        self._total_timeout_s = total_timeout_s
        self._max_tool_rounds = max_tool_rounds

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        profile: BusinessProfile | None = None,
        *,
        prompts_dir: Path,
        max_tool_rounds: int = 4,
    ) -> LLMBrain:
        """The brain for ``settings.llm_*``, with ``prompts_dir/system.md`` as its system prompt.

        ``profile`` is optional (each turn uses ``tools.profile``); when given, the system prompt is
        rendered for it once now, so a template problem shows at start-up rather than on a call.
        """
        template = load_template(prompts_dir, "system.md", SYSTEM_PLACEHOLDERS)
        if profile is not None:
            render_system_prompt(template, profile, utcnow())
        client = make_client(settings)
        assert settings.llm_model is not None  # make_client checked llm_enabled
        return cls(
            client=client,
            model=settings.llm_model,
            system_prompt=template,
            timeout_s=settings.llm_timeout_s,
            total_timeout_s=settings.llm_total_timeout_s,
            max_tool_rounds=max_tool_rounds,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def respond(self, tools: CallTools, caller_text: str) -> AsyncGenerator[str, None]:
        deadlines = Deadlines(step_s=self._timeout_s, total_s=self._total_timeout_s)
        said: list[str] = []
        turn = self._turn(tools, caller_text, deadlines)
        try:
            async for piece in turn:
                said.append(piece)
                with deadlines.paused():
                    yield piece
        except BrainFailure as e:
            partial = " ".join(said)
            raise self._failed(tools, BrainFailure(e.reason, retryable=e.retryable, partial=partial)) from e
        except Exception as e:
            # server, transport, a chunk that does not parse, or a bug in a tool: on a live call all of
            # them mean "fall back", never "drop the caller"
            expected = isinstance(e, openai.OpenAIError | httpx.HTTPError)
            raise self._failed(tools, failure_from(e, partial=" ".join(said)), unexpected=not expected) from e
        finally:
            await turn.aclose()

    def _failed(self, tools: CallTools, failure: BrainFailure, *, unexpected: bool = False) -> BrainFailure:
        log.warning(
            "LLM brain failed on call %s (model %s): %s%s",
            tools.call.id,
            self._model,
            failure.reason,
            " after partial reply" if failure.partial else "",
            exc_info=unexpected,
        )
        return failure

    async def _turn(
        self, tools: CallTools, caller_text: str, deadlines: Deadlines
    ) -> AsyncGenerator[str, None]:
        specs = tool_specs(tools.profile)
        schemas = cast(list[ChatCompletionToolUnionParam], [s.schema() for s in specs.values()])
        messages = self.messages(tools, caller_text)
        spoke = False
        refusals = 0
        for round_no in range(1, self._max_tool_rounds + 1):
            last_round = round_no == self._max_tool_rounds
            deadlines.restart_step()
            stream = await deadlines.wait(
                self._client.chat.completions.create(
                    model=self._model,
                    messages=messages,
                    tools=schemas,
                    # the last round must answer in words: no more tool calls
                    tool_choice="none" if last_round else "auto",
                    stream=True,
                ),
                waiting_for="first chunk",
            )
            reply = RoundAccumulator()
            splitter = ClauseSplitter()
            try:
                waiting_for = "first chunk"
                while True:
                    try:
                        chunk = await deadlines.wait(anext(stream), waiting_for=waiting_for)
                    except StopAsyncIteration:
                        break
                    waiting_for = "next chunk"
                    deadlines.restart_step()
                    for piece in splitter.feed(reply.add(chunk)):
                        if piece.strip():
                            spoke = True
                            yield piece.strip()
            finally:
                await stream.close()
            if reply.finish_reason is None:  # cut off: the unfinished clause is not passed on
                raise BrainFailure("the LLM reply stream ended before it finished", retryable=True)
            rest = splitter.flush().strip()
            if rest:
                spoke = True
                yield rest
            calls = reply.tool_calls
            if not calls:
                if not spoke:
                    raise BrainFailure("the LLM gave an empty reply", retryable=False)
                return
            if last_round:
                raise BrainFailure(f"the LLM still called tools after {round_no} rounds", retryable=False)
            # check every call of the round before running any, so a malformed one leaves no side effects
            checked = [self._check(tools, specs, call) for call in calls]
            refusals += sum(args is None for args in checked)
            if refusals > 1:
                raise BrainFailure("the LLM repeated tool calls outside the current call", retryable=False)
            messages.append(_assistant_message(reply.text, calls))
            for call, args in zip(calls, checked, strict=True):
                if args is None:
                    content = refusal_json()
                else:
                    work = dispatch(tools, call.name, args)
                    content = result_json(await deadlines.wait(work, waiting_for="a tool", step=False))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

    def _check(
        self, tools: CallTools, specs: dict[str, ToolSpec], call: ToolCallDraft
    ) -> dict[str, Any] | None:
        """The call's checked arguments, or ``None`` when it is refused as reaching outside the call."""
        try:
            spec = specs.get(call.name)
            if spec is None:
                raise OutOfScopeToolCall(f"unknown tool {call.name!r}")
            return spec.parse(call.arguments)
        except OutOfScopeToolCall as e:
            log.warning("refused a tool call on call %s: %s", tools.call.id, e)
            return None
        except MalformedToolCall as e:
            raise BrainFailure(f"malformed tool call: {e}", retryable=False) from e

    def messages(self, tools: CallTools, caller_text: str) -> list[ChatCompletionMessageParam]:
        """The system prompt and the call's turns, as the model will see them this turn."""
        system = render_system_prompt(self._system_prompt, tools.profile, tools.clock())
        out: list[ChatCompletionMessageParam] = [{"role": "system", "content": system}]
        turns = tools.call.turns
        for turn in turns:
            if turn.role is Role.CALLER:
                out.append({"role": "user", "content": turn.text})
            else:
                out.append({"role": "assistant", "content": turn.text})
        if not turns or turns[-1].role is not Role.CALLER:
            out.append({"role": "user", "content": caller_text})  # the session did not record it
        return out


def _assistant_message(text: str, calls: list[ToolCallDraft]) -> ChatCompletionMessageParam:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text or None,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in calls
        ],
    }
    return cast(ChatCompletionMessageParam, message)
