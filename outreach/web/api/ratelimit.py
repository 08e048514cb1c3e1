"""The API's rate limit: a token bucket per key, in this process."""

from __future__ import annotations

import threading
import time
from typing import Callable


class Buckets:
    """Per-key token buckets: `per_minute` requests a minute, in bursts of up to as many. In this process only."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self._clock = clock
        self._state: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: object) -> float:
        """0 if allowed; otherwise the seconds to wait before the next request will be."""
        with self._lock:
            now = self._clock()
            tokens, last = self._state.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill)
            if tokens < 1:
                self._state[key] = (tokens, now)
                return (1 - tokens) / self.refill
            self._state[key] = (tokens - 1, now)
            return 0.0
