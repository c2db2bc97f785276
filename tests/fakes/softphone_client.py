"""A browser softphone's side of ``/softphone/ws``: espeak-ng speech sent in 20 ms frames in real time, as
the page's AudioWorklet does; what comes back is played on a real-time clock (``clear`` stops it)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

RATE = 16_000
FRAME = RATE // 50  # 20 ms


@dataclass
class Browser:
    """The softphone page's side of the socket."""

    ws: ClientConnection
    audio: list[bytes] = field(default_factory=list)
    audio_at: list[float] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _playing_until: float = 0.0
    _next: float = 0.0
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._receive())

    async def _receive(self) -> None:
        try:
            async for message in self.ws:
                now = time.monotonic()
                if isinstance(message, bytes):
                    self.audio.append(message)
                    self.audio_at.append(now)
                    self._playing_until = max(now, self._playing_until) + len(message) / 2 / RATE
                else:
                    event = json.loads(message)
                    self.events.append(event)
                    if event["type"] == "clear":
                        self._playing_until = now
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    async def send_pcm(self, pcm: npt.NDArray[np.int16]) -> None:
        """20 ms frames in real time, as the page's worklet posts them."""
        self._next = max(self._next, time.monotonic())
        for start in range(0, pcm.size, FRAME):
            if self.closed.is_set():
                return
            await asyncio.sleep(max(0.0, self._next - time.monotonic()))
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(pcm[start : start + FRAME].tobytes())
            self._next += 0.02

    async def quiet(self, seconds: float) -> None:
        await self.send_pcm(np.zeros(round(seconds * RATE), dtype=np.int16))

    async def speak(self, pcm: npt.NDArray[np.int16], *, settle_s: float = 1.0, timeout: float = 45) -> bool:
        """One turn, then the microphone's silence until the reply has played."""
        await self.send_pcm(pcm)
        said_at = time.monotonic()
        while not self.closed.is_set() and time.monotonic() < said_at + timeout:
            await self.quiet(0.1)
            answered = any(at > said_at for at in self.audio_at)
            if answered and time.monotonic() > self._playing_until + settle_s:
                return True
        return False

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def next_event(self, kind: str, *, after: int = 0, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(kind)[after:]
            if found:
                return found[0]
            await self.quiet(0.05)
        raise TimeoutError(f"no {kind} event")
