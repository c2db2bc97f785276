import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from receptionist.telephony import mulaw


def _step_error_bound(code: int) -> int:
    """Half a quantisation step of the segment the code belongs to."""
    exponent = ((~code & 0xFF) >> 4) & 0x07
    return 1 << (exponent + 2)


def test_known_codes_decode_to_the_standard_values() -> None:
    decoded = mulaw.decode(bytes([0xFF, 0x7F, 0x00, 0x80, 0xFE, 0x7E, 0xEF, 0x0F, 0x10, 0x7E, 0x70]))
    assert decoded.tolist() == [0, 0, -32124, 32124, 8, -8, 132, -16764, -15996, -8, -120]


def test_decode_table_is_odd_symmetric_and_monotonic() -> None:
    table = mulaw.decode(bytes(range(256))).astype(np.int32)
    positive = table[0x80:][::-1]  # 0xFF (0) … 0x80 (32124)
    negative = table[:0x80][::-1]  # 0x7F (0) … 0x00 (-32124)
    assert (positive == -negative).all()
    assert (np.diff(positive) > 0).all()


def test_encode_known_samples() -> None:
    pcm = np.array([0, -1, 32767, -32768, 32124, -32124], dtype=np.int16)
    assert mulaw.encode(pcm) == bytes([0xFF, 0x7F, 0x80, 0x00, 0x80, 0x00])


def test_every_code_survives_decode_then_encode() -> None:
    codes = bytes(c for c in range(256) if c != 0x7F)  # 0x7F is "negative zero": it re-encodes as 0xFF
    assert mulaw.encode(mulaw.decode(codes)) == codes


@given(arrays(np.int16, st.integers(0, 400)))
def test_round_trip_is_within_quantisation_error(pcm: np.ndarray) -> None:
    encoded = mulaw.encode(pcm)
    assert len(encoded) == len(pcm)
    decoded = mulaw.decode(encoded)
    assert decoded.dtype == np.int16
    clipped = np.clip(pcm.astype(np.int32), -mulaw.CLIP, mulaw.CLIP)
    errors = np.abs(decoded.astype(np.int32) - clipped)
    bounds = np.array([_step_error_bound(c) for c in encoded], dtype=np.int32)
    assert (errors <= bounds).all()


def test_encode_rejects_other_dtypes() -> None:
    import pytest

    with pytest.raises(TypeError, match="int16"):
        mulaw.encode(np.zeros(4, dtype=np.float32))
