import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from receptionist.evaluation.wer import count
from receptionist.voice.stt import read_wav, resample, to_float32

ROOT = Path(__file__).parents[2]
SPEECH = ROOT / ".." / "shared" / "evaldata" / "speech"
# Outside CI a checkout without ../shared skips these; with CI=true missing data fails the tests.
MISSING = not SPEECH.is_dir() and os.environ.get("CI", "").lower() != "true"
needs_speech = pytest.mark.skipif(MISSING, reason="../shared/evaldata/speech not beside the repo")


def _references() -> dict[str, str]:
    lines = (SPEECH / "transcripts.tsv").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def _tone(freq: float, rate: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (48000, 16000), (22050, 16000), (44100, 16000)])
def test_resample_keeps_a_sine(src: int, dst: int) -> None:
    y = resample(_tone(440.0, src), src, dst)
    assert y.dtype == np.float32
    assert abs(y.size - round(0.5 * dst)) <= 1
    expected = _tone(440.0, dst)[: y.size]
    middle = slice(dst // 20, y.size - dst // 20)  # ignore the filter's edges
    assert np.max(np.abs(y[middle] - expected[middle])) < 0.02
    # the dominant frequency is still 440 Hz
    spectrum = np.abs(np.fft.rfft(y[middle]))
    peak = np.fft.rfftfreq(y[middle].size, 1 / dst)[int(np.argmax(spectrum))]
    assert abs(peak - 440.0) < 5


def test_resample_down_removes_what_cannot_be_represented() -> None:
    # 10 kHz is above the 8 kHz Nyquist limit of 16 kHz audio: it must be filtered out, not aliased to 6 kHz
    y = resample(_tone(10_000.0, 48_000), 48_000, 16_000)
    assert float(np.sqrt(np.mean(y[200:-200] ** 2))) < 0.01


def test_int16_and_shape_checks(tmp_path: Path) -> None:
    assert to_float32(np.array([16384, -32768], dtype=np.int16)).tolist() == [0.5, -1.0]
    with pytest.raises(ValueError):
        to_float32(np.zeros((2, 2), dtype=np.float32))
    path = tmp_path / "x.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.array([0, 16384, -16384], dtype="<i2").tobytes())
    audio, rate = read_wav(path)
    assert rate == 8000
    assert audio.tolist() == [0.0, 0.5, -0.5]


@pytest.mark.slow
@needs_speech
@pytest.mark.parametrize(
    "file",
    ["librivox_sense_0930.wav", "osr8k_0034_01.wav", "sphinx4_digits_nb_1.wav", "fsdd_phone_yweweler.wav"],
)
def test_transcribes_real_speech_wide_and_narrow_band(file: str) -> None:
    from receptionist.voice.stt import get_transcriber

    reference = _references()[file]
    audio, rate = read_wav(SPEECH / file)
    text = get_transcriber().transcribe(audio, rate)
    assert count(reference, text).wer <= 0.25, (reference, text)


@pytest.mark.slow
@needs_speech
async def test_livekit_stt_recognizes_a_buffer() -> None:
    from livekit import rtc

    from receptionist.voice.stt import livekit_stt

    audio, rate = read_wav(SPEECH / "sphinx4_digits_nb_1.wav")
    pcm = (audio * 32767).astype(np.int16)
    frame = rtc.AudioFrame(pcm.tobytes(), rate, 1, pcm.size)
    stt = livekit_stt()
    assert stt.capabilities.streaming is False
    event = await stt.recognize([frame])
    reference = _references()["sphinx4_digits_nb_1.wav"]
    assert count(reference, event.alternatives[0].text).wer <= 0.25


@pytest.mark.slow
@needs_speech
def test_eval_stt_cli_prints_one_json_object(tmp_path: Path) -> None:
    files = ["cmu_goforward.wav", "osr8k_0034_01.wav", "fsdd_phone_yweweler.wav"]
    refs = _references()
    for f in files:
        shutil.copy(SPEECH / f, tmp_path / f)
    (tmp_path / "transcripts.tsv").write_text("".join(f"{f}\t{refs[f]}\n" for f in files), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "receptionist.cli", "eval", "stt", "--data", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # exactly one object, nothing else on stdout
    assert result["n"] == 3
    assert set(result["per_group"]) == {"cmu", "osr8k", "fsdd"}
    # no metadata.tsv here: the band comes from the WAV's sample rate
    assert [c["band"] for c in result["clips"]] == ["16k", "8k", "8k"]
    for key in ("wer", "wer_8k", "wer_16k", "wer_names_numbers"):
        assert 0.0 <= result[key] <= 1.0
    assert result["wer"] <= 0.3


def test_eval_stt_cli_rejects_a_missing_directory(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "receptionist.cli", "eval", "stt", "--data", str(tmp_path / "nope"), "--json"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "transcripts.tsv" in proc.stderr
    assert proc.stdout == ""


@needs_speech
def test_band_comes_from_metadata_else_from_the_sample_rate(tmp_path: Path) -> None:
    from receptionist.evaluation.stt import read_clips

    for f in ["cmu_goforward.wav", "osr8k_0034_01.wav", "sphinx4_digits_nb_1.wav"]:
        shutil.copy(SPEECH / f, tmp_path / f)
    (tmp_path / "transcripts.tsv").write_text(
        "cmu_goforward.wav\tgo forward\nosr8k_0034_01.wav\tx\nsphinx4_digits_nb_1.wav\ty\n", encoding="utf-8"
    )
    clips = read_clips(tmp_path)
    assert [(c.group, c.band) for c in clips] == [("cmu", "16k"), ("osr8k", "8k"), ("sphinx4", "8k")]
    (tmp_path / "metadata.tsv").write_text(
        "file\tband\ncmu_goforward.wav\ttelephone (8 kHz band-limited)\nosr8k_0034_01.wav\twideband\n",
        encoding="utf-8",
    )
    clips = read_clips(tmp_path)
    assert [c.band for c in clips] == ["8k", "16k", "8k"]  # the last is not in metadata: its rate says 8 kHz
