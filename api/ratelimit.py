"""Per-key rate limit: a token bucket per API key, in this process (`AuthSettings.rate_per_s`
sustained, `rate_burst` at once). Over the limit a request gets 429 with Retry-After."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from memsvc.domain.errors import RateLimitedError


class RateLimiter:
    def __init__(
        self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate_per_s
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def spend(self, key: str) -> None:
        """Take one token of `key`'s bucket, or raise RateLimitedError saying when to retry."""
        if self._rate <= 0:
            return
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self._rate)
                raise RateLimitedError(
                    f"rate limit of {self._rate:g} requests/s for this key exceeded; "
                    f"retry in {wait} s",
                    retry_after=wait,
                )
            self._buckets[key] = (tokens - 1.0, now)
