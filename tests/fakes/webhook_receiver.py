"""A real HTTP server on 127.0.0.1 (aiohttp, in the test's event loop) that receives webhooks.

It checks each request's signature with the shared secret, as a real receiver would, answers 401 when
it does not verify, and records every request. Script failures before it behaves:

    async with WebhookReceiver(secret="s3cret") as hook:
        hook.fail(times=2)           # the next two requests get HTTP 500
        hook.respond(400)            # ... then one 400
        hook.hang(times=1)           # ... then one that never answers (until the receiver stops)
        ... post to hook.url ...
        hook.requests[-1].verified
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from receptionist.notify.signing import verify_signature

_HANG = -1


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int  # what the receiver answered (0 when it hung)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Listens on ``url``; scripted statuses are answered first, then 200 for a valid signature."""

    def __init__(self, *, secret: str, path: str = "/hooks/receptionist") -> None:
        self.secret = secret
        self.path = path
        self.requests: list[ReceivedRequest] = []
        self._script: list[int] = []
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def delivered(self) -> list[ReceivedRequest]:
        """Requests answered 2xx."""
        return [r for r in self.requests if 200 <= r.status < 300]

    def respond(self, status: int, *, times: int = 1) -> None:
        self._script.extend([status] * times)

    def fail(self, *, times: int = 1) -> None:
        self.respond(500, times=times)

    def hang(self, *, times: int = 1) -> None:
        self._script.extend([_HANG] * times)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        header = request.headers.get("X-Receptionist-Signature", "")
        verified = verify_signature(self.secret, header, body)
        scripted = self._script.pop(0) if self._script else None
        status = scripted if scripted is not None else (200 if verified else 401)
        self.requests.append(
            ReceivedRequest(request.path, dict(request.headers), body, verified, max(status, 0))
        )
        if status == _HANG:
            await self._stopping.wait()
        return web.json_response({"ok": 200 <= status < 300}, status=max(status, 200))

    async def start(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> WebhookReceiver:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
