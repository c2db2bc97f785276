"""G.711 µ-law codec (ITU-T G.711, bias 0x84, clip 32635) with numpy lookup tables.

The stdlib ``audioop`` is deprecated (removed in Python 3.13), so the codec lives here. Tables are built
on first use, not at import time.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

BIAS = 0x84
CLIP = 32635
SILENCE = 0xFF
"""The µ-law code for a zero sample (used to pad frames)."""


def _encode_one(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sign else sample, CLIP) + BIAS
    exponent = max(magnitude.bit_length() - 8, 0)  # position of the top bit above bit 7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _decode_one(code: int) -> int:
    inverted = ~code & 0xFF
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS
    return -magnitude if inverted & 0x80 else magnitude


@cache
def _encode_table() -> npt.NDArray[np.uint8]:
    """µ-law code for every int16 value, indexed by ``sample + 32768``."""
    return np.array([_encode_one(s) for s in range(-32768, 32768)], dtype=np.uint8)


@cache
def _decode_table() -> npt.NDArray[np.int16]:
    return np.array([_decode_one(c) for c in range(256)], dtype=np.int16)


def encode(pcm: npt.NDArray[np.int16]) -> bytes:
    """Encode mono int16 PCM samples as µ-law bytes (one byte per sample)."""
    samples = np.asarray(pcm)
    if samples.dtype != np.int16:
        raise TypeError(f"µ-law encode needs int16 samples, got {samples.dtype}")
    index = samples.astype(np.int32).ravel() + 32768
    return _encode_table()[index].tobytes()


def decode(data: bytes) -> npt.NDArray[np.int16]:
    """Decode µ-law bytes to mono int16 PCM samples (a new, writable array)."""
    codes = np.frombuffer(data, dtype=np.uint8)
    return _decode_table()[codes]
