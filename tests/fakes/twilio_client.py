"""A Twilio Media Streams client that behaves like Twilio on a bidirectional ``<Connect><Stream>``.

It sends ``connected`` and ``start`` (streamSid, callSid, accountSid, tracks, customParameters with the
token, mediaFormat audio/x-mulaw 8000 Hz mono), then the caller's audio as 20 ms base64 µ-law ``media``
messages paced in real time, with string ``sequenceNumber``/``chunk``/``timestamp`` as Twilio sends them.
What the server sends back is played in real time: a ``mark`` is echoed once the audio queued before it
has played, ``clear`` drops the unplayed audio and echoes the pending marks at once. Every outbound
message is kept with its arrival time, and the audio as decoded PCM (received, and actually played).

:meth:`FakeTwilioCall.speak` is turn-aware, as a caller is: it streams one turn, then keeps the line open
with silence until the receptionist's answer has finished playing.

:func:`running_server` serves an ASGI app with uvicorn on 127.0.0.1 (a random port) in the test's loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from receptionist.telephony import mulaw

RATE = 8_000
FRAME_SAMPLES = 160  # 20 ms
FRAME_S = 0.02


@dataclass(frozen=True)
class Outbound:
    """One message the server sent, with its arrival time (``time.monotonic()``)."""

    at: float
    message: dict[str, Any]

    @property
    def event(self) -> str:
        return str(self.message.get("event"))


@dataclass
class FakeTwilioCall:
    """One call's Media Streams socket, as Twilio would drive it."""

    url: str
    token: str | None = None
    call_sid: str = "CA" + "0" * 32
    account_sid: str = "AC" + "1" * 32
    stream_sid: str = "MZ" + "2" * 32
    media_format: dict[str, Any] = field(
        default_factory=lambda: {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
    )
    extra_parameters: dict[str, str] = field(default_factory=dict)

    outbound: list[Outbound] = field(default_factory=list)
    played: list[npt.NDArray[np.int16]] = field(default_factory=list)  # audio that finished playing
    marks_echoed: list[str] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    turn_ends: list[float] = field(default_factory=list)  # when each ``speak`` turn was fully sent
    turn_starts: list[float] = field(default_factory=list)  # when each one's first frame went out

    _ws: ClientConnection | None = None
    _seq: int = 0
    _chunk: int = 0
    _t0: float = 0.0
    _next_frame: float = 0.0
    _queue: deque[tuple[str, Any]] = field(default_factory=deque)  # ("media", pcm) | ("mark", name)
    _queued: asyncio.Event = field(default_factory=asyncio.Event)
    _playing_until: float = 0.0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    # -- connection ------------------------------------------------------------------------------------

    async def connect(self, *, start: bool = True) -> FakeTwilioCall:
        self._ws = await connect(self.url, max_size=2**20)
        self._tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._play())]
        if start:
            await self.start()
        return self

    async def __aenter__(self) -> FakeTwilioCall:
        return await self.connect()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """``connected`` then ``start``; the media clock starts now."""
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        params = dict(self.extra_parameters)
        if self.token is not None:
            params["token"] = self.token
        self._t0 = self._next_frame = time.monotonic()
        await self.send(
            {
                "event": "start",
                "sequenceNumber": self._next_seq(),
                "start": {
                    "accountSid": self.account_sid,
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "mediaFormat": self.media_format,
                    "customParameters": params,
                },
                "streamSid": self.stream_sid,
            }
        )

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                await self._ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drop(self) -> None:
        """The connection dies without a close frame or ``stop`` (a network failure)."""
        assert self._ws is not None
        self._ws.transport.abort()
        await asyncio.wait_for(self.closed.wait(), 5)

    # -- what the caller does --------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(json.dumps(message))

    async def send_raw(self, text: str) -> None:
        assert self._ws is not None
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(text)

    async def stream(self, pcm: npt.NDArray[np.int16]) -> float:
        """Send 8 kHz PCM as µ-law media frames in real time; returns when the first frame went out."""
        first = time.monotonic()
        for start in range(0, pcm.size, FRAME_SAMPLES):
            if self.closed.is_set():
                break
            frame = pcm[start : start + FRAME_SAMPLES]
            if frame.size < FRAME_SAMPLES:
                frame = np.concatenate([frame, np.zeros(FRAME_SAMPLES - frame.size, dtype=np.int16)])
            sent = await self._send_frame(mulaw.encode(frame))
            if start == 0:
                first = sent
        return first

    async def silence(self, seconds: float) -> None:
        await self.stream(np.zeros(round(seconds * RATE), dtype=np.int16))

    async def speak(
        self, pcm: npt.NDArray[np.int16], *, settle_s: float = 1.0, timeout: float = 45.0
    ) -> bool:
        """One caller turn, then silence until the reply has played and the line stayed quiet for
        ``settle_s``. False if no reply came within ``timeout`` (or the call ended)."""
        self.turn_starts.append(await self.stream(pcm))
        return await self._await_reply(settle_s=settle_s, timeout=timeout)

    async def key_in(
        self, keys: str, *, gap_s: float = 0.3, settle_s: float = 1.0, timeout: float = 45.0
    ) -> bool:
        """Press ``keys`` on the keypad (DTMF, with the line open between them), then wait for the reply
        as :meth:`speak` does."""
        self.turn_starts.append(time.monotonic())
        for key in keys:
            await self.dtmf(key)
            await self.silence(gap_s)
        return await self._await_reply(settle_s=settle_s, timeout=timeout)

    async def _await_reply(self, *, settle_s: float, timeout: float) -> bool:
        turn_end = time.monotonic()
        self.turn_ends.append(turn_end)
        deadline = turn_end + timeout
        while not self.closed.is_set() and time.monotonic() < deadline:
            await self.silence(0.1)
            replied = any(o.at > turn_end for o in self.outbound if o.event == "media")
            if replied and not self.playing and time.monotonic() - self._playing_until >= settle_s:
                return True
        return False

    async def wait_for_audio(self, *, timeout: float = 60.0, keep_line_open: bool = True) -> float:
        """Stream silence until the server sends its first audio (the greeting); its arrival time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.closed.is_set():
            media = [o.at for o in self.outbound if o.event == "media"]
            if media:
                return media[0]
            if keep_line_open:
                await self.silence(0.1)
            else:
                await asyncio.sleep(0.05)
        raise TimeoutError("no audio from the receptionist")

    async def wait_for_audio_after(self, count: int, *, timeout: float = 60.0) -> None:
        """Stream silence until more than ``count`` media messages have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.events("media")) <= count:
            if time.monotonic() > deadline or self.closed.is_set():
                raise TimeoutError("no new audio from the receptionist")
            await self.silence(0.1)

    async def wait_until_quiet(self, *, settle_s: float = 1.0, timeout: float = 60.0) -> None:
        """Stream silence until everything sent has played and nothing more came for ``settle_s``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.closed.is_set():
            await self.silence(0.1)
            if not self.playing and time.monotonic() - self._playing_until >= settle_s:
                return

    async def dtmf(self, digit: str) -> None:
        await self.send(
            {
                "event": "dtmf",
                "streamSid": self.stream_sid,
                "sequenceNumber": self._next_seq(),
                "dtmf": {"track": "inbound_track", "digit": digit},
            }
        )

    async def stop(self) -> None:
        """The caller hangs up: Twilio sends ``stop`` and the server closes the socket."""
        await self.send(
            {
                "event": "stop",
                "sequenceNumber": self._next_seq(),
                "streamSid": self.stream_sid,
                "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
            }
        )

    # -- what was received ---------------------------------------------------------------------------------

    def events(self, kind: str) -> list[Outbound]:
        return [o for o in self.outbound if o.event == kind]

    def media_payloads(self) -> list[bytes]:
        return [base64.b64decode(o.message["media"]["payload"], validate=True) for o in self.events("media")]

    def received_audio(self) -> npt.NDArray[np.int16]:
        """Everything the server sent, decoded (cleared audio included)."""
        payloads = self.media_payloads()
        return mulaw.decode(b"".join(payloads)) if payloads else np.zeros(0, dtype=np.int16)

    def played_audio(self) -> npt.NDArray[np.int16]:
        return np.concatenate(self.played) if self.played else np.zeros(0, dtype=np.int16)

    def reply_delays(self) -> list[float]:
        """For each caller turn: seconds from its last frame sent to the next audio received."""
        media = [o.at for o in self.events("media")]
        return [next((at - end for at in media if at > end), float("nan")) for end in self.turn_ends]

    def timeline(self) -> list[str]:
        """What happened on the line, in seconds from the start: caller turns, bursts of reply audio
        (arrivals less than 0.5 s apart) and clears. For reading a failed call."""
        events = [
            (s, f"caller {s - self._t0:7.2f}-{e - self._t0:.2f} s")
            for s, e in zip(self.turn_starts, self.turn_ends, strict=False)
        ]
        media = [o.at for o in self.events("media")]
        start = prev = None
        for at in [*media, None]:
            if start is not None and prev is not None and (at is None or at - prev > 0.5):
                events.append((start, f"  reply {start - self._t0:7.2f}-{prev - self._t0:.2f} s (arrival)"))
                start = None
            if at is not None:
                start = at if start is None else start
                prev = at
        events += [(c, f"  clear {c - self._t0:7.2f} s") for c in self.clears]
        return [text for _, text in sorted(events)]

    @property
    def playing(self) -> bool:
        return bool(self._queue) or time.monotonic() < self._playing_until

    async def wait_closed(self, timeout: float = 60.0) -> None:
        await asyncio.wait_for(self.closed.wait(), timeout)

    # -- internals -------------------------------------------------------------------------------------------

    def _next_seq(self) -> str:
        self._seq += 1
        return str(self._seq)

    async def _send_frame(self, payload: bytes) -> float:
        now = time.monotonic()
        if self._next_frame < now - 0.2:  # fell behind (a slow event loop): carry on from now
            self._next_frame = now
        if self._next_frame > now:
            await asyncio.sleep(self._next_frame - now)
        self._chunk += 1
        sent = time.monotonic()
        await self.send(
            {
                "event": "media",
                "sequenceNumber": self._next_seq(),
                "media": {
                    "track": "inbound",
                    "chunk": str(self._chunk),
                    "timestamp": str(round((self._next_frame - self._t0) * 1000)),
                    "payload": base64.b64encode(payload).decode("ascii"),
                },
                "streamSid": self.stream_sid,
            }
        )
        self._next_frame += FRAME_S
        return sent

    async def _receive(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                self.outbound.append(Outbound(time.monotonic(), message))
                event = message.get("event")
                if event == "media":
                    pcm = mulaw.decode(base64.b64decode(message["media"]["payload"], validate=True))
                    self._enqueue(("media", pcm))
                elif event == "mark":
                    self._enqueue(("mark", message["mark"]["name"]))
                elif event == "clear":
                    self.clears.append(time.monotonic())
                    pending = [item[1] for item in self._queue if item[0] == "mark"]
                    self._queue.clear()
                    self._playing_until = time.monotonic()
                    for name in pending:
                        await self._echo_mark(name)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._ws.close_code
            self.close_reason = self._ws.close_reason
            self.closed.set()

    def _enqueue(self, item: tuple[str, Any]) -> None:
        self._queue.append(item)
        self._queued.set()

    async def _play(self) -> None:
        """Play the outbound queue in real time: 20 ms per frame; marks echo when reached."""
        while True:
            while not self._queue:
                self._queued.clear()
                await self._queued.wait()
            kind, value = self._queue.popleft()
            if kind == "mark":
                await self._echo_mark(value)
                continue
            cleared = len(self.clears)
            self._playing_until = max(time.monotonic(), self._playing_until) + value.size / RATE
            await asyncio.sleep(max(0.0, self._playing_until - time.monotonic()))
            if len(self.clears) == cleared:  # not cut off by a clear meanwhile
                self.played.append(value)

    async def _echo_mark(self, name: str) -> None:
        self.marks_echoed.append(name)
        await self.send(
            {
                "event": "mark",
                "sequenceNumber": self._next_seq(),
                "streamSid": self.stream_sid,
                "mark": {"name": name},
            }
        )


@dataclass
class RunningServer:
    host: str
    port: int

    @property
    def http(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://{self.host}:{self.port}"


@contextlib.asynccontextmanager
async def running_server(app: Any) -> AsyncIterator[RunningServer]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in this event loop."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", ws="websockets-sansio", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield RunningServer("127.0.0.1", port)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
