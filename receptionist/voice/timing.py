"""Latency measured on live calls, for the operator's metrics.

The voice code does not import prometheus_client: it is given :class:`VoiceTimers`, whose observers are
anything with ``observe(seconds)`` (the composition root passes the ``/metrics`` histograms of
:mod:`receptionist.web.metrics`; a test passes a list). LiveKit reports the figures per turn on the chat
messages it adds (``ChatMessage.metrics``): ``transcription_delay`` on the caller's, ``e2e_latency`` (the
caller finished speaking → the receptionist began answering) on the receptionist's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Observer(Protocol):
    """Records one duration in seconds (a Prometheus histogram, a list in a test)."""

    def observe(self, amount: float) -> None: ...


@dataclass(frozen=True, slots=True)
class VoiceTimers:
    """Where a call reports its latencies; ``None``: not recorded."""

    voice_to_voice: Observer | None = None  # end of the caller's turn → the receptionist's first audio
    stt: Observer | None = None  # end of the caller's speech → their words transcribed
