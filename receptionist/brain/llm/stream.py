"""Streamed chat-completion chunks turned into reply text and whole tool calls.

OpenAI-compatible servers stream a tool call as pieces: the first delta for an ``index`` carries the
call's ``id`` and function ``name``, the following ones carry fragments of the ``arguments`` JSON.
:class:`RoundAccumulator` puts them back together; :class:`ClauseSplitter` cuts the text into pieces
speech can start on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openai.types.chat import ChatCompletionChunk

# a clause ends at punctuation followed by white space; commas only once the clause is long enough
# to be worth speaking on its own (so "Hi, " is not sent to TTS alone)
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")
_CLAUSE_END = re.compile(r"[,;:—](?=\s)")
_MIN_CLAUSE = 24


@dataclass(slots=True)
class ToolCallDraft:
    """One tool call as the model sent it; ``arguments`` is raw JSON text, checked later."""

    index: int
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass(slots=True)
class RoundAccumulator:
    """Collects one streamed completion: its text, its tool calls and why it finished."""

    text: str = ""
    finish_reason: str | None = None
    _calls: dict[int, ToolCallDraft] = field(default_factory=dict)

    def add(self, chunk: ChatCompletionChunk) -> str:
        """Take one chunk; return the text it adds (maybe empty)."""
        if not chunk.choices:
            return ""  # usage-only or keep-alive chunk
        choice = chunk.choices[0]
        if choice.finish_reason:
            self.finish_reason = choice.finish_reason
        delta = choice.delta
        for part in delta.tool_calls or ():
            draft = self._draft(part.index, part.id)
            if part.id:
                draft.id = part.id
            fn = part.function
            if fn is not None:
                if fn.name and fn.name != draft.name:
                    draft.name += fn.name
                if fn.arguments:
                    draft.arguments += fn.arguments
        text = delta.content or ""
        self.text += text
        return text

    def _draft(self, index: int | None, call_id: str | None) -> ToolCallDraft:
        if index is None:  # a few servers omit the index: a new id starts a new call
            last = max(self._calls, default=-1)
            if last < 0 or (call_id and self._calls[last].id and self._calls[last].id != call_id):
                index = last + 1
            else:
                index = last
        if index not in self._calls:
            self._calls[index] = ToolCallDraft(index=index)
        return self._calls[index]

    @property
    def tool_calls(self) -> list[ToolCallDraft]:
        calls = [self._calls[i] for i in sorted(self._calls)]
        for n, call in enumerate(calls):
            call.id = call.id or f"call_{n}"  # an id is needed to answer the call; a few servers omit it
        return calls


@dataclass(slots=True)
class ClauseSplitter:
    """Buffers streamed text and releases it a clause or a sentence at a time."""

    _buffer: str = ""

    def feed(self, text: str) -> list[str]:
        self._buffer += text
        pieces: list[str] = []
        while True:
            cut = self._cut()
            if cut is None:
                return pieces
            pieces.append(self._buffer[:cut])
            self._buffer = self._buffer[cut:]

    def flush(self) -> str:
        rest, self._buffer = self._buffer, ""
        return rest

    def _cut(self) -> int | None:
        """Where the first complete clause ends, white space after it included, if there is one."""
        sentence = _SENTENCE_END.search(self._buffer)
        clause = next((m for m in _CLAUSE_END.finditer(self._buffer) if m.end() >= _MIN_CLAUSE), None)
        ends = [m.end() for m in (sentence, clause) if m is not None]
        if not ends:
            return None
        end = min(ends)
        space = re.match(r"\s*", self._buffer[end:])
        return end + (space.end() if space else 0)
