"""A run-wide gate: bounded requests in flight, slowed down for everyone when 429s repeat.

When the API throttles, backing off one request is not enough: every worker would keep
hammering. So a 429 halves the allowed in-flight requests (and honours Retry-After for all
workers); successes slowly win the capacity back (additive increase, multiplicative decrease).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Cancelled(Exception):
    """The run is stopping; this request was not (re)sent."""


class Throttle:
    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, limit)
        self.allowed = float(self.limit)
        self.in_flight = 0
        self.rate_limited = 0  # 429s seen, for the report
        self._pause_until = 0.0
        self._clock = clock
        self._cond = threading.Condition()

    def acquire(self, stopping: Callable[[], bool] = lambda: False) -> None:
        with self._cond:
            while True:
                if stopping():
                    raise Cancelled()
                wait = self._pause_until - self._clock()
                if wait <= 0 and self.in_flight < int(self.allowed):
                    self.in_flight += 1
                    return
                self._cond.wait(timeout=min(max(wait, 0.05), 0.2))

    def release(
        self, ok: bool, rate_limited: bool = False, retry_after: float | None = None
    ) -> None:
        with self._cond:
            self.in_flight -= 1
            if rate_limited:
                self.rate_limited += 1
                self.allowed = max(1.0, self.allowed / 2)
                pause = retry_after if retry_after is not None else 1.0
                self._pause_until = max(self._pause_until, self._clock() + pause)
            elif retry_after is not None:
                self._pause_until = max(self._pause_until, self._clock() + retry_after)
            elif ok and self.allowed < self.limit:
                self.allowed = min(float(self.limit), self.allowed + 1 / max(1.0, self.allowed))
            self._cond.notify_all()

    def pause_remaining(self) -> float:
        with self._cond:
            return max(0.0, self._pause_until - self._clock())
