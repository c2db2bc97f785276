"""The routing worker: fires due timers and routes waiting calls, over and over.

Run one per process. With the in-process store it keeps ring timeouts, wrap-up, delays and maximum waits
moving; with the Redis store any number of workers on any number of machines may run at once (every step
is one atomic script), and when one dies the others carry on with the calls it left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from receptionist.acd.engine import Acd, Activity
from receptionist.acd.errors import StoreUnavailable

log = logging.getLogger(__name__)


class RoutingWorker:
    def __init__(
        self,
        acd: Acd,
        *,
        interval_s: float = 0.1,
        on_activity: Callable[[Activity], None] | None = None,
    ) -> None:
        self.acd = acd
        self.interval_s = interval_s
        self.on_activity = on_activity

    def step(self) -> float:
        """One tick; returns how long to sleep before the next (until the next timer, at most the interval)."""
        try:
            activity = self.acd.tick()
        except StoreUnavailable as exc:
            log.warning("ACD store unavailable, retrying: %s", exc)
            return self.interval_s
        if self.on_activity is not None and (activity.events or activity.offers):
            self.on_activity(activity)
        due = self.acd.store.next_due()
        if due is None:
            return self.interval_s
        wait = (due - self.acd.clock.now()).total_seconds()
        return min(self.interval_s, max(0.0, wait))

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set (in a thread or a process of its own)."""
        while not stop.is_set():
            stop.wait(self.step())

    async def run_async(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set, with store calls kept off the event loop."""
        while not stop.is_set():
            pause = await asyncio.to_thread(self.step)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)
