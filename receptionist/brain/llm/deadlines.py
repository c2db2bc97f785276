"""How long the LLM brain may keep a caller waiting.

Two limits: ``step_s`` for each wait on the server (the first chunk of a reply, then each gap between
chunks) and ``total_s`` for the whole turn. Only time the brain spends waiting counts: while the
consumer holds a piece of the reply (speaking it), the clock is paused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from receptionist.brain.base import BrainFailure

T = TypeVar("T")


class Deadlines:
    """The step and turn deadlines of one brain turn."""

    def __init__(self, *, step_s: float, total_s: float) -> None:
        self.step_s = step_s
        self.total_s = total_s
        now = time.monotonic()
        self._step_end = now + step_s
        self._total_end = now + total_s

    def restart_step(self) -> None:
        """A chunk arrived (or a new request starts): the next wait gets a full step."""
        self._step_end = time.monotonic() + self.step_s

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Time inside this block (the consumer's) counts against neither limit."""
        started = time.monotonic()
        try:
            yield
        finally:
            self._total_end += time.monotonic() - started
            self.restart_step()

    async def wait(self, awaitable: Awaitable[T], *, waiting_for: str, step: bool = True) -> T:
        """Await ``awaitable`` within the turn's limits; raise :class:`BrainFailure` when one runs out.

        ``step=False`` for local work (running a tool), bounded by the turn limit only.
        """
        step_end = self._step_end if step else float("inf")
        end = min(step_end, self._total_end)
        delay = max(0.0, end - time.monotonic())
        try:
            async with asyncio.timeout(delay):
                return await awaitable
        except TimeoutError:
            if step_end < self._total_end:
                reason = f"no {waiting_for} from the LLM within {self.step_s:g} s"
            else:
                reason = f"the LLM turn took longer than {self.total_s:g} s (waiting for {waiting_for})"
            raise BrainFailure(reason, retryable=True) from None
