"""Speech-to-text evaluation: transcribe every clip listed in ``DIR/transcripts.tsv`` and score pooled WER.

The band of a clip comes from ``DIR/metadata.tsv`` (its ``band`` column) where present, else from the
WAV's sample rate (8000 Hz → ``8k``, anything else → ``16k``). A clip's group is its file name up to the
first ``_``. ``wer_names_numbers`` pools the groups in :data:`NAMES_NUMBERS_GROUPS` (spelled names, digits,
phone numbers). All rates are fractions in 0–1; see :mod:`receptionist.evaluation.wer` for normalisation.
Latency is the wall time of one ``transcribe`` call per clip (mean, p50, p95).
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from receptionist.evaluation.wer import WerCount, count, pooled

log = logging.getLogger(__name__)

NAMES_NUMBERS_GROUPS = ("an4", "fsdd", "sphinx4")

Transcribe = Callable[[npt.NDArray[np.float32], int], str]


class SttDataError(ValueError):
    """The evaluation directory is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Clip:
    file: str
    reference: str
    group: str
    band: str  # "8k" | "16k"


@dataclass(frozen=True, slots=True)
class ClipResult:
    clip: Clip
    hypothesis: str
    count: WerCount
    seconds: float


def _band_label(value: str) -> str:
    v = value.lower()
    return "8k" if ("8 khz" in v or "8khz" in v or "telephone" in v or v.strip() in {"8k", "8000"}) else "16k"


def _read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [row for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if row]


def read_clips(data: Path) -> list[Clip]:
    from receptionist.voice.stt import read_wav

    transcripts = data / "transcripts.tsv"
    if not transcripts.is_file():
        raise SttDataError(f"{transcripts} not found (expected file<TAB>reference per line)")
    rows = _read_tsv(transcripts)
    if rows and rows[0][:2] == ["file", "reference"]:
        rows = rows[1:]
    bands: dict[str, str] = {}
    metadata = data / "metadata.tsv"
    if metadata.is_file():
        meta = _read_tsv(metadata)
        if meta and "band" in meta[0]:
            i_file, i_band = meta[0].index("file"), meta[0].index("band")
            bands = {r[i_file]: _band_label(r[i_band]) for r in meta[1:] if len(r) > max(i_file, i_band)}
    clips = []
    for n, row in enumerate(rows, 1):
        if len(row) < 2:
            raise SttDataError(f"{transcripts}:{n}: expected file<TAB>reference")
        file, reference = row[0], row[1]
        if not (data / file).is_file():
            raise SttDataError(f"{transcripts}:{n}: {file} not found in {data}")
        band = bands.get(file)
        if band is None:
            _, rate = read_wav(data / file)
            band = "8k" if rate == 8000 else "16k"
        clips.append(Clip(file, reference, file.split("_", 1)[0].removesuffix(".wav"), band))
    return clips


def evaluate(data: Path, clips: Iterable[Clip], transcribe: Transcribe) -> list[ClipResult]:
    from receptionist.voice.stt import read_wav

    results = []
    for clip in clips:
        audio, rate = read_wav(data / clip.file)
        started = time.perf_counter()
        hypothesis = transcribe(audio, rate)
        seconds = time.perf_counter() - started
        c = count(clip.reference, hypothesis)
        log.info("%s [%s] %.2fs wer=%.2f ref=%r hyp=%r", clip.file, clip.band, seconds, c.wer, clip.reference,
                 hypothesis)  # fmt: skip
        results.append(ClipResult(clip, hypothesis, c, seconds))
    return results


def _rate(results: Iterable[ClipResult]) -> float | None:
    total = pooled(r.count for r in results)
    return round(total.wer, 4) if total.ref_words else None


def _percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile of ``values`` (None if there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 3)


def report(results: list[ClipResult], data: Path, model: str) -> dict[str, Any]:
    """The JSON report (rates are ``None`` where a subset has no reference words)."""
    groups = sorted({r.clip.group for r in results})
    seconds = [r.seconds for r in results]
    return {
        "data": str(data),
        "model": model,
        "n": len(results),
        "wer": _rate(results),
        "wer_8k": _rate(r for r in results if r.clip.band == "8k"),
        "wer_16k": _rate(r for r in results if r.clip.band == "16k"),
        "wer_names_numbers": _rate(r for r in results if r.clip.group in NAMES_NUMBERS_GROUPS),
        "per_group": {
            g: {
                "wer": _rate(r for r in results if r.clip.group == g),
                "n": sum(1 for r in results if r.clip.group == g),
            }
            for g in groups
        },
        "ref_words": pooled(r.count for r in results).ref_words,
        "seconds_per_clip_mean": round(sum(seconds) / len(seconds), 3) if seconds else None,
        "seconds_per_clip_p50": _percentile(seconds, 0.5),
        "seconds_per_clip_p95": _percentile(seconds, 0.95),
        "clips": [
            {
                "file": r.clip.file,
                "group": r.clip.group,
                "band": r.clip.band,
                "reference": r.clip.reference,
                "hypothesis": r.hypothesis,
                "edits": r.count.edits,
                "ref_words": r.count.ref_words,
            }
            for r in results
        ],
    }
