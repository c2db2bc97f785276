"""Sample-rate conversion for mono telephone audio: 8 kHz ↔ 16 kHz, 22,050 Hz → 8 kHz.

A windowed-sinc (Blackman) interpolator evaluated at each output instant. When the rate drops, the sinc
is stretched to the new Nyquist frequency (times ``ROLLOFF``) so it doubles as the anti-alias low-pass.
Whole buffers only: each call starts and ends with silence, so resample a whole utterance, not 20 ms
frames one by one.
"""

from __future__ import annotations

from math import ceil, gcd
from typing import TypeVar

import numpy as np
import numpy.typing as npt

ZERO_CROSSINGS = 16
"""Half-width of the filter, in zero crossings of the sinc: more is sharper and slower."""
ROLLOFF = 0.92
"""Cutoff as a fraction of the lower rate's Nyquist frequency (8 kHz → 3.68 kHz)."""
_BLOCK = 4096  # output samples computed per vectorised step, to bound memory

Sample = TypeVar("Sample", np.int16, np.float32)


def resample(samples: npt.NDArray[Sample], src_rate: int, dst_rate: int) -> npt.NDArray[Sample]:
    """Resample mono int16 or float32 audio from ``src_rate`` to ``dst_rate`` (same dtype out).

    The output has ``ceil(len * dst_rate / src_rate)`` samples. int16 output is rounded and clipped,
    never wrapped.
    """
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} → {dst_rate}")
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"resample needs mono (1-D) audio, got shape {x.shape}")
    if x.dtype not in (np.int16, np.float32):
        raise TypeError(f"resample needs int16 or float32 samples, got {x.dtype}")
    if src_rate == dst_rate:
        return x.copy()
    out = _interpolate(x.astype(np.float64), src_rate, dst_rate)
    if x.dtype == np.int16:
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
    return out.astype(np.float32)


def upsample_8k_to_16k(samples: npt.NDArray[Sample]) -> npt.NDArray[Sample]:
    """8 kHz telephone audio to the 16 kHz speech recognisers expect."""
    return resample(samples, 8000, 16000)


def downsample_16k_to_8k(samples: npt.NDArray[Sample]) -> npt.NDArray[Sample]:
    """16 kHz audio to the 8 kHz a phone line carries (low-passed first)."""
    return resample(samples, 16000, 8000)


def downsample_22050_to_8k(samples: npt.NDArray[Sample]) -> npt.NDArray[Sample]:
    """22,050 Hz TTS output (Piper medium voices) to 8 kHz for the phone line."""
    return resample(samples, 22050, 8000)


def _interpolate(x: npt.NDArray[np.float64], src_rate: int, dst_rate: int) -> npt.NDArray[np.float64]:
    # Exact rational step: output n sits at input position n * step_num / step_den.
    g = gcd(src_rate, dst_rate)
    step_num, step_den = src_rate // g, dst_rate // g
    cutoff = min(1.0, dst_rate / src_rate) * ROLLOFF  # in cycles per input sample × 2 (1.0 = Nyquist)
    half_width = ceil(ZERO_CROSSINGS / cutoff)  # input samples each side of the output instant
    taps = np.arange(-half_width, half_width + 1)
    n_out = ceil(len(x) * dst_rate / src_rate)
    padded = np.concatenate([np.zeros(half_width), x, np.zeros(half_width + 1)])
    out = np.empty(n_out)
    for start in range(0, n_out, _BLOCK):
        n = np.arange(start, min(start + _BLOCK, n_out))
        base = (n * step_num) // step_den  # integer part of the input position
        frac = (n * step_num % step_den) / step_den
        k = base[:, None] + taps[None, :]  # input indices under the filter
        u = k - (base + frac)[:, None]  # distance from the output instant, in input samples
        window = (
            0.42
            + 0.5 * np.cos(np.pi * u / (half_width + 1))
            + 0.08 * np.cos(2 * np.pi * u / (half_width + 1))
        )
        kernel = cutoff * np.sinc(cutoff * u) * window
        out[n] = np.sum(padded[k + half_width] * kernel, axis=1)
    return out
