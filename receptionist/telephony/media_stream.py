"""A Twilio Media Streams call: the WebSocket Twilio opens after ``<Connect><Stream>``, served as a line.

Twilio sends ``connected`` then ``start`` (with the signed token the webhook put in the TwiML), then the
caller's audio as 20 ms base64 µ-law ``media`` messages, ``dtmf`` keys, ``mark`` echoes and finally
``stop``. The receptionist's voice goes back as 20 ms ``media`` frames; each reply ends with a ``mark``
(Twilio echoes it once the reply has played) and barge-in sends ``clear``.

The socket is anything with ``receive_text`` / ``send_text`` / ``close`` (:class:`TextSocket`), so the
protocol is served the same way by the web route and by tests. A malformed message is logged, counted
and ignored; only a long run of them ends the call. However the socket ends (``stop``, a dropped
connection, too many bad messages, a silent caller), the line is hung up so the call is stored with an
outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from receptionist.calls import CallSummary
from receptionist.telephony import mulaw
from receptionist.telephony.switchboard import LineBusy, Switchboard, UnknownTenant
from receptionist.telephony.tokens import BadToken, TokenSigner
from receptionist.telephony.twilio import (
    DEFAULT_MAX_PAYLOAD_BYTES,
    FRAME_BYTES,
    SAMPLE_RATE,
    Connected,
    Dtmf,
    Mark,
    Media,
    ProtocolError,
    Start,
    Stop,
    clear_message,
    iter_frames,
    mark_message,
    media_message,
    parse_message,
)
from receptionist.voice.audio_io import CallerAudio, ReceptionistAudio, pcm16
from receptionist.voice.session import VoiceCall

log = logging.getLogger(__name__)

PURPOSE = "twilio"
"""The token purpose the webhook issues and this endpoint accepts."""

# WebSocket close codes (RFC 6455 §7.4.1)
NORMAL = 1000
UNSUPPORTED_DATA = 1003
POLICY_VIOLATION = 1008
SERVER_ERROR = 1011
TRY_AGAIN_LATER = 1013


class SocketClosed(ConnectionError):
    """The other end of the WebSocket has gone (or the socket was closed)."""


class TextSocket(Protocol):
    """The three WebSocket operations a Media Streams call needs. ``receive_text`` raises
    :class:`SocketClosed` once the connection is gone; so may ``send_text``."""

    async def receive_text(self) -> str: ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = NORMAL, reason: str = "") -> None: ...


@dataclass(frozen=True, kw_only=True)
class StreamOptions:
    """Limits of one Media Streams socket."""

    start_timeout_s: float = 10.0  # ``start`` (with the token) must arrive by then
    max_message_chars: int = 64_000  # anything longer is malformed without being parsed
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES  # decoded media per message (Twilio sends 160)
    max_bad_messages: int = 50  # this many malformed messages in a row end the call
    max_backlog_s: float = 5.0  # caller audio queued beyond this (a client faster than real time) is dropped
    silence_timeout_s: float | None = 60.0  # the caller saying nothing this long ends the call
    drain_timeout_s: float = 5.0  # after the goodbye, wait this long for Twilio to confirm it played


# -- the receptionist's side: PCM to Twilio ------------------------------------------------------------


class TwilioSink:
    """An :class:`~receptionist.voice.audio_io.AudioSink` for a bidirectional stream: 8 kHz PCM becomes
    160-byte µ-law ``media`` frames; each segment ends with a ``mark``; barge-in sends ``clear``."""

    def __init__(self, ws: TextSocket, stream_sid: str) -> None:
        self._ws = ws
        self.stream_sid = stream_sid
        self._partial = b""  # µ-law bytes short of a whole frame
        self._send_lock = asyncio.Lock()
        self._unplayed: set[str] = set()
        self._all_played = asyncio.Event()
        self._all_played.set()
        self._marks = 0
        self.frames_sent = 0
        self.clears_sent = 0
        self.closed = False

    async def play(self, pcm: bytes) -> None:
        data = self._partial + mulaw.encode(pcm16(pcm))
        whole = len(data) // FRAME_BYTES * FRAME_BYTES
        self._partial = data[whole:]
        for frame in iter_frames(data[:whole]):
            await self._send(media_message(self.stream_sid, frame))
            self.frames_sent += 1

    async def clear(self) -> None:
        self._partial = b""
        self.clears_sent += 1
        await self._send(clear_message(self.stream_sid))  # Twilio echoes the pending marks

    async def segment_end(self) -> None:
        if self._partial:
            frame, self._partial = next(iter_frames(self._partial)), b""  # padded with silence
            await self._send(media_message(self.stream_sid, frame))
            self.frames_sent += 1
        self._marks += 1
        name = f"segment-{self._marks}"
        self._unplayed.add(name)
        self._all_played.clear()
        await self._send(mark_message(self.stream_sid, name))

    def played(self, name: str) -> None:
        """Twilio echoed the mark ``name``: everything sent before it has played (or was cleared)."""
        self._unplayed.discard(name)
        if not self._unplayed:
            self._all_played.set()

    @property
    def unplayed_marks(self) -> int:
        return len(self._unplayed)

    async def drained(self, timeout: float) -> bool:  # noqa: ASYNC109 (a bound, not a cancel scope)
        """Wait until Twilio has played everything sent; False if it did not confirm within ``timeout``."""
        if self.closed:
            return False
        try:
            await asyncio.wait_for(self._all_played.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _send(self, text: str) -> None:
        if self.closed:
            return
        try:
            async with self._send_lock:
                await self._ws.send_text(text)
        except SocketClosed:
            self.closed = True  # the caller has gone; the reader sees it too and hangs the line up


# -- lines the webhook holds for streams on their way --------------------------------------------------


class Reservations:
    """Lines reserved by the webhook for calls whose media stream has not connected yet.

    A reservation is claimed by the stream (keyed by Twilio's CallSid) or released after ``timeout_s``,
    so a stream that never comes cannot keep a line busy for ever.
    """

    def __init__(self, switchboard: Switchboard, *, timeout_s: float) -> None:
        self._switchboard = switchboard
        self.timeout_s = timeout_s
        self._held: dict[str, asyncio.TimerHandle] = {}

    def hold(self, ref: str) -> None:
        """Reserve a line for ``ref`` (again: the timer restarts); raises ``LineBusy`` at capacity."""
        existing = self._held.pop(ref, None)
        if existing is not None:
            existing.cancel()
        else:
            self._switchboard.reserve()
        loop = asyncio.get_running_loop()
        self._held[ref] = loop.call_later(self.timeout_s, self._expire, ref)

    def claim(self, ref: str) -> bool:
        """The stream for ``ref`` arrived: True if a line was reserved for it (now the caller's to use)."""
        handle = self._held.pop(ref, None)
        if handle is None:
            return False
        handle.cancel()
        return True

    def release(self, ref: str) -> None:
        if self.claim(ref):
            self._switchboard.release()

    def _expire(self, ref: str) -> None:
        if self._held.pop(ref, None) is not None:
            log.warning(
                "no media stream for call %s within %.0f s; its line is free again", ref, self.timeout_s
            )
            self._switchboard.release()

    def __len__(self) -> int:
        return len(self._held)


# -- running a line while a socket reads -----------------------------------------------------------------


async def run_until_ended(
    line: VoiceCall,
    reader: Coroutine[Any, Any, None],
    *,
    silence_timeout_s: float | None,
    drain: Callable[[], Awaitable[object]] | None = None,
) -> str:
    """Read the caller's socket until the caller goes, the call ends, or the caller stays silent for
    ``silence_timeout_s``; the line is then hung up (if it is still up) and stored. Returns who ended it:
    ``"caller"``, ``"receptionist"`` or ``"silence"``. ``drain`` runs, with the reader still reading,
    when the receptionist ended the call (so its goodbye is heard before the socket closes)."""
    reading = asyncio.create_task(reader, name=f"read-{line.call_id}")
    stored = asyncio.create_task(line.finished(), name=f"stored-{line.call_id}")
    tasks: set[asyncio.Task[Any]] = {reading, stored}
    if silence_timeout_s is not None:
        tasks.add(asyncio.create_task(_silence(line, silence_timeout_s), name=f"silence-{line.call_id}"))
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if stored in done:
            ended_by = "receptionist"
            if drain is not None:
                await drain()
        else:
            ended_by = "caller" if reading in done else "silence"
            if ended_by == "silence":
                log.info(
                    "call %s: the caller said nothing for %.0f s; hanging up", line.call_id, silence_timeout_s
                )
            line.hang_up()
            await stored
    finally:
        line.hang_up()  # a no-op unless this coroutine was cancelled
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if reading.done() and not reading.cancelled() and reading.exception() is not None:
        log.error("reading the socket of call %s failed", line.call_id, exc_info=reading.exception())
    return ended_by


async def _silence(line: VoiceCall, limit_s: float) -> None:
    """Return once the caller has said nothing for ``limit_s`` while the receptionist listened (a caller
    holding for a person is waiting, not silent)."""
    since = time.monotonic()  # the clock ``VoiceCall.idle_for`` counts in
    while True:
        idle = 0.0 if line.conversation.held is not None else line.idle_for(since=since)
        if idle >= limit_s:
            return
        # idle time is derived from the session's states: there is no event to wait on, so poll
        await asyncio.sleep(max(0.1, min(0.5, limit_s - idle)))


# -- the Media Streams socket ------------------------------------------------------------------------------


@dataclass
class StreamStats:
    """What happened on one socket, logged when it ends."""

    media: int = 0
    bad: int = 0
    consecutive_bad: int = 0
    dropped: int = 0
    dtmf: int = 0

    def malformed(self, stream: str, reason: str) -> None:
        self.bad += 1
        self.consecutive_bad += 1
        if self.bad <= 10 or self.bad % 100 == 0:
            log.warning("stream %s: ignoring malformed message #%d: %s", stream, self.bad, reason)


class _TooManyBad(Exception):
    pass


async def serve_twilio_stream(
    ws: TextSocket,
    switchboard: Switchboard,
    signer: TokenSigner,
    *,
    reservations: Reservations | None = None,
    options: StreamOptions | None = None,
) -> CallSummary | None:
    """Serve one accepted Media Streams WebSocket until the call ends; the stored call's summary, or
    None if the stream was refused (no/bad token, wrong audio format, at capacity)."""
    opts = options or StreamOptions()
    stats = StreamStats()
    try:
        start = await asyncio.wait_for(_await_start(ws, opts, stats), opts.start_timeout_s)
    except TimeoutError:
        await _close(ws, POLICY_VIOLATION, "no start message")
        return None
    except (SocketClosed, _TooManyBad):
        await _close(ws, POLICY_VIOLATION, "no start message")
        return None
    if start is None:  # stopped before it started
        await _close(ws, NORMAL, "stopped")
        return None
    try:
        grant = signer.verify(start.custom_parameters.get("token"), PURPOSE)
    except BadToken as e:
        log.warning("refused Twilio stream %s of call %s: %s", start.stream_sid, start.call_sid, e)
        await _close(ws, POLICY_VIOLATION, "invalid token")
        return None
    reserved = reservations.claim(grant.ref) if reservations is not None else False
    refusal = _refusal(start, grant.ref)
    if refusal is not None:
        log.warning("refused Twilio stream %s of call %s: %s", start.stream_sid, start.call_sid, refusal)
        if reserved:
            switchboard.release()
        await _close(ws, UNSUPPORTED_DATA if "format" in refusal else POLICY_VIOLATION, refusal)
        return None
    caller = CallerAudio(SAMPLE_RATE, label=f"twilio:{start.call_sid}")
    sink = TwilioSink(ws, start.stream_sid)
    output = ReceptionistAudio(sink, SAMPLE_RATE)
    try:
        line = await switchboard.answer(
            grant.tenant_id,
            caller=caller,
            output=output,
            caller_number=grant.caller,
            dialled_number=grant.dialled,
            channel="twilio",
            reserved=reserved,
        )
    except (LineBusy, UnknownTenant) as e:
        log.warning("Twilio call %s not answered: %s", start.call_sid, e)
        await _close(ws, TRY_AGAIN_LATER if isinstance(e, LineBusy) else POLICY_VIOLATION, str(e)[:120])
        return None
    except Exception:
        log.exception("Twilio call %s could not be answered", start.call_sid)
        await _close(ws, SERVER_ERROR, "could not answer")
        return None
    log.info("Twilio call %s (stream %s) is call %s", start.call_sid, start.stream_sid, line.call_id)
    reader = _read_stream(ws, line, caller, sink, start.stream_sid, opts, stats)
    ended_by = await run_until_ended(
        line,
        reader,
        silence_timeout_s=opts.silence_timeout_s,
        drain=lambda: sink.drained(opts.drain_timeout_s),
    )
    summary = await line.finished()
    log.info(
        "Twilio call %s ended by the %s: %d media messages, %d malformed, %d dropped, %d keys",
        start.call_sid, ended_by, stats.media, stats.bad, stats.dropped, stats.dtmf,
    )  # fmt: skip
    reason = "too many malformed messages" if stats.consecutive_bad >= opts.max_bad_messages else "call ended"
    await _close(ws, POLICY_VIOLATION if reason != "call ended" else NORMAL, reason)
    return summary


def _refusal(start: Start, ref: str) -> str | None:
    if ref != start.call_sid:
        return f"the token was issued for call {ref}, not {start.call_sid}"
    fmt = start.media_format
    if not fmt.is_mulaw_8k_mono:
        return (
            f"unsupported media format {fmt.encoding} {fmt.sample_rate} Hz x{fmt.channels} "
            "(expected audio/x-mulaw 8000 Hz mono)"
        )
    return None


async def _await_start(ws: TextSocket, opts: StreamOptions, stats: StreamStats) -> Start | None:
    while True:
        message = _parse(await ws.receive_text(), opts, stats, "-")
        if isinstance(message, Start):
            stats.consecutive_bad = 0
            return message
        if isinstance(message, Stop):
            return None
        if message is not None and not isinstance(message, Connected):
            stats.malformed("-", f"{type(message).__name__.lower()} before start")
        if stats.consecutive_bad >= opts.max_bad_messages:
            raise _TooManyBad


async def _read_stream(
    ws: TextSocket,
    line: VoiceCall,
    caller: CallerAudio,
    sink: TwilioSink,
    stream_sid: str,
    opts: StreamOptions,
    stats: StreamStats,
) -> None:
    """Caller audio and keys into the line until ``stop``, a dropped socket or too many bad messages."""
    max_backlog = int(opts.max_backlog_s * 50)  # 20 ms frames
    while stats.consecutive_bad < opts.max_bad_messages:
        try:
            text = await ws.receive_text()
        except SocketClosed:
            log.info("stream %s: the socket closed without a stop message", stream_sid)
            return
        message = _parse(text, opts, stats, stream_sid)
        if message is None:
            continue
        other = getattr(message, "stream_sid", stream_sid)
        if other != stream_sid:
            stats.malformed(stream_sid, f"message for another stream {other!r}")
            continue
        if isinstance(message, Media):
            stats.consecutive_bad = 0
            if message.track != "inbound":
                continue
            stats.media += 1
            if caller.backlog > max_backlog:
                stats.dropped += 1  # faster than real time: the session cannot keep up, keep it current
                continue
            caller.push(mulaw.decode(message.payload))
        elif isinstance(message, Mark):
            stats.consecutive_bad = 0
            sink.played(message.name)
        elif isinstance(message, Dtmf):
            stats.consecutive_bad = 0
            stats.dtmf += 1
            await line.press(message.digit)
        elif isinstance(message, Stop):
            return
        else:  # a second connected/start
            stats.malformed(stream_sid, f"unexpected {type(message).__name__.lower()} mid-stream")
    log.warning(
        "stream %s: %d malformed messages in a row; ending the call", stream_sid, stats.consecutive_bad
    )


def _parse(
    text: str, opts: StreamOptions, stats: StreamStats, stream_sid: str
) -> Connected | Start | Media | Mark | Dtmf | Stop | None:
    if len(text) > opts.max_message_chars:
        stats.malformed(stream_sid, f"message of {len(text)} characters")
        return None
    try:
        return parse_message(text, max_payload_bytes=opts.max_payload_bytes)
    except ProtocolError as e:
        stats.malformed(stream_sid, str(e))
        return None


async def _close(ws: TextSocket, code: int, reason: str) -> None:
    with contextlib.suppress(SocketClosed):
        await ws.close(code, reason[:120])
