"""The browser softphone: a WebSocket carrying raw PCM both ways, served as a line.

The page asks ``POST /softphone/token`` for a signed, single-use token naming the business, then opens
``/softphone/ws?token=...``. On the socket:

- binary frames, both ways: 16-bit little-endian mono PCM at 16 kHz (browser → caller audio, server →
  the receptionist's voice, faster than real time: the page schedules it);
- text frames from the page, JSON: ``{"type": "dtmf", "digit": "0"}``, ``{"type": "hangup"}``;
- text frames to the page, JSON: ``started`` (call_id, sample_rate, business), ``clear`` (barge-in: stop
  playing what was sent), ``segment_end``, ``transcript`` (role, text), ``error`` (message; the frame
  was dropped), ``busy`` (at capacity, then the socket closes with 1013) and ``ended`` (outcome, call_id).

At capacity the caller is told so at once (``busy``) instead of being queued: a browser caller can try
again or phone, and a held socket would only keep a line's worth of memory busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from receptionist.calls import CallSummary
from receptionist.telephony.media_stream import (
    NORMAL,
    POLICY_VIOLATION,
    SERVER_ERROR,
    TRY_AGAIN_LATER,
    SocketClosed,
    run_until_ended,
)
from receptionist.telephony.switchboard import LineBusy, Switchboard, UnknownTenant
from receptionist.telephony.tokens import BadToken, TokenSigner
from receptionist.voice.audio_io import CallerAudio, ReceptionistAudio
from receptionist.voice.session import VoiceCall

log = logging.getLogger(__name__)

PURPOSE = "softphone"
SAMPLE_RATE = 16_000
DIGITS = frozenset("0123456789*#")
BUSY_MESSAGE = "All our lines are busy right now. Please try again in a few minutes."


class AudioSocket(Protocol):
    """A WebSocket with text and binary frames; ``receive`` raises ``SocketClosed`` once it is gone."""

    async def receive(self) -> str | bytes: ...

    async def send_text(self, data: str) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...

    async def close(self, code: int = NORMAL, reason: str = "") -> None: ...


@dataclass(frozen=True, kw_only=True)
class SoftphoneOptions:
    """Limits of one softphone socket."""

    max_frame_bytes: int = 32_000  # 1 s of 16 kHz PCM per binary frame; browsers send 20–130 ms
    max_text_chars: int = 1_024
    max_bad_messages: int = 50  # in a row, then the call ends
    max_backlog_s: float = 5.0  # caller audio queued beyond this is dropped
    silence_timeout_s: float | None = 60.0
    transcript_interval_s: float = 0.25


class SoftphoneSink:
    """An :class:`~receptionist.voice.audio_io.AudioSink` that sends PCM and playback events to the page."""

    def __init__(self, ws: AudioSocket) -> None:
        self._ws = ws
        self._lock = asyncio.Lock()
        self.closed = False

    async def play(self, pcm: bytes) -> None:
        await self._send(pcm)

    async def clear(self) -> None:
        await self.event("clear")

    async def segment_end(self) -> None:
        await self.event("segment_end")

    async def event(self, kind: str, **fields: Any) -> None:
        await self._send(json.dumps({"type": kind, **fields}))

    async def _send(self, data: str | bytes) -> None:
        if self.closed:
            return
        try:
            async with self._lock:
                if isinstance(data, bytes):
                    await self._ws.send_bytes(data)
                else:
                    await self._ws.send_text(data)
        except SocketClosed:
            self.closed = True


async def serve_softphone(
    ws: AudioSocket,
    switchboard: Switchboard,
    signer: TokenSigner,
    token: str | None,
    *,
    options: SoftphoneOptions | None = None,
) -> CallSummary | None:
    """Serve one accepted softphone socket until the call ends; the stored call's summary, or None if
    the call was refused (bad token, at capacity)."""
    opts = options or SoftphoneOptions()
    sink = SoftphoneSink(ws)
    try:
        grant = signer.verify(token, PURPOSE)
    except BadToken as e:
        log.warning("refused a softphone socket: %s", e)
        await sink.event("error", message="invalid or expired token")
        await _close(ws, POLICY_VIOLATION, "invalid token")
        return None
    caller = CallerAudio(SAMPLE_RATE, label=f"softphone:{grant.ref}")
    output = ReceptionistAudio(sink, SAMPLE_RATE)
    try:
        line = await switchboard.answer(
            grant.tenant_id,
            caller=caller,
            output=output,
            caller_number=grant.caller,
            dialled_number=grant.dialled,
            channel="softphone",
        )
    except LineBusy:
        await sink.event("busy", message=BUSY_MESSAGE)
        await _close(ws, TRY_AGAIN_LATER, "all lines busy")
        return None
    except UnknownTenant:
        await sink.event("error", message="no such business")
        await _close(ws, POLICY_VIOLATION, "no such business")
        return None
    except Exception:
        log.exception("softphone call %s could not be answered", grant.ref)
        await sink.event("error", message="the call could not be answered")
        await _close(ws, SERVER_ERROR, "could not answer")
        return None
    business = switchboard.receptionist.tenant(grant.tenant_id).profile.name
    await sink.event("started", call_id=line.call_id, sample_rate=SAMPLE_RATE, business=business)
    transcript = _Transcript(line, sink)
    following = asyncio.create_task(transcript.follow(opts.transcript_interval_s))
    try:
        ended_by = await run_until_ended(
            line, _read(ws, line, caller, sink, opts), silence_timeout_s=opts.silence_timeout_s
        )
    finally:
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following
    summary = await line.finished()
    await transcript.flush()
    call = line.conversation.call
    log.info("softphone call %s ended by the %s", line.call_id, ended_by)
    await sink.event("ended", call_id=line.call_id, outcome=call.outcome.value if call.outcome else None)
    await _close(ws, NORMAL, "call ended")
    return summary


async def _read(
    ws: AudioSocket, line: VoiceCall, caller: CallerAudio, sink: SoftphoneSink, opts: SoftphoneOptions
) -> None:
    bad = 0
    max_backlog = int(opts.max_backlog_s * 50)
    while bad < opts.max_bad_messages:
        try:
            data = await ws.receive()
        except SocketClosed:
            return
        problem = _audio_problem(data, opts) if isinstance(data, bytes) else None
        if isinstance(data, bytes) and problem is None:
            bad = 0
            if caller.backlog <= max_backlog:
                caller.push(data)
            continue
        if isinstance(data, str):
            command, problem = _command(data, opts)
            if command == "hangup":
                return
            if command is not None:
                bad = 0
                await line.press(command)
                continue
        bad += 1
        log.warning("softphone call %s: dropped a frame: %s", line.call_id, problem)
        await sink.event("error", message=problem)
    log.warning("softphone call %s: %d bad frames in a row; ending the call", line.call_id, bad)


def _audio_problem(data: bytes, opts: SoftphoneOptions) -> str | None:
    if not data:
        return "empty audio frame"
    if len(data) % 2:
        return f"audio frames are 16-bit PCM: an even number of bytes, got {len(data)}"
    if len(data) > opts.max_frame_bytes:
        return f"audio frame of {len(data)} bytes; at most {opts.max_frame_bytes}"
    return None


def _command(text: str, opts: SoftphoneOptions) -> tuple[str | None, str]:
    """``("hangup", "")``, ``(digit, "")`` or ``(None, what is wrong)``."""
    if len(text) > opts.max_text_chars:
        return None, f"control message of {len(text)} characters; at most {opts.max_text_chars}"
    try:
        message = json.loads(text)
    except ValueError:
        return None, "control messages are JSON objects"
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "hangup":
        return "hangup", ""
    if kind == "dtmf":
        digit = message.get("digit")
        if isinstance(digit, str) and digit in DIGITS and len(digit) == 1:
            return digit, ""
        return None, "dtmf needs one digit of 0-9, * or #"
    return None, f"unknown control message type {kind!r}"


@dataclass
class _Transcript:
    """Sends the call's turns to the page as they are recorded."""

    line: VoiceCall
    sink: SoftphoneSink
    sent: int = 0

    async def flush(self) -> None:
        turns = self.line.conversation.call.turns
        while self.sent < len(turns):
            turn = turns[self.sent]
            self.sent += 1
            await self.sink.event("transcript", role=turn.role.value, text=turn.text)

    async def follow(self, interval_s: float) -> None:
        while True:
            await self.flush()
            await asyncio.sleep(interval_s)


async def _close(ws: AudioSocket, code: int, reason: str) -> None:
    with contextlib.suppress(SocketClosed):
        await ws.close(code, reason)
