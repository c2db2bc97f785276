"""Voice: local speech-to-text (faster-whisper) and, later, text-to-speech and call transports.

Heavy dependencies live in the ``voice`` extra (``pip install 'receptionist[voice]'``) and are imported
lazily: importing this package loads no model.
"""

from __future__ import annotations

from receptionist.voice.stt import (
    SAMPLE_RATE,
    SttOptions,
    WhisperTranscriber,
    get_transcriber,
    read_wav,
    resample,
)

__all__ = ["SAMPLE_RATE", "SttOptions", "WhisperTranscriber", "get_transcriber", "read_wav", "resample"]
