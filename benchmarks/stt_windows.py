"""Speech-to-text encoder windows: per-utterance latency and WER, padded 30 s windows against short ones.

    python benchmarks/stt_windows.py [--data DIR] [--json] [--no-docs] [--quick]

Every clip of ``DIR/transcripts.tsv`` (default ``../shared/evaldata/speech``) is transcribed by every
variant below, one clip at a time with the variants in rotating order, so that load from other processes
falls on all of them alike. All variants share one loaded model (faster-whisper ``tiny.en``, int8, 2
threads). Latency is the wall time of ``WhisperTranscriber.transcribe`` per utterance (resampling
included); CPU is the process CPU time per utterance (both threads). WER is pooled, normalised as in
``receptionist/evaluation/wer.py``.

Variants:

- ``padded``: faster-whisper's own path, every utterance padded to a 30 s window (the old default);
- ``short``: the encoder window cut to the utterance + 0.5 s, at least ``min_window_seconds``, with the
  loop guards of ``receptionist/voice/stt.py`` (segments past the audio dropped, retry on a longer window
  when the output looks like a loop); ``raw`` is the same without the retry, to find the window floor;
- accuracy steps on the short window: beam search, level normalisation, an initial prompt.

Writes its section of docs/benchmarks.md unless ``--no-docs``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from receptionist.evaluation.stt import NAMES_NUMBERS_GROUPS, Clip, read_clips
from receptionist.evaluation.wer import WerCount, count, pooled
from receptionist.voice.stt import SttOptions, WhisperTranscriber, looks_looped, read_wav

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_DATA = ROOT.parent / "shared" / "evaldata" / "speech"
#: a generic phone-call prompt written for this benchmark (nothing from the evaluation data)
PROMPT = "Thanks for calling. May I have your name, please? It is Dana Kowal, K-O-W-A-L."
FLOOR_WINDOWS = (2.0, 3.0, 5.0, 7.5, 10.0, 15.0)
NOTES = """
Reading the tables: the set is small (473 reference words; one spelled name is 8-11 of them, about 2
points of the overall WER), so a point or two between neighbouring rows is one or two clips. What holds
across rows: the short window cuts CPU per utterance 2.2-2.8x against the padded 30 s window (p50 about
2x) at no cost in WER; beam search (2, 3 or 5) fixes most spelled names, which greedy decoding turns into
made-up words; without the retry the decoder loops on some clips at every window (even 15 s: a digit
said once or twice written four times) and on many below 10 s; with it, 5 s is as accurate as 15 s but
retries one clip in seven, so the default stays at 10 s. "padded, beam 2" is no alternative for long
turns: faster-whisper's padded path decodes without timestamps, so it cannot resume when beam search
stops after the first sentence (on 60 s of a repeated sentence it returned two words; the short path,
which resumes from the last segment, returned them all).
Not kept: level normalisation (helps isolated digits, hurts spelled names; worse overall) and an initial
prompt (tiny.en then hallucinates on short clips). Tried outside this script and not kept either: a
lead-in of silence before the audio (0.1 s, 0.25 s, 0.5 s: up and down with no consistent direction) and
SciPy's polyphase resampler instead of ours for 8 kHz audio (identical WER).
"""


@dataclass
class Variant:
    name: str
    changes: dict[str, Any]
    group: str  # "window" | "floor" | "accuracy"
    note: str = ""
    counts: list[WerCount] = field(default_factory=list)
    by_clip: list[tuple[Clip, WerCount]] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    retried: int = 0
    looped: int = 0  # outputs that still look like a loop


def variants(quick: bool) -> list[Variant]:
    default = SttOptions()
    out = [
        Variant("padded, greedy", {"window": "padded", "beam_size": 1}, "window", "the old default"),
        Variant("padded, beam 2", {"window": "padded", "beam_size": 2}, "window"),
        Variant("short, greedy, no timestamps", {"beam_size": 1, "segment_timestamps": False}, "window"),
        Variant("short, greedy", {"beam_size": 1}, "window", "step 1: short window"),
        Variant(f"short, beam {default.beam_size}", {}, "window", "step 2: beam search (the new default)"),
    ]
    floors = (3.0, 10.0) if quick else FLOOR_WINDOWS
    for seconds in floors:
        out.append(
            Variant(
                f"raw, min {seconds:g} s", {"min_window_seconds": seconds, "retry_on_loop": False}, "floor"
            )
        )
        if seconds != default.min_window_seconds:
            out.append(Variant(f"short, min {seconds:g} s", {"min_window_seconds": seconds}, "floor"))
    if not quick:
        out += [
            Variant("short, beam 3", {"beam_size": 3}, "accuracy"),
            Variant("short, beam 5", {"beam_size": 5}, "accuracy"),
            Variant("short, beam 2 + level", {"normalize_level": True}, "accuracy", "not kept"),
            Variant("short, beam 2 + prompt", {"initial_prompt": PROMPT}, "accuracy", "not kept"),
        ]
    return out


def run(data: Path, quick: bool) -> tuple[list[Variant], list[Clip]]:
    clips = read_clips(data)
    base = WhisperTranscriber(SttOptions())
    vs = variants(quick)
    transcribers = [base.derive(**v.changes) for v in vs]
    audio = [read_wav(data / c.file) for c in clips]
    transcribers[0].transcribe(audio[0][0], audio[0][1])  # warm-up, untimed
    for i, (clip, (samples, rate)) in enumerate(zip(clips, audio, strict=True)):
        order = list(range(len(vs)))
        order = order[i % len(vs) :] + order[: i % len(vs)]
        for k in order:
            v, t = vs[k], transcribers[k]
            wall, cpu = time.perf_counter(), time.process_time()
            text = t.transcribe(samples, rate)
            v.wall.append(time.perf_counter() - wall)
            v.cpu.append(time.process_time() - cpu)
            c = count(clip.reference, text)
            v.counts.append(c)
            v.by_clip.append((clip, c))
            v.retried += len(t.last_windows) > 1
            v.looped += looks_looped(text, samples.size / rate) is not None
        print(f"{i + 1}/{len(clips)} {clip.file}", file=sys.stderr, flush=True)
    return vs, clips


def _wer(v: Variant, keep: Any = None) -> float | None:
    total = pooled(c for clip, c in v.by_clip if keep is None or keep(clip))
    return round(100 * total.wer, 1) if total.ref_words else None


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def summary(v: Variant) -> dict[str, Any]:
    return {
        "variant": v.name,
        "group": v.group,
        "options": v.changes,
        "note": v.note,
        "wer": _wer(v),
        "wer_8k": _wer(v, lambda c: c.band == "8k"),
        "wer_16k": _wer(v, lambda c: c.band == "16k"),
        "wer_names_numbers": _wer(v, lambda c: c.group in NAMES_NUMBERS_GROUPS),
        "wer_an4": _wer(v, lambda c: c.group == "an4"),
        "wer_fsdd": _wer(v, lambda c: c.group == "fsdd"),
        "latency_p50_s": round(statistics.median(v.wall), 3),
        "latency_p95_s": round(_pct(v.wall, 0.95), 3),
        "cpu_mean_s": round(statistics.fmean(v.cpu), 3),
        "retried": v.retried,
        "looks_looped": v.looped,
    }


def table(rows: list[dict[str, Any]], with_note: bool = False) -> str:
    head = "| variant | WER % | 8 kHz | 16 kHz | names+numbers | an4 | fsdd | p50 s | p95 s | CPU s | retried | looped |"
    lines = [head + (" note |" if with_note else ""), "|" + "---|" * (12 + with_note)]
    for r in rows:
        cells = [r["variant"], r["wer"], r["wer_8k"], r["wer_16k"], r["wer_names_numbers"], r["wer_an4"],
                 r["wer_fsdd"], r["latency_p50_s"], r["latency_p95_s"], r["cpu_mean_s"], r["retried"],
                 r["looks_looped"]]  # fmt: skip
        if with_note:
            cells.append(r["note"])
        lines.append("| " + " | ".join("–" if c is None else str(c) for c in cells) + " |")
    return "\n".join(lines)


def write_docs(result: dict[str, Any], command: str) -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.report import relative, write_section

    rows = result["variants"]
    default = SttOptions()
    body = f"""Data: `{relative(Path(result["data"]))}` ({result["n"]} clips, {result["ref_words"]} reference words);
faster-whisper `tiny.en`, int8, 2 threads, one loaded model shared by every variant; the variants run
clip by clip in rotating order, so other load on the machine falls on all alike. p50/p95: wall time of
one `transcribe` call; CPU: process CPU seconds per call (both threads). "retried": clips decoded again
on a longer window because the first output looked like a loop; "looped": final outputs that still do.

Window policy (default: short, at least {default.min_window_seconds:g} s, beam {default.beam_size}):

{table([r for r in rows if r["group"] == "window"], with_note=True)}

Window floor: the shortest window, without the retry on a longer window (`raw`; the token bound and
the dropping of segments past the audio stay) and with it (`short`), beam {default.beam_size}. The
window is max(floor, utterance + {default.window_margin_seconds:g} s).

{table([r for r in rows if r["group"] == "floor" or r["variant"] == f"short, beam {default.beam_size}"])}

Accuracy steps on the short window (beyond those above):

{table([r for r in rows if r["group"] == "accuracy"], with_note=True)}

The prompt variant's text: "{PROMPT}" (written for this benchmark).
{NOTES}"""
    write_section("stt-windows", "Speech to text: encoder windows", body, command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--quick", action="store_true", help="fewer variants (no docs)")
    args = parser.parse_args(argv)
    if not (args.data / "transcripts.tsv").is_file():
        print(f"{args.data}/transcripts.tsv not found", file=sys.stderr)
        return 2
    vs, clips = run(args.data, args.quick)
    rows = [summary(v) for v in vs]
    result = {
        "data": str(args.data),
        "n": len(clips),
        "ref_words": pooled(vs[0].counts).ref_words,
        "variants": rows,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(table(rows, with_note=True))
    if not args.no_docs and not args.quick:
        command = "python benchmarks/stt_windows.py" + (
            "" if args.data.resolve() == DEFAULT_DATA.resolve() else f" --data {args.data}"
        )
        write_docs(result, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
