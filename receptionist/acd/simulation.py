"""Moving a :class:`FakeClock` through an ACD's timers one due time at a time, as a perfect worker would."""

from __future__ import annotations

from datetime import timedelta

from receptionist.acd.clock import FakeClock
from receptionist.acd.engine import Acd, Activity


def advance(acd: Acd, clock: FakeClock, seconds: float) -> Activity:
    """Advance ``clock`` by ``seconds``, ticking ``acd`` at every timer's due time on the way (so offers
    made when a timer frees an agent carry that exact time), then at the end."""
    target = clock.now() + timedelta(seconds=seconds)
    activity = Activity()
    while (due := acd.store.next_due()) is not None and due <= target:
        clock.set(max(due, clock.now()))
        activity += acd.tick()
    clock.set(target)
    return activity + acd.tick()
