"""Shared harness for the voice benchmarks: real-time calls through the real pipeline, with timestamps.

Each measured turn is a fresh call on the dental example profile with the offline brain: wait for the
greeting to be heard, then stream one caller turn (espeak-ng, never the receptionist's Piper voice) in
real time, 20 ms at a time, followed by silence, and time what happens. The last voiced sample of the
turn is known from the audio itself (energy), not from the VAD.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receptionist.app import Receptionist  # noqa: E402
from receptionist.brain.tools import CallTools  # noqa: E402
from receptionist.config import Settings, load_profile  # noqa: E402
from receptionist.voice.audio_io import CallerAudio, ReceptionistAudio  # noqa: E402
from receptionist.voice.session import VoiceCall, VoiceModels  # noqa: E402
from receptionist.voice.stt import read_wav, resample  # noqa: E402

RATE = 16_000
FRAME = RATE // 50  # 20 ms

#: caller turns written for the benchmark (generic receptionist traffic; not from any evaluation set)
CALLER_TURNS = [
    "Hi, what time do you open tomorrow?",
    "I'd like to book a check up for next week.",
    "Can I speak to someone at the front desk please?",
    "Where is your office located?",
    "Do you take walk in patients?",
    "I have a question about a bill I got last month.",
    "My tooth has been hurting since yesterday.",
    "Is there parking near the clinic?",
    "I need to cancel my appointment on Friday.",
    "Do you accept my insurance?",
    "Could someone call me back later today?",
    "Are you open on Saturdays?",
    "I was charged twice for my last visit.",
    "Can I move my cleaning to the afternoon?",
    "Hello, is this the dental office?",
    "I'd like to leave a message for the billing team.",
    "How much does a whitening treatment cost?",
    "My daughter needs to see a dentist soon.",
    "What is your phone number for emergencies?",
    "I think I lost a filling this morning.",
    "Thanks, that's everything I needed.",
    "Do you have any appointments this week?",
    "Can you tell me your opening hours?",
    "I'm calling to confirm my appointment.",
]


def espeak(text: str, wpm: int = 165) -> npt.NDArray[np.float32]:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is needed for the caller's voice: apt-get install espeak-ng")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(wpm), "-w", str(out), text], check=True)
        audio, rate = read_wav(out)
    return resample(audio * 0.8, rate, RATE)


def last_voiced(audio: npt.NDArray[np.float32]) -> float:
    """Seconds from the start to the end of the last 10 ms window above 2 % of the peak."""
    win = RATE // 100
    n = audio.size // win
    rms = np.sqrt((audio[: n * win].reshape(n, win).astype(np.float64) ** 2).mean(axis=1))
    voiced = np.nonzero(rms > 0.02 * rms.max())[0]
    return float((voiced[-1] + 1) * win / RATE) if voiced.size else 0.0


@dataclass
class TimedSink:
    """An audio sink that timestamps the start of every segment and every clear (monotonic)."""

    segment_starts: list[float] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    speaking: asyncio.Event = field(default_factory=asyncio.Event)  # set once the first audio arrives
    _in_segment: bool = False

    async def play(self, pcm: bytes) -> None:
        if not self._in_segment:
            self._in_segment = True
            self.segment_starts.append(time.monotonic())
            self.speaking.set()

    async def clear(self) -> None:
        self.clears.append(time.monotonic())
        self._in_segment = False

    async def segment_end(self) -> None:
        self._in_segment = False


class TimedBrain:
    """Wraps a brain and records when each reply's first piece came out (monotonic)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.first_piece: list[float] = []
        self.called: list[float] = []

    @property
    def name(self) -> str:
        return str(self.inner.name)

    async def respond(self, tools: CallTools, caller_text: str) -> AsyncGenerator[str, None]:
        self.called.append(time.monotonic())
        first = True
        async for piece in self.inner.respond(tools, caller_text):
            if first:
                self.first_piece.append(time.monotonic())
                first = False
            yield piece


@dataclass
class TurnTiming:
    text: str
    total_ms: float
    vad_end_ms: float | None
    stt_ms: float | None
    endpoint_ms: float | None
    brain_ms: float | None
    tts_ms: float | None
    heard: str


def build_receptionist(tmp: Path) -> Receptionist:
    settings = Settings(_env_file=None, data_dir=tmp)  # type: ignore[call-arg]
    return Receptionist.build(settings, [load_profile(ROOT / "examples/dental-clinic.yaml")])


class Line:
    """One benchmark call: a VoiceCall with timestamped events."""

    def __init__(self, rx: Receptionist, models: VoiceModels, *, tenant: str = "bright-smile-dental") -> None:
        self.conv = rx.conversation(tenant, channel="bench")
        self.brain = TimedBrain(self.conv.brain)
        self.conv.brain = self.brain  # type: ignore[assignment]
        self.caller = CallerAudio(RATE)
        self.sink = TimedSink()
        self.output = ReceptionistAudio(self.sink, RATE, realtime=True)
        self.line = VoiceCall(self.conv, caller=self.caller, output=self.output, models=models)
        self.user_stopped: list[float] = []
        self.user_started: list[float] = []
        self.transcribed: list[float] = []
        self.thinking: list[float] = []
        self.task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.line.run())
        await self.line.started.wait()
        s = self.line.session
        assert s is not None
        s.on("user_state_changed", self._user)
        s.on("user_input_transcribed", self._transcript)
        s.on("agent_state_changed", self._agent)

    def _user(self, ev: Any) -> None:
        (self.user_stopped if ev.new_state == "listening" else self.user_started).append(time.monotonic())

    def _transcript(self, ev: Any) -> None:
        if ev.is_final:
            self.transcribed.append(time.monotonic())

    def _agent(self, ev: Any) -> None:
        if ev.new_state == "thinking":
            self.thinking.append(time.monotonic())

    async def feed_realtime(self, audio: npt.NDArray[np.float32], *, tail_s: float) -> float:
        """Stream ``audio`` then ``tail_s`` of silence in real time; returns the monotonic start time."""
        padded = np.concatenate([audio, np.zeros(round(tail_s * RATE), dtype=np.float32)])
        t0 = time.monotonic()
        for i, start in enumerate(range(0, padded.size, FRAME)):
            self.caller.push(padded[start : start + FRAME])
            delay = t0 + (i + 1) * 0.02 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        return t0

    async def close(self) -> None:
        self.line.hang_up()
        if self.task is not None:
            await self.task


def after(times: list[float], t: float) -> float | None:
    later = [x for x in times if x >= t]
    return min(later) if later else None


async def measure_turn(
    rx: Receptionist, models: VoiceModels, text: str, audio: npt.NDArray[np.float32]
) -> TurnTiming | None:
    line = Line(rx, models)
    await line.start()
    try:
        if not await line.line.wait_heard(1, timeout=30):
            return None
        await asyncio.sleep(0.3)
        end_of_speech = last_voiced(audio)
        segments_before = len(line.sink.segment_starts)
        feeder = asyncio.create_task(line.feed_realtime(audio, tail_s=4.0))
        t0 = await asyncio.shield(feeder)
        spoke_end = t0 + end_of_speech
        reply = (
            line.sink.segment_starts[segments_before]
            if len(line.sink.segment_starts) > segments_before
            else None
        )
        if reply is None:
            return None
        vad = after(line.user_stopped, spoke_end - 0.5)
        stt = after(line.transcribed, vad) if vad else None
        think = after(line.thinking, stt) if stt else after(line.thinking, spoke_end)
        first = after(line.brain.first_piece, think) if think else None

        def ms(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else round((b - a) * 1000, 1)

        turns = [t.text for t in line.conv.call.turns if t.role.value == "caller"]
        return TurnTiming(
            text=text,
            total_ms=round((reply - spoke_end) * 1000, 1),
            vad_end_ms=ms(spoke_end, vad),
            stt_ms=ms(vad, stt),
            endpoint_ms=ms(stt, think),
            brain_ms=ms(think, first),
            tts_ms=ms(first, reply),
            heard=turns[0] if turns else "",
        )
    finally:
        await line.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(np.floor(k)), int(np.ceil(k))
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 0.5), 1),
        "p95": round(percentile(values, 0.95), 1),
        "mean": round(statistics.fmean(values), 1) if values else float("nan"),
    }


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
