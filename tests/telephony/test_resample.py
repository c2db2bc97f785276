from collections.abc import Callable

import numpy as np
import pytest

from receptionist.telephony.resample import (
    downsample_16k_to_8k,
    downsample_22050_to_8k,
    resample,
    upsample_8k_to_16k,
)


def _sine(freq: float, rate: int, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def _rms(x: np.ndarray) -> float:
    core = x[len(x) // 10 : -len(x) // 10].astype(np.float64)  # skip the edges
    return float(np.sqrt(np.mean(core**2)))


@pytest.mark.parametrize(
    ("src", "dst", "func"),
    [
        (8000, 16000, upsample_8k_to_16k),
        (16000, 8000, downsample_16k_to_8k),
        (22050, 8000, downsample_22050_to_8k),
    ],
)
def test_sine_keeps_its_frequency_length_and_level(
    src: int, dst: int, func: Callable[[np.ndarray], np.ndarray]
) -> None:
    x = _sine(1000.0, src)
    y = func(x)
    assert y.dtype == np.float32
    assert len(y) == dst  # one second in, one second out
    assert _peak_hz(y, dst) == pytest.approx(1000.0, abs=2.0)
    assert _rms(y) == pytest.approx(_rms(x), rel=0.02)
    expected = _sine(1000.0, dst)
    assert np.max(np.abs(y - expected)[dst // 10 : -dst // 10]) < 0.01


def test_lengths_for_telephone_frames() -> None:
    assert len(upsample_8k_to_16k(np.zeros(160, dtype=np.int16))) == 320
    assert len(downsample_16k_to_8k(np.zeros(320, dtype=np.int16))) == 160
    assert len(downsample_22050_to_8k(np.zeros(441, dtype=np.int16))) == 160
    assert len(resample(np.zeros(0, dtype=np.int16), 22050, 8000)) == 0


@pytest.mark.parametrize(("src", "freq"), [(16000, 6000.0), (22050, 7000.0)])
def test_downsampling_removes_what_would_alias(src: int, freq: float) -> None:
    y = resample(_sine(freq, src), src, 8000)
    assert _rms(y) < 0.005 * _rms(_sine(freq, src))  # below -46 dB instead of folding to 2 or 1 kHz


def test_full_scale_int16_does_not_wrap() -> None:
    x = np.round(_sine(440.0, 8000, amplitude=1.0) * 32767).astype(np.int16)
    x[::37] = 32767  # a clipped, spiky signal overshoots after filtering
    for y in (upsample_8k_to_16k(x), downsample_16k_to_8k(upsample_8k_to_16k(x))):
        assert y.dtype == np.int16
        assert _peak_hz(y, 16000 if len(y) == 16000 else 8000) == pytest.approx(440.0, abs=2.0)
    # No wrap-around: a positive peak in the input stays positive.
    y = downsample_16k_to_8k(upsample_8k_to_16k(x))
    peaks = np.argsort(x)[-50:]
    assert (y[peaks] > 20000).all()


def test_same_rate_is_a_copy_and_bad_input_is_refused() -> None:
    x = np.arange(10, dtype=np.int16)
    y = resample(x, 8000, 8000)
    assert (y == x).all() and y is not x
    with pytest.raises(ValueError, match="positive"):
        resample(x, 0, 8000)
    with pytest.raises(ValueError, match="mono"):
        resample(np.zeros((2, 10), dtype=np.int16), 8000, 16000)
    with pytest.raises(TypeError, match="int16 or float32"):
        resample(np.zeros(10, dtype=np.float64), 8000, 16000)  # type: ignore[type-var]
