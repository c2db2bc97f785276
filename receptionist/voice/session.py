"""One voice call: a LiveKit ``AgentSession`` (Silero VAD → Whisper → the brain → Piper) on any audio pair.

Every transport (Twilio Media Streams, the browser softphone, a WAV file, a LiveKit room) builds the same
:class:`VoiceCall` around a :class:`~receptionist.conversation.Conversation`; only the audio pair differs.
The session is configured against the traps measured in ``DESIGN.md``: turns end on Silero VAD plus
:class:`~receptionist.voice.endpointing.TranscriptTurnDetector` (not LiveKit's default model, which splits
sentences at commas), interruptions are VAD-based (adaptive is cloud-only), the AEC warm-up that makes
the first 3 s deaf is off, and preemptive generation is off because each brain turn is a committed turn.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from livekit import rtc
from livekit.agents import Agent, AgentSession, StopResponse, llm, stt, tts, vad
from livekit.agents.voice.events import (
    AgentStateChangedEvent,
    ConversationItemAddedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
)
from livekit.plugins import silero  # LiveKit plugins register themselves: main thread, at import

from receptionist.brain.livekit import BrainLLM
from receptionist.calls import CallSummary, Role, Slot
from receptionist.conversation import Conversation
from receptionist.prompts import load_replies
from receptionist.voice.audio_io import CallerAudio, ReceptionistAudio
from receptionist.voice.endpointing import TranscriptTurnDetector
from receptionist.voice.keypad import KEYED_IN, Keypad
from receptionist.voice.phrases import PhraseCache
from receptionist.voice.stt import SttOptions, livekit_stt
from receptionist.voice.timing import VoiceTimers
from receptionist.voice.tts import TtsOptions, livekit_tts

log = logging.getLogger(__name__)

#: what the caller is taken to have said when they press 0
PRESSED_ZERO = "(pressed 0) A person, please."
_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
#: a caller silent this long after a reply hears it again (see ``VoiceCall._reprompt_when_silent``)
REPROMPT_S = 8.0
MAX_REPROMPTS = 2


@dataclass(frozen=True, slots=True)
class VoiceOptions:
    """How calls listen and speak. Hashable: it keys the process-wide models."""

    stt: SttOptions = field(default_factory=SttOptions)
    tts: TtsOptions = field(default_factory=TtsOptions)
    vad_min_silence_s: float = 0.3  # Silero: silence that ends a stretch of speech
    vad_activation: float = 0.5
    endpoint_min_s: float = 0.3  # then this much quiet since the last word ends the turn...
    endpoint_max_s: float = 2.0  # ...or this much if the words so far look unfinished (a number, spelling)
    interrupt_min_s: float = 0.2  # caller speech this long during playback stops it (a cough is shorter)
    max_call_s: float = 3_600.0  # a call is hung up after this long, whatever happens


@dataclass(frozen=True)
class VoiceModels:
    """The models every call in the process shares (loaded once; inference runs in threads)."""

    options: VoiceOptions
    vad: vad.VAD
    stt: stt.STT[Any]
    tts: tts.TTS[Any]
    phrases: PhraseCache

    @classmethod
    def load(cls, options: VoiceOptions | None = None) -> VoiceModels:
        return _load(options or VoiceOptions())


@functools.lru_cache(maxsize=2)
def _load(options: VoiceOptions) -> VoiceModels:
    from receptionist.voice.stt import get_transcriber
    from receptionist.voice.tts import get_synthesizer

    started = time.perf_counter()
    get_transcriber(options.stt)  # load now, not on the first caller's first word
    get_synthesizer(options.tts)
    models = VoiceModels(
        options=options,
        vad=silero.VAD.load(
            min_silence_duration=options.vad_min_silence_s,
            activation_threshold=options.vad_activation,
            prefix_padding_duration=0.3,
            max_buffered_speech=900.0,  # a caller may talk for minutes without a pause: keep it all
        ),
        stt=livekit_stt(options.stt),
        tts=livekit_tts(options.tts),
        phrases=PhraseCache(options.tts),
    )
    log.info("voice models loaded in %.2f s", time.perf_counter() - started)
    return models


_stop_warming = threading.Event()
_warming: dict[TtsOptions, threading.Thread] = {}
_warming_lock = threading.Lock()


def warm_clauses_in_background(options: TtsOptions) -> threading.Thread:
    """Render the fixed clauses of the reply and hold templates into Piper's clause cache, in a thread,
    once per process: for long-lived processes (``serve``, the worker), not for a one-off call."""
    with _warming_lock:
        thread = _warming.get(options)
        if thread is None:
            thread = threading.Thread(target=_warm_clauses, args=(options,), name="piper-warm", daemon=True)
            thread.start()
            atexit.register(_stop_warm_thread, thread)
            _warming[options] = thread
        return thread


def _stop_warm_thread(thread: threading.Thread) -> None:
    """At exit: let the warming thread finish its clause (a native onnxruntime call must not be running
    while the interpreter shuts down: that aborts the process)."""
    _stop_warming.set()
    thread.join(timeout=5)


def _warm_clauses(options: TtsOptions) -> None:
    """Render the fixed clauses of the receptionist's templated lines, so their first use is instant."""
    from receptionist.prompts import load_replies
    from receptionist.voice.tts import get_synthesizer

    try:
        texts = [t for name in ("offline_replies.yaml", "hold_announcements.yaml")
                 for variants in load_replies(name=name).variants.values() for t in variants]  # fmt: skip
        started = time.perf_counter()
        rendered = get_synthesizer(options).warm(texts, stop=_stop_warming)
        log.info("rendered %d fixed clauses in %.1f s", rendered, time.perf_counter() - started)
    except Exception:
        log.exception("could not render the fixed clauses ahead of time")


def audio_frames(
    pcm: npt.NDArray[np.int16], sample_rate: int, frame_ms: int = 20
) -> AsyncIterator[rtc.AudioFrame]:
    """Pre-rendered PCM as the frame stream ``session.say(audio=...)`` takes."""

    async def frames() -> AsyncIterator[rtc.AudioFrame]:
        n = sample_rate * frame_ms // 1000
        for start in range(0, pcm.size, n):
            chunk = pcm[start : start + n]
            yield rtc.AudioFrame(
                data=chunk.tobytes(), sample_rate=sample_rate, num_channels=1, samples_per_channel=chunk.size
            )

    return frames()


class Bridged(Protocol):
    """The line's view of the bridge to an agent (:class:`receptionist.acd.bridge.Bridge`)."""

    @property
    def ended(self) -> bool: ...

    async def from_caller(self, text: str) -> None: ...

    async def caller_left(self) -> None: ...


class _ReceptionistAgent(Agent):
    def __init__(self, line: VoiceCall) -> None:
        super().__init__(
            instructions="(the receptionist's brain holds its own instructions)",
            llm=BrainLLM(line.conversation),
        )
        self._line = line

    async def on_enter(self) -> None:
        greeting = await self._line.conversation.open()
        await self._line.speak(greeting, record=False)

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage) -> None:
        """Once the call is put through, what the caller says goes to the agent, not the brain."""
        bridge = self._line.bridge
        if bridge is not None and not bridge.ended:
            text = (new_message.text_content or "").strip()
            if text:
                await self._line.conversation.record_bridged(Role.CALLER, text)
                await bridge.from_caller(text)
            raise StopResponse()


class VoiceCall:
    """A caller on the line: the session, its audio and the conversation it drives.

    The audio is a :class:`CallerAudio` / :class:`ReceptionistAudio` pair (Twilio, softphone, file), or,
    without one, a LiveKit room given to :meth:`run` (the worker: SIP and WebRTC participants).
    """

    def __init__(
        self,
        conversation: Conversation,
        *,
        caller: CallerAudio | None = None,
        output: ReceptionistAudio | None = None,
        models: VoiceModels,
        timers: VoiceTimers | None = None,
    ) -> None:
        self.conversation = conversation
        self.timers = timers or VoiceTimers()
        self.caller = caller
        self.output = output
        self.models = models
        self.session: AgentSession[Any] | None = None
        self.transcripts: list[tuple[float, str]] = []  # (time.time(), final caller transcript)
        self._done = asyncio.Event()
        self._stored = asyncio.Event()
        self.started = asyncio.Event()  # the session is built (its events can be followed)
        self.summary: CallSummary | None = None
        self._hung_up = False
        self._state = "initializing"
        self._changed = asyncio.Condition()
        self._state_since = self._user_since = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        self.replies_heard = 0  # speech turns (greeting, replies, announcements) that finished playing
        self.bridge: Bridged | None = None  # set when an agent takes the call (the hold desk's bridge)
        self.keypad = Keypad(self._keyed_in)  # a callback number keyed in (DTMF)
        self.reprompt_s: float | None = REPROMPT_S  # a caller silent this long is asked again (None: never)
        self.max_reprompts = MAX_REPROMPTS
        self.reprompts = 0  # times the caller was asked again since they last spoke
        self._cut_short = False  # the latest reply was interrupted (by speech that may have said nothing)
        self._reprompts_said: set[str] = set()

    @property
    def call_id(self) -> str:
        return self.conversation.call.id

    def _build_session(self) -> AgentSession[Any]:
        o = self.models.options
        region = self.conversation.profile.country
        session: AgentSession[Any] = AgentSession(
            stt=self.models.stt,
            vad=self.models.vad,
            tts=self.models.tts,
            turn_handling={
                "turn_detection": TranscriptTurnDetector(region),
                "endpointing": {
                    "mode": "fixed",
                    "min_delay": o.endpoint_min_s,
                    "max_delay": o.endpoint_max_s,
                },
                "interruption": {
                    "enabled": True,
                    "mode": "vad",
                    "min_duration": o.interrupt_min_s,
                    "resume_false_interruption": False,
                    "false_interruption_timeout": None,
                },
                "preemptive_generation": {"enabled": False},
            },
            aec_warmup_duration=None,
            user_away_timeout=None,
            tts_text_transforms=None,
        )
        if self.caller is not None:
            session.input.audio = self.caller
        if self.output is not None:
            session.output.audio = self.output
        session.on("agent_state_changed", self._on_state)
        session.on("user_input_transcribed", self._on_transcript)
        session.on("user_state_changed", self._on_user_state)
        session.on("conversation_item_added", self._on_item)
        session.on("close", self._on_close)
        return session

    async def run(self, *, room: rtc.Room | None = None) -> CallSummary:
        """Greet, converse until the call ends (brain, hang-up, or time limit), then store it."""
        self.session = self._build_session()
        self.started.set()
        try:
            if room is not None:
                await self.session.start(_ReceptionistAgent(self), room=room)
            else:
                await self.session.start(_ReceptionistAgent(self))
            self._spawn(self._reprompt_when_silent())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), timeout=self.models.options.max_call_s)
        except Exception:
            log.exception("voice session of call %s failed", self.call_id)
        finally:
            self.keypad.cancel()
            if self.caller is not None:
                self.caller.close()
            with contextlib.suppress(Exception):
                await self.session.aclose()
        try:
            self.summary = await self.conversation.close()
        finally:
            self._stored.set()
        return self.summary

    async def finished(self) -> CallSummary | None:
        """Wait until the call has ended and been stored; its summary (None if storing failed)."""
        await self._stored.wait()
        return self.summary

    def hang_up(self) -> None:
        """The caller hung up or the line dropped: the call ends now."""
        self._hung_up = True
        if self.caller is not None:
            self.caller.close()
        if self.bridge is not None and not self.bridge.ended:
            self._spawn(self.bridge.caller_left())  # the agent's side learns it from the ACD
        self._done.set()
        self._spawn(self._notify())

    async def speak(self, text: str, *, record: bool = True) -> None:
        """Say a line outside a reply (greeting, hold announcement): cached audio when there is some."""
        if self.session is None or self._done.is_set():
            return
        if record:
            await self.conversation.speak(text)
        phrase = await self.models.phrases.get_or_synthesize(text)
        handle = self.session.say(
            text, audio=audio_frames(phrase.pcm, phrase.sample_rate), add_to_chat_ctx=False
        )
        await handle

    async def press(self, key: str) -> None:
        """A DTMF key: while held it is a hold choice; while a callback number is asked for, digits
        key it in (:mod:`~receptionist.voice.keypad`); otherwise 0 asks for a person."""
        held = self.conversation.held
        if held is not None and hasattr(held, "press"):
            await held.press(key)
            return
        if self.session is None or self._done.is_set():
            return
        if self.conversation.call.awaiting is Slot.PHONE or self.keypad.digits:
            if not self.keypad.digits and key.isdigit():
                self.session.interrupt()  # the caller is keying: stop talking over it
            self.keypad.press(key)
        elif key == "0":
            self.session.interrupt()
            self.session.generate_reply(user_input=PRESSED_ZERO)

    async def _reprompt_when_silent(self) -> None:
        """A caller who says nothing for ``reprompt_s`` after a reply is asked again, as a receptionist
        would: the reply once more if it was cut short (a cough or a word that stopped it, with nothing
        understood after), else "Are you still there?" and its question. At most ``max_reprompts`` times
        in a row; the transport's silence timeout ends the call."""
        if self.reprompt_s is None:
            return
        since = time.monotonic()
        while not self._done.is_set():
            await asyncio.sleep(0.25)
            if self.reprompts >= self.max_reprompts or self._held_or_bridged() or self.keypad.digits:
                since = time.monotonic()
                continue
            if self.idle_for(since=since) < self.reprompt_s or self.conversation.ended:
                continue
            line = self._reprompt_line()
            since = time.monotonic()
            if line is None:
                continue
            self.reprompts += 1
            self._reprompts_said.add(line)
            await self.say_streamed(line)
            since = time.monotonic()

    def _reprompt_line(self) -> str | None:
        """What to say to a silent caller, from the receptionist's last line (not counting reprompts)."""
        last = next(
            (
                t.text
                for t in reversed(self.conversation.call.turns)
                if t.role is Role.RECEPTIONIST and t.text not in self._reprompts_said
            ),
            None,
        )
        if not last:
            return None
        replies = load_replies()
        if self._cut_short:
            return replies.say("reprompt_cut_short", self.reprompts, line=last)
        questions = [s for s in _SENTENCE.findall(last) if s.rstrip().endswith("?")]
        return replies.say(
            "reprompt_silent", self.reprompts, question=(questions[-1] if questions else last).strip()
        )

    async def say_streamed(self, text: str) -> None:
        """Say a line outside a reply that is not worth caching whole: recorded, then spoken clause by
        clause (clauses said before come from the TTS cache); the caller can interrupt it."""
        if self.session is None or self._done.is_set():
            return
        await self.conversation.speak(text)
        await self.session.say(text, add_to_chat_ctx=False)

    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        """A turn LiveKit added to its chat: whether the reply was cut short, and the turn's latencies."""
        item = ev.item
        if not isinstance(item, llm.ChatMessage):
            return
        measured = item.metrics or {}
        if item.role == "assistant":
            self._cut_short = bool(item.interrupted)
            latency, observer = measured.get("e2e_latency"), self.timers.voice_to_voice
        elif item.role == "user":
            latency, observer = measured.get("transcription_delay"), self.timers.stt
        else:
            return
        if observer is not None and latency is not None and latency >= 0:
            observer.observe(latency)

    def _keyed_in(self, digits: str) -> None:
        if self.session is not None and not self._done.is_set():
            self.session.generate_reply(user_input=KEYED_IN.format(digits=digits))

    @property
    def ended(self) -> bool:
        return self._done.is_set()

    async def wait_heard(self, count: int, *, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until ``count`` speech turns have been heard and the receptionist is listening again
        (or the call is over); False on timeout."""

        def ready() -> bool:
            return self._done.is_set() or (self.replies_heard >= count and self._state == "listening")

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout=timeout)
            except TimeoutError:
                return False
        return True

    def idle_for(self, *, since: float) -> float:
        """Seconds the receptionist has been listening to a silent caller, counted from no earlier than
        ``since`` (monotonic); 0 while it is thinking or speaking, or the caller is speaking."""
        session = self.session
        if self._state != "listening" or session is None or session.user_state == "speaking" or self.bridged:
            return 0.0
        return time.monotonic() - max(since, self._state_since, self._user_since)

    def _on_state(self, ev: AgentStateChangedEvent) -> None:
        self._state = ev.new_state
        self._state_since = time.monotonic()
        if ev.old_state == "speaking":
            self.replies_heard += 1
            if self.conversation.ended and not self._held_or_bridged():
                self._done.set()  # the goodbye has been heard
        self._spawn(self._notify())

    def _on_close(self, _ev: object) -> None:
        """The session closed under us (a room participant left, an unrecoverable error)."""
        if not self._done.is_set():
            self._hung_up = True
            self._done.set()
            self._spawn(self._notify())

    def _on_user_state(self, ev: UserStateChangedEvent) -> None:
        self._user_since = time.monotonic()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _held_or_bridged(self) -> bool:
        return self.conversation.held is not None or self.bridged

    @property
    def bridged(self) -> bool:
        """An agent has the call: the caller talks to a person, the receptionist only listens."""
        return self.bridge is not None and not self.bridge.ended

    def _on_transcript(self, ev: UserInputTranscribedEvent) -> None:
        if ev.is_final and ev.transcript.strip():
            self.transcripts.append((time.time(), ev.transcript))
            self.reprompts = 0
            self._cut_short = False
