"""A whole call from a WAV file: the caller's side is the file, the receptionist's side is written out.

Real time (default): the file is played into the call at its own pace, as a caller would speak, and
silence follows until the receptionist has finished answering. ``fast``: the file is cut into caller
turns at silences, and each turn is fed at once, followed by a short silence, as soon as the reply to the
previous one has been heard (played instantly). Either way the call runs through the same
:class:`~receptionist.voice.session.VoiceCall` as a phone call and is stored like any other.
"""

from __future__ import annotations

import asyncio
import logging
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from receptionist.calls import CallSummary, Role
from receptionist.conversation import Conversation
from receptionist.voice.audio_io import CallerAudio, ReceptionistAudio
from receptionist.voice.session import VoiceCall, VoiceModels
from receptionist.voice.stt import read_wav, resample

log = logging.getLogger(__name__)

#: the rate the file is fed at (the session's input), and the rate the reply is written at
CALL_RATE = 16_000
#: a quiet stretch at least this long separates two caller turns (``fast``)
TURN_GAP_S = 0.8
#: silence fed after each caller turn so the VAD hears the turn end (``fast``)
TAIL_SILENCE_S = 1.0
#: the receptionist listening this long with nothing to say means the caller's turn got no reply
SETTLE_S = 3.0
#: how long to wait for a reply before treating the caller's turn as unanswered
REPLY_TIMEOUT_S = 30.0
LONG_TURN_S = 30.0  # a turn longer than this (a monologue) is waited on until the line is quiet


@dataclass
class CollectedAudio:
    """An :class:`~receptionist.voice.audio_io.AudioSink` that keeps what the receptionist said.

    In real time each segment is placed at the moment it was sent (so the output lines up with the
    caller's file); otherwise segments are simply appended.
    """

    sample_rate: int
    realtime: bool
    started: float = field(default_factory=time.monotonic)
    chunks: list[tuple[int, bytes]] = field(default_factory=list)  # (sample offset, pcm)
    first_audio_at: list[float] = field(default_factory=list)  # monotonic time each segment began
    clears: list[float] = field(default_factory=list)
    _cursor: int = 0
    _in_segment: bool = False

    async def play(self, pcm: bytes) -> None:
        now = time.monotonic()
        if not self._in_segment:
            self._in_segment = True
            self.first_audio_at.append(now)
            if self.realtime:
                self._cursor = max(self._cursor, round((now - self.started) * self.sample_rate))
        self.chunks.append((self._cursor, pcm))
        self._cursor += len(pcm) // 2

    async def clear(self) -> None:
        self.clears.append(time.monotonic())
        self._in_segment = False

    async def segment_end(self) -> None:
        self._in_segment = False

    def samples(self) -> npt.NDArray[np.int16]:
        total = max((off + len(pcm) // 2 for off, pcm in self.chunks), default=0)
        out = np.zeros(total, dtype=np.int16)
        for off, pcm in self.chunks:
            data = np.frombuffer(pcm, dtype="<i2")
            out[off : off + data.size] = data
        return out


@dataclass(frozen=True)
class FileCallResult:
    conversation: Conversation
    summary: CallSummary
    audio: npt.NDArray[np.int16]  # what the receptionist said, at ``sample_rate``
    sample_rate: int

    def as_json(self) -> dict[str, object]:
        call = self.conversation.call
        message = call.message
        return {
            "call_id": call.id,
            "turns": [
                {"role": "caller" if t.role is Role.CALLER else "receptionist", "text": t.text}
                for t in call.turns
            ],
            "concern": call.concern,
            "outcome": call.outcome.value if call.outcome else None,
            "message": None
            if message is None
            else {"name": message.name, "phone": message.phone, "reason": message.reason},
            "summary": self.summary.text,
        }


def split_turns(
    audio: npt.NDArray[np.float32], sample_rate: int, *, gap_s: float = TURN_GAP_S
) -> list[npt.NDArray[np.float32]]:
    """Cut audio into stretches of speech separated by at least ``gap_s`` of quiet (energy-based)."""
    win = max(1, sample_rate * 20 // 1000)
    n = audio.size // win
    if n == 0:
        return []
    frames = audio[: n * win].reshape(n, win).astype(np.float64)
    rms = np.sqrt((frames**2).mean(axis=1) + 1e-12)
    floor = np.percentile(rms, 10)
    peak = np.percentile(rms, 95)
    threshold = max(floor * 3.0, peak * 0.05, 1e-3)
    voiced = rms > threshold
    gap = max(1, round(gap_s * 1000 / 20))
    turns: list[tuple[int, int]] = []
    start: int | None = None
    quiet = 0
    for i, v in enumerate(voiced):
        if v:
            if start is None:
                start = i
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet >= gap:
                turns.append((start, i - quiet + 1))
                start, quiet = None, 0
    if start is not None:
        turns.append((start, n - quiet))
    pad = 10  # 200 ms either side keeps soft onsets and endings
    return [audio[max(0, a - pad) * win : min(n, b + pad) * win] for a, b in turns if b - a >= 5]


def write_wav(path: str | Path, pcm: npt.NDArray[np.int16], sample_rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.astype("<i2").tobytes())


async def call_from_wav(
    conversation: Conversation,
    path: str | Path,
    *,
    models: VoiceModels,
    fast: bool = False,
    out_rate: int = CALL_RATE,
) -> FileCallResult:
    """Run one call with the file as the caller; returns the stored call and the receptionist's audio."""
    audio, rate = read_wav(path)
    audio = resample(audio, rate, CALL_RATE)
    caller = CallerAudio(CALL_RATE, label=f"file:{Path(path).name}")
    sink = CollectedAudio(sample_rate=out_rate, realtime=not fast)
    output = ReceptionistAudio(sink, out_rate, realtime=not fast)
    line = VoiceCall(conversation, caller=caller, output=output, models=models)
    runner = asyncio.create_task(line.run())
    try:
        if not await line.wait_heard(1, timeout=REPLY_TIMEOUT_S):
            log.warning("no greeting was heard within %.0f s", REPLY_TIMEOUT_S)
        if fast:
            await _feed_turns(line, caller, audio)
        else:
            await _feed_realtime(line, caller, audio)
    finally:
        line.hang_up()
        summary = await runner
    return FileCallResult(
        conversation=conversation, summary=summary, audio=sink.samples(), sample_rate=out_rate
    )


async def _feed_turns(line: VoiceCall, caller: CallerAudio, audio: npt.NDArray[np.float32]) -> None:
    for turn in split_turns(audio, CALL_RATE):
        if line.ended:
            return
        heard = line.replies_heard
        caller.push(turn)
        caller.push_silence(TAIL_SILENCE_S)
        await _await_reply(line, caller, heard)
        seconds = turn.size / CALL_RATE
        if seconds > LONG_TURN_S:
            # a monologue pushed at once is answered sentence by sentence while Silero and Whisper work
            # through it faster than real time: it is over once the line has been quiet for a while
            await _await_reply(line, caller, None, within_s=REPLY_TIMEOUT_S + seconds)


async def _feed_realtime(line: VoiceCall, caller: CallerAudio, audio: npt.NDArray[np.float32]) -> None:
    step = CALL_RATE // 50  # 20 ms
    t0 = time.monotonic()
    for i, start in enumerate(range(0, audio.size, step)):
        if line.ended:
            return
        caller.push(audio[start : start + step])
        delay = t0 + (i + 1) * 0.02 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    await _await_reply(line, caller, None)


async def _await_reply(
    line: VoiceCall, caller: CallerAudio, heard: int | None, *, within_s: float = REPLY_TIMEOUT_S
) -> None:
    """Keep the line quiet (silence keeps flowing, in real time, as on a phone) until the receptionist
    has answered (``heard + 1`` speech turns heard), or has stayed listening for a while with nothing to
    answer (the turn was silence or noise, or with ``heard=None``, the last reply is long over)."""
    pushed_at = time.monotonic()
    deadline = pushed_at + within_s
    while not line.ended and time.monotonic() < deadline:
        if heard is not None and await line.wait_heard(heard + 1, timeout=0.2):
            return
        if heard is None:
            await asyncio.sleep(0.2)
        if line.idle_for(since=pushed_at) >= SETTLE_S:
            return
        caller.push_silence(0.2)
