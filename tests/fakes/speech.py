"""Caller speech for tests, spoken by espeak-ng (never the receptionist's own Piper voice).

espeak-ng is a Debian package that ``scripts/system_packages.sh`` installs for the test command.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from receptionist.voice.stt import read_wav, resample

#: a caller asking about an invoice and leaving a message with a name and a number (the issue's call)
INVOICE_CALL = [
    "Hi, I have a question about an invoice you sent me.",
    "My name is John Carter.",
    "four one five, five five five, zero one three four",
    "yes",
    "in the afternoon",
    "no, that is all, thank you, goodbye",
]


@dataclass(frozen=True)
class Keys:
    """Keys the caller presses on the phone's keypad (DTMF) instead of speaking."""

    keys: str


@dataclass
class InvoiceCaller:
    """The invoice caller of :data:`INVOICE_CALL`, answering what the receptionist actually asked, as a
    person on the phone would: the number again (more slowly) when it was not understood, "no" to a
    wrong read-back or to the offer of the number they call from, and the number keyed in when the
    receptionist offers the keypad after it did not come through spoken."""

    # as callers often do, the reason is given twice over ("invoice", "bill"): espeak's voice through an
    # 8 kHz line loses a word now and then ("about an invoice" → "a mountain in voice")
    opening: str = "Hello. I'm calling about my invoice. I think the bill you sent me is wrong."
    number: str = "four one five, five five five, zero one three four"
    number_read_back: str = "four one five, five five five, zero one three four"
    number_keys: str = "4155550134#"
    turns: int = 0
    tries: int = 0  # times the number was said aloud
    keyed: bool = False  # whether it was keyed in

    def answer(self, asked: str) -> str | Keys | None:
        """What to say (or key) in reply to the receptionist's last line, or None to stop (the call is
        done)."""
        self.turns += 1
        said = asked.lower()
        if self.turns > 14 or "goodbye" in said:
            return None
        if self.turns == 1:
            return self.opening
        if "name" in said and "number" not in said:
            return INVOICE_CALL[1]
        if "is that right" in said or "read that back" in said:
            return "yes" if self.number_read_back in said else "no, that's wrong"
        if "calling from" in said:
            return "No, a different number."
        if "keypad" in said and self.tries and not self.keyed:
            self.keyed = True
            return Keys(self.number_keys)
        if "number" in said:
            self.tries += 1
            return self.number
        if "time" in said and "call" in said:
            return INVOICE_CALL[4]
        return "No, thank you. Goodbye."


def sounds_like(heard: str, said: str, *, at_least: float = 0.7) -> bool:
    """Whether a name came through as itself or a near spelling ("John Carger", "John Kargur" for "John
    Carter": tiny.en's spelling of espeak's surname varies with the CPU and how the audio was cut), not
    as another name ("Jane Parker" is 0.64)."""
    return difflib.SequenceMatcher(None, heard.lower(), said.lower()).ratio() >= at_least


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def espeak(text: str, *, rate: int = 16_000, voice: str = "en-us", wpm: int = 150) -> npt.NDArray[np.float32]:
    """``text`` spoken by espeak-ng, mono float32 at ``rate``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(out), text],
            check=True,
            capture_output=True,
        )
        audio, src_rate = read_wav(out)
    return resample(audio * 0.8, src_rate, rate)


def silence(seconds: float, rate: int = 16_000) -> npt.NDArray[np.float32]:
    return np.zeros(round(seconds * rate), dtype=np.float32)


def conversation(
    turns: Sequence[str], *, gap_s: float = 2.0, lead_s: float = 0.5, rate: int = 16_000, wpm: int = 150
) -> tuple[npt.NDArray[np.float32], list[tuple[float, float]]]:
    """Caller turns separated by ``gap_s`` of silence; also each turn's (start, end) in seconds."""
    parts = [silence(lead_s, rate)]
    spans: list[tuple[float, float]] = []
    t = lead_s
    for text in turns:
        speech = espeak(text, rate=rate, wpm=wpm)
        spans.append((t, t + speech.size / rate))
        parts += [speech, silence(gap_s, rate)]
        t += speech.size / rate + gap_s
    return np.concatenate(parts), spans
