"""The agent's audio on a bridged voice call: the caller's voice out to the agent, the agent's voice in.

Once an agent takes a call, the caller's line (:class:`~receptionist.voice.session.VoiceCall`) keeps
running: its speech-to-text turns the caller's words into the live transcript the console shows, and
:class:`AgentLeg` carries the audio both ways at 16 kHz (the browser console's format), resampling from
and to the line's own rates (8 kHz on Twilio). What the agent says is also transcribed (Silero VAD +
Whisper, the models every call shares), so the call's transcript keeps both sides after the transfer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import numpy as np
import numpy.typing as npt
from livekit import rtc
from livekit.agents import vad as lk_vad

from receptionist.calls import Role
from receptionist.voice.session import VoiceCall
from receptionist.voice.stt import get_transcriber

log = logging.getLogger(__name__)

RATE = 16_000
FRAME_BYTES = RATE * 20 // 1000 * 2  # 20 ms of 16-bit mono
MAX_CHUNK_BYTES = RATE * 2  # one second: a bigger message is refused
BACKLOG_FRAMES = 50  # a second of caller audio waits for a slow agent socket, then the oldest goes


class BadAgentAudio(ValueError):
    """Audio from the agent that is not 16-bit mono PCM in a sensible chunk."""


class AgentLeg:
    """Both directions of one bridged call's audio, for the agent's socket. Use as a context manager:
    entering starts listening to the caller and transcribing the agent; leaving stops both."""

    def __init__(self, line: VoiceCall) -> None:
        if line.caller is None or line.output is None:
            raise ValueError("the call has no audio pair (a LiveKit room carries its own audio)")
        self.line = line
        self._caller = line.caller
        self._output = line.output
        self._to_agent: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=BACKLOG_FRAMES)
        self._from_caller = _resampler(self._caller.sample_rate, RATE)
        out_rate = self._output.sample_rate
        assert out_rate is not None  # ReceptionistAudio is built with its rate
        self._to_caller = _resampler(RATE, out_rate)
        self._vad: lk_vad.VADStream | None = None
        self._transcribing: asyncio.Task[None] | None = None
        self.agent_said: list[str] = []
        self.on_agent_said: Callable[[str], Awaitable[None]] | None = None  # the console's transcript
        self.dropped_frames = 0

    async def __aenter__(self) -> AgentLeg:
        self._caller.listeners.append(self._hear_caller)
        self._vad = self.line.models.vad.stream()
        self._transcribing = asyncio.create_task(self._transcribe(self._vad), name="agent-leg-stt")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        with contextlib.suppress(ValueError):
            self._caller.listeners.remove(self._hear_caller)
        if self._vad is not None:
            self._vad.end_input()
        if self._transcribing is not None:
            try:
                await asyncio.wait_for(self._transcribing, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._transcribing.cancel()
            except Exception:
                log.exception("transcribing the agent of call %s failed", self.line.call_id)
        if self._vad is not None:
            await self._vad.aclose()
        if self._to_agent.full():
            self._to_agent.get_nowait()
        self._to_agent.put_nowait(None)  # ends caller_audio()

    # -- caller → agent -------------------------------------------------------------------------------

    def _hear_caller(self, pcm: npt.NDArray[np.int16]) -> None:
        for chunk in _push(self._from_caller, pcm, self._caller.sample_rate):
            if self._to_agent.full():
                self._to_agent.get_nowait()  # the agent's socket is behind: drop the oldest
                self.dropped_frames += 1
            self._to_agent.put_nowait(chunk)

    async def caller_audio(self) -> AsyncIterator[bytes]:
        """The caller's voice, 16 kHz 16-bit mono PCM, as it arrives; ends when the leg closes."""
        while True:
            chunk = await self._to_agent.get()
            if chunk is None:
                return
            yield chunk

    # -- agent → caller -------------------------------------------------------------------------------

    async def play(self, pcm: bytes) -> None:
        """The agent's voice (16 kHz 16-bit mono PCM) to the caller, and to the agent's transcriber."""
        if not pcm or len(pcm) % 2 or len(pcm) > MAX_CHUNK_BYTES:
            raise BadAgentAudio(
                f"expected 16-bit mono PCM at 16 kHz, up to 1 s a message; got {len(pcm)} bytes"
            )
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.int16)
        if self._vad is not None:
            self._vad.push_frame(_frame(samples, RATE))
        for chunk in _push(self._to_caller, samples, RATE):
            await self._output.play_direct(chunk)

    async def _transcribe(self, stream: lk_vad.VADStream) -> None:
        transcriber = get_transcriber(self.line.models.options.stt)
        async for event in stream:
            if event.type is not lk_vad.VADEventType.END_OF_SPEECH or not event.frames:
                continue
            frame = rtc.combine_audio_frames(event.frames)
            audio = np.frombuffer(bytes(frame.data), dtype=np.int16)
            text = (await asyncio.to_thread(transcriber.transcribe, audio, frame.sample_rate)).strip()
            if text:
                self.agent_said.append(text)
                await self.line.conversation.record_bridged(Role.AGENT, text)
                if self.on_agent_said is not None:
                    await self.on_agent_said(text)


def _resampler(src: int, dst: int) -> rtc.AudioResampler | None:
    return rtc.AudioResampler(src, dst, num_channels=1) if src != dst else None


def _frame(samples: npt.NDArray[np.int16], rate: int) -> rtc.AudioFrame:
    return rtc.AudioFrame(
        data=samples.tobytes(), sample_rate=rate, num_channels=1, samples_per_channel=samples.size
    )


def _push(resampler: rtc.AudioResampler | None, samples: npt.NDArray[np.int16], rate: int) -> list[bytes]:
    if resampler is None:
        return [samples.tobytes()]
    return [bytes(f.data) for f in resampler.push(_frame(samples, rate))]
