"""Token buckets keyed by client address: the webhook, token and WebSocket endpoints are rate limited.

Each key (an IP address) has a bucket of ``burst`` tokens refilled at ``rate_per_s``; a request takes one
token or is refused. Buckets live in memory (one process serves its own calls) and the number of keys is
bounded, so a flood of addresses cannot grow it without limit: full buckets are forgotten first, then the
least recently used.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    """``burst`` requests at once, then ``rate_per_s`` on average."""

    rate_per_s: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError(f"a rate needs rate_per_s > 0 and burst >= 1, got {self}")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Per-key token buckets. ``clock`` is injectable (monotonic seconds) so tests need not sleep."""

    def __init__(
        self, rate: Rate, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Take one token from ``key``'s bucket; False (refuse the request) if it is empty."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.rate.burst), updated=now)
        else:
            self._buckets.move_to_end(key)
            self._refill(bucket, now)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may make one more request (0 if it may now)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        self._refill(bucket, self._clock())
        return max(0.0, (1.0 - bucket.tokens) / self.rate.rate_per_s)

    def __len__(self) -> int:
        return len(self._buckets)

    def _refill(self, bucket: _Bucket, now: float) -> None:
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(float(self.rate.burst), bucket.tokens + elapsed * self.rate.rate_per_s)
        bucket.updated = now

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self.max_keys:
            return
        for key in [k for k, b in self._buckets.items() if self._full(b, now)]:
            del self._buckets[key]  # a full bucket is the same as no bucket
        while len(self._buckets) >= self.max_keys:
            self._buckets.popitem(last=False)

    def _full(self, bucket: _Bucket, now: float) -> bool:
        return bucket.tokens + (now - bucket.updated) * self.rate.rate_per_s >= self.rate.burst
