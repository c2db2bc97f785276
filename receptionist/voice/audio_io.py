"""The custom audio input/output pair every transport gives an ``AgentSession`` (no LiveKit room).

A transport pushes the caller's PCM into :class:`CallerAudio` and hands an :class:`AudioSink` to
:class:`ReceptionistAudio`, which receives what the receptionist says (already resampled by LiveKit to
the sink's rate). Playback is modelled as the far end would do it: audio plays in real time from the
first frame of a segment, so "finished" means the caller has heard it, and ``clear_buffer`` (barge-in)
stops it at once and tells the sink (Twilio's ``clear``). With ``realtime=False`` (``--fast`` file calls,
tests) a segment counts as played when it is flushed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from livekit import rtc
from livekit.agents.voice import io

log = logging.getLogger(__name__)

#: the caller's audio is handed to the session in frames of this length
FRAME_MS = 20
_END = object()


class BadAudio(ValueError):
    """Caller audio the session cannot take (wrong type, odd length, unsupported rate)."""


SUPPORTED_RATES = (8_000, 16_000, 24_000, 48_000)


def pcm16(samples: npt.NDArray[np.generic] | bytes) -> npt.NDArray[np.int16]:
    """Mono int16 samples from int16 bytes/arrays or float arrays in [-1, 1]; anything else is BadAudio."""
    if isinstance(samples, bytes | bytearray | memoryview):
        if len(samples) % 2:
            raise BadAudio(f"16-bit PCM needs an even number of bytes, got {len(samples)}")
        return np.frombuffer(bytes(samples), dtype="<i2").astype(np.int16)
    a = np.asarray(samples)
    if a.ndim != 1:
        raise BadAudio(f"expected mono audio, got shape {a.shape}")
    if a.dtype == np.int16:
        return a.astype(np.int16, copy=False)
    if np.issubdtype(a.dtype, np.floating):
        scaled: npt.NDArray[np.int16] = (np.clip(np.nan_to_num(a), -1.0, 1.0) * 32767.0).astype(np.int16)
        return scaled
    raise BadAudio(f"expected int16 or float samples, got {a.dtype}")


class CallerAudio(io.AudioInput):
    """What the caller says, as frames for the session; transports ``push`` and finally ``close``."""

    def __init__(self, sample_rate: int, *, label: str = "caller") -> None:
        if sample_rate not in SUPPORTED_RATES:
            raise BadAudio(f"unsupported sample rate {sample_rate} Hz (supported: {SUPPORTED_RATES})")
        super().__init__(label=label)
        self.sample_rate = sample_rate
        self._frame_samples = sample_rate * FRAME_MS // 1000
        self._pending = np.zeros(0, dtype=np.int16)
        self._queue: asyncio.Queue[rtc.AudioFrame | object] = asyncio.Queue()
        self.closed = False
        self.pushed_seconds = 0.0
        #: also hear the caller (an agent on a bridged call): called with each pushed piece, in order
        self.listeners: list[Callable[[npt.NDArray[np.int16]], None]] = []

    def push(self, samples: npt.NDArray[np.generic] | bytes) -> None:
        """Queue caller audio (any length; it is cut into 20 ms frames)."""
        if self.closed:
            return
        pcm = pcm16(samples)
        self.pushed_seconds += pcm.size / self.sample_rate
        for listener in self.listeners:
            listener(pcm)
        buf = np.concatenate([self._pending, pcm]) if self._pending.size else pcm
        n = self._frame_samples
        whole = buf.size // n * n
        for start in range(0, whole, n):
            self._queue.put_nowait(self._frame(buf[start : start + n]))
        self._pending = buf[whole:].copy()

    def push_silence(self, seconds: float) -> None:
        self.push(np.zeros(round(seconds * self.sample_rate), dtype=np.int16))

    def close(self) -> None:
        """The caller hung up (or the line dropped): the session's input ends."""
        if self.closed:
            return
        if self._pending.size:
            pad = np.zeros(self._frame_samples - self._pending.size, dtype=np.int16)
            self._queue.put_nowait(self._frame(np.concatenate([self._pending, pad])))
            self._pending = np.zeros(0, dtype=np.int16)
        self.closed = True
        self._queue.put_nowait(_END)

    @property
    def backlog(self) -> int:
        """Frames pushed but not yet taken by the session."""
        return self._queue.qsize()

    def _frame(self, pcm: npt.NDArray[np.int16]) -> rtc.AudioFrame:
        return rtc.AudioFrame(
            data=pcm.tobytes(), sample_rate=self.sample_rate, num_channels=1, samples_per_channel=pcm.size
        )

    async def __anext__(self) -> rtc.AudioFrame:
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # every later read ends too
            raise StopAsyncIteration
        assert isinstance(item, rtc.AudioFrame)
        return item


class AudioSink(Protocol):
    """Where the receptionist's voice goes: a Twilio stream, a browser socket, a WAV file."""

    async def play(self, pcm: bytes) -> None:
        """Send 16-bit mono PCM at the output's sample rate (in order; may be faster than real time)."""
        ...

    async def clear(self) -> None:
        """Drop whatever has been sent but not played yet (barge-in)."""
        ...

    async def segment_end(self) -> None:
        """A reply (or phrase) has been sent whole."""
        ...


class ReceptionistAudio(io.AudioOutput):
    """The session's audio output: frames go to an :class:`AudioSink`, playback is tracked as heard.

    Segments play one after another from the moment their first frame is sent, so a segment's playback
    ends ``duration`` after it started or after the previous one ended, whichever is later.
    """

    def __init__(self, sink: AudioSink, sample_rate: int, *, realtime: bool = True) -> None:
        super().__init__(
            label="receptionist",
            capabilities=io.AudioOutputCapabilities(pause=False),
            sample_rate=sample_rate,
        )
        self._sink = sink
        self._realtime = realtime
        self._segment_start: float | None = None  # monotonic time the current segment starts playing
        self._pushed = 0.0  # seconds of audio in the current segment
        self._play_until = 0.0  # monotonic time everything sent so far has been heard
        self._interrupted = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.segments_started = 0
        self.clears = 0

    @property
    def playing(self) -> bool:
        """Audio has been sent that the caller has not finished hearing."""
        return self._segment_start is not None or time.monotonic() < self._play_until

    async def play_direct(self, pcm: bytes) -> None:
        """Send audio that is not the receptionist's (an agent's voice on a bridged call) straight to the
        sink: 16-bit mono PCM at this output's sample rate, paced by whoever sends it."""
        await self._sink.play(pcm)

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._segment_start is None:
            now = time.monotonic()
            self._segment_start = max(now, self._play_until)
            self._interrupted.clear()
            self.segments_started += 1
            self.on_playback_started(created_at=time.time())
        self._pushed += frame.duration
        await self._sink.play(bytes(frame.data))

    def flush(self) -> None:
        super().flush()
        if self._segment_start is None:
            return
        start, duration = self._segment_start, self._pushed
        self._segment_start, self._pushed = None, 0.0
        self._play_until = start + duration
        self._spawn(self._finish(start, duration))
        self._spawn(self._sink_call(self._sink.segment_end()))

    def clear_buffer(self) -> None:
        if not self.playing:
            return
        self.clears += 1
        self._interrupted.set()
        self._play_until = time.monotonic()
        self._spawn(self._sink_call(self._sink.clear()))
        if self._segment_start is not None:
            # cleared before LiveKit flushed the segment: it ends here, interrupted
            start, duration = self._segment_start, self._pushed
            self._segment_start, self._pushed = None, 0.0
            self._spawn(self._finish(start, duration))

    async def _finish(self, started_at: float, duration: float) -> None:
        interrupted = self._interrupted.is_set()
        if self._realtime and not interrupted:
            remaining = started_at + duration - time.monotonic()
            if remaining > 0:
                try:
                    await asyncio.wait_for(self._interrupted.wait(), timeout=remaining)
                    interrupted = True
                except TimeoutError:
                    pass
        played = min(duration, max(0.0, time.monotonic() - started_at)) if interrupted else duration
        self.on_playback_finished(playback_position=played, interrupted=interrupted)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sink_call(self, action: Awaitable[None]) -> None:
        try:
            await action
        except Exception:
            log.exception("the audio sink failed")
