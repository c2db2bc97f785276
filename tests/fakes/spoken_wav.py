"""WAV files that play a scripted speaker into a browser's fake microphone.

Chromium's ``--use-file-for-fake-audio-capture=FILE`` plays a 16-bit PCM WAV as the microphone from the
moment a page opens it. A script is a sequence of sentences (spoken by espeak-ng) and pauses (seconds of
silence), so the words arrive roughly when the conversation is ready for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from receptionist.telephony.wavfile import write_wav
from tests.fakes.speech import espeak, silence

#: chromium's capture rate; it converts other rates, but this one needs no resampling
FAKE_CAPTURE_RATE = 48_000


def write_spoken_wav(path: Path, script: Sequence[str | float], *, rate: int = FAKE_CAPTURE_RATE) -> Path:
    """Write ``script`` (a ``str`` is said, a ``float`` is that many seconds of silence) to ``path``."""
    parts = [espeak(item, rate=rate) if isinstance(item, str) else silence(item, rate) for item in script]
    audio = np.concatenate(parts) if parts else silence(0.1, rate)
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    write_wav(path, pcm, rate)
    return path
