"""A real local HTTP server speaking the OpenAI chat-completions wire format, scripted per request.

    async with FakeOpenAI() as llm:
        llm.script(Reply(tool_calls=[ToolCall("record_concern", '{"concern_id": "billing"}')]),
                   Reply(text="I can take a message for billing. What's your name?"))
        settings = Settings(llm_base_url=llm.base_url, llm_model="fake", ...)
        ...
        llm.requests[0]["messages"]   # every request body, as received

Each request to ``POST /v1/chat/completions`` takes the next behaviour from the script: a reply (text
and/or tool calls, streamed as SSE chunks the way OpenAI splits them when the request says
``stream: true``, else one JSON completion), an HTTP error with an OpenAI-style body, a hang before
any byte, a stall after some chunks, or a stream cut off mid-way. An empty script answers HTTP 500
with ``"fake server script is empty"``, so a test that sends more requests than it expected fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class ToolCall:
    """A tool call the fake model makes; ``arguments`` is sent verbatim, so it may be invalid JSON."""

    name: str
    arguments: str = "{}"
    id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:12]}")


@dataclass(frozen=True)
class Reply:
    """A completion: text and/or tool calls, streamed ``chunk_chars`` characters per chunk."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] | list[ToolCall] = ()
    chunk_chars: int = 5
    chunk_delay_s: float = 0.0


@dataclass(frozen=True)
class HttpError:
    """An HTTP error with an OpenAI-style error body."""

    status: int = 500
    message: str = "The server had an error while processing your request."
    type: str = "server_error"


@dataclass(frozen=True)
class Hang:
    """Accept the request and send nothing (no headers) for ``seconds`` or until the server stops."""

    seconds: float = 3600.0


@dataclass(frozen=True)
class Stall:
    """Stream ``text`` (streaming requests), then send nothing more for ``seconds``."""

    text: str = ""
    seconds: float = 3600.0


@dataclass(frozen=True)
class CutOff:
    """Stream ``text``, then stop: ``abort`` drops the connection; otherwise the body ends cleanly
    without a ``finish_reason`` or ``[DONE]``."""

    text: str = ""
    abort: bool = True


Behaviour = Reply | HttpError | Hang | Stall | CutOff


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeOpenAI:
    """The server; start and stop it with ``async with``."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.received: list[Received] = []
        self._script: deque[Behaviour] = deque()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- scripting and inspection -----------------------------------------------------------------

    def script(self, *behaviours: Behaviour) -> None:
        self._script.extend(behaviours)

    @property
    def pending(self) -> int:
        """Behaviours not used yet."""
        return len(self._script)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies received, oldest first."""
        return [r.body for r in self.received]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- lifecycle ----------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()  # release hanging and stalled handlers
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the endpoint -------------------------------------------------------------------------------

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._answer(request)
        except ConnectionResetError:  # the client gave up (a timeout under test): nothing to answer
            return web.Response(status=499)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.received.append(Received(request.path, dict(request.headers), body))
        if not self._script:
            return _error(HttpError(500, "fake server script is empty"))
        behaviour = self._script.popleft()
        streaming = bool(body.get("stream"))
        match behaviour:
            case HttpError():
                return _error(behaviour)
            case Hang(seconds=seconds):
                await self._sleep(seconds)
                return _error(HttpError(503, "fake server stopped hanging"))
            case Reply() if not streaming:
                return web.json_response(self._completion(behaviour))
            case Reply():
                return await self._stream(request, behaviour)
            case Stall(text=text, seconds=seconds):
                response = await self._start_stream(request)
                for chunk in self._text_chunks(text, 5):
                    await _send(response, chunk)
                await self._sleep(seconds)
                return response
            case CutOff(text=text, abort=abort):
                response = await self._start_stream(request)
                for chunk in self._text_chunks(text, 5):
                    await _send(response, chunk)
                if abort and request.transport is not None:
                    request.transport.abort()  # the client sees an incomplete chunked body
                    return response
                await response.write_eof()
                return response
        raise AssertionError(f"unknown behaviour {behaviour!r}")

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    # -- wire format --------------------------------------------------------------------------------

    def _completion(self, reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in reply.tool_calls
            ]
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        }

    def _text_chunks(self, text: str, size: int) -> Iterator[dict[str, Any]]:
        yield self._chunk({"role": "assistant", "content": ""})
        for i in range(0, len(text), size):
            yield self._chunk({"content": text[i : i + size]})

    def _tool_call_chunks(self, index: int, call: ToolCall) -> Iterator[dict[str, Any]]:
        # as OpenAI sends them: id, type and name (with empty arguments) first, then argument fragments
        first = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield self._chunk({"tool_calls": [first]})
        args = call.arguments
        for i in range(0, len(args), 7):
            yield self._chunk({"tool_calls": [{"index": index, "function": {"arguments": args[i : i + 7]}}]})

    async def _start_stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        return response

    async def _stream(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        response = await self._start_stream(request)
        chunks = list(self._text_chunks(reply.text, reply.chunk_chars))
        for index, call in enumerate(reply.tool_calls):
            chunks.extend(self._tool_call_chunks(index, call))
        chunks.append(self._chunk({}, "tool_calls" if reply.tool_calls else "stop"))
        for chunk in chunks:
            await _send(response, chunk)
            if reply.chunk_delay_s:
                await asyncio.sleep(reply.chunk_delay_s)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


async def _send(response: web.StreamResponse, chunk: dict[str, Any]) -> None:
    await response.write(f"data: {json.dumps(chunk)}\n\n".encode())


def _error(error: HttpError) -> web.Response:
    body = {"error": {"message": error.message, "type": error.type, "param": None, "code": None}}
    return web.json_response(body, status=error.status)
