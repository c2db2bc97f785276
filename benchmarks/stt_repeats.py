"""Phone numbers with repeated digits over a phone line, by the decoder's repeated n-gram block.

    python benchmarks/stt_repeats.py [--sizes 6,12,0] [--json] [--no-docs]

Whisper's ``no_repeat_ngram_size`` stops decoder loops by banning any n-gram that has already been
written. A phone number read out with pauses comes out as "4, 1, 5, 5, 5, 5, 0, ...": "5 ," is two
tokens, so four fives in a row repeat the 6-gram "5 , 5 , 5 ," and a block of 6 bans the fourth five.
This benchmark reads out numbers full of repeated digits (written for it; nothing from the evaluation
data) with espeak-ng at two speeds, through 8 kHz µ-law as a phone line carries them, and counts for
each block size the numbers whose digits came out exactly (after the brain's repair of sound-alike words
such as "time" for "five") and the digit error rate (edit distance over the digits said).

Writes its section of docs/benchmarks.md unless ``--no-docs``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from voice_harness import espeak

from receptionist.brain.phone import DIGIT_WORDS, spoken_digits_to_text
from receptionist.evaluation.wer import edit_distance
from receptionist.telephony import mulaw
from receptionist.voice.stt import SAMPLE_RATE, SttOptions, WhisperTranscriber, resample

ROOT = Path(__file__).resolve().parents[1]

#: numbers as callers read them out, in groups, with runs of one digit (written for this benchmark)
NUMBERS = (
    "two oh six, five five five, five five five five",
    "three one two, four four four, nine nine one two",
    "seven one eight, two two two, three three three three",
    "nine one seven, five five five, zero zero zero zero",
    "six four six, eight eight eight, one one two two",
    "five one two, seven seven seven, seven seven six five",
    "eight three two, three three three, six six six six",
    "four zero four, one one one, two two two two",
)
SPEEDS_WPM = (150, 120)
NOTES = """
A number is exact when every digit came out, in order; the digit error rate is the edit distance over
the digits said. With a block of 6 the fourth of a run of identical digits cannot be written (or comes
out as a different digit). The word error rate on the evaluation clips is the same with 6, 12 or no
block (`receptionist eval stt --data ../shared/evaldata/speech --no-repeat-ngram N`: 4.9 % overall,
7.3 % on names and numbers, for each N; on `telephone_sim/` 5.2 % for 6 and 12), so the default is 12:
seven of a digit in a row can be written, and a sentence the decoder starts over is still stopped after
twelve tokens. What no block size fixes: tiny.en often hears espeak's "five five five" on 8 kHz as two
fives; the dialogue reads back what it heard and offers the keypad.
"""


def digits_said(text: str) -> str:
    return "".join(DIGIT_WORDS[w] for w in text.replace(",", " ").split())


def digits_heard(text: str) -> str:
    return "".join(ch for ch in spoken_digits_to_text(text) if ch.isdigit())


def phone_line(text: str, wpm: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """``text`` spoken by espeak-ng, carried as 8 kHz µ-law, back at Whisper's rate."""
    narrow = resample(espeak(text, wpm=wpm), SAMPLE_RATE, 8000)
    pcm = mulaw.decode(mulaw.encode((np.clip(narrow, -1, 1) * 32767).astype(np.int16)))
    return resample(pcm.astype(np.float32) / 32768, 8000, SAMPLE_RATE)


def run(sizes: list[int]) -> dict[str, Any]:
    transcribers = {n: WhisperTranscriber(SttOptions(no_repeat_ngram_size=n)) for n in sizes}
    rows: dict[int, dict[str, Any]] = {n: {"exact": 0, "digit_edits": 0, "heard": []} for n in sizes}
    said_total, n_numbers = 0, 0
    for wpm in SPEEDS_WPM:
        for text in NUMBERS:
            audio = phone_line(text, wpm)
            said = digits_said(text)
            said_total += len(said)
            n_numbers += 1
            for n, transcriber in transcribers.items():
                heard_text = transcriber.transcribe(audio)
                heard = digits_heard(heard_text)
                row = rows[n]
                row["exact"] += heard == said
                row["digit_edits"] += edit_distance(list(said), list(heard))
                row["heard"].append({"wpm": wpm, "said": said, "heard": heard, "text": heard_text})
    return {
        "numbers": n_numbers,
        "digits": said_total,
        "sizes": {
            str(n): {
                "exact": r["exact"] / n_numbers,
                "digit_error_rate": r["digit_edits"] / said_total,
                "heard": r["heard"],
            }
            for n, r in rows.items()
        },
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        "| `no_repeat_ngram_size` | numbers exact | digit error rate |",
        "|---|---|---|",
    ]
    for size, r in result["sizes"].items():
        label = "off" if size == "0" else size
        lines.append(f"| {label} | {100 * r['exact']:.0f} % | {100 * r['digit_error_rate']:.1f} % |")
    return (
        f"{result['numbers']} numbers ({result['digits']} digits), espeak-ng at "
        f"{' and '.join(map(str, SPEEDS_WPM))} words a minute, 8 kHz µ-law, tiny.en int8:\n\n"
        + "\n".join(lines)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="6,12,0", help="block sizes to compare (0: no block)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    result = run([int(s) for s in args.sizes.split(",")])
    if args.json:
        print(json.dumps(result))
    else:
        print(table(result))
        for size, r in result["sizes"].items():
            misses = [h for h in r["heard"] if h["heard"] != h["said"]]
            print(f"\nblock {size}: {len(misses)} numbers not exact")
            for h in misses:
                print(f"  {h['wpm']} wpm  said {h['said']}  heard {h['heard'] or '-'}  ({h['text']})")
    if not args.no_docs:
        from report import write_section

        write_section(
            "stt-repeats",
            "Speech to text: repeated digits and the n-gram block",
            table(result) + "\n" + NOTES,
            "python benchmarks/stt_repeats.py",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
