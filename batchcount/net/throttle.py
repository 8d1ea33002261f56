"""A run-wide gate: bounded requests in flight, slowed down for everyone when 429s repeat.

When the API throttles, backing off one request is not enough: every worker would keep
hammering. So a 429 halves the allowed in-flight requests and successes slowly win the
capacity back (additive increase, multiplicative decrease, as TCP does).

Two rules keep a burst of 429s from collapsing the run to one request at a time:
- at most one halving per "round": a 429 for a request that was sent before the last halving
  says nothing new (the in-flight requests of the old, larger window all come back 429 at once),
  so it does not halve again; and at most one per `calm` second, so that with fast answers a
  few scattered 429s do not pin the window near 1 (it halves at most 6 times in 6 s anyway);
- only an explicit `Retry-After` pauses every worker (the server asked for it). A 429 without
  one (the live API never sends it) backs off that request alone, with the client's
  exponential backoff, while the smaller window slows the others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from batchcount.errors import Cancelled

__all__ = ["Cancelled", "Throttle"]


class Throttle:
    def __init__(
        self, limit: int, clock: Callable[[], float] = time.monotonic, calm: float = 1.0
    ) -> None:
        self.limit = max(1, limit)
        self.calm = calm
        self.allowed = float(self.limit)
        self.in_flight = 0
        self.rate_limited = 0  # 429s seen, for the report
        self.lowest = float(self.limit)  # the smallest window of the run, for tests and reports
        self._pause_until = 0.0
        self._clock = clock
        self._cond = threading.Condition()
        self._issued = 0  # tickets handed out by acquire()
        self._round_start = 0  # tickets below this were issued before the last halving
        self._halved_at: float | None = None

    def acquire(self, stopping: Callable[[], bool] = lambda: False) -> int:
        """Wait for a free slot; returns a ticket to hand back to `release`."""
        with self._cond:
            while True:
                if stopping():
                    raise Cancelled()
                wait = self._pause_until - self._clock()
                if wait <= 0 and self.in_flight < int(self.allowed):
                    self.in_flight += 1
                    self._issued += 1
                    return self._issued
                self._cond.wait(timeout=min(max(wait, 0.05), 0.2))

    def release(
        self,
        ok: bool,
        rate_limited: bool = False,
        retry_after: float | None = None,
        ticket: int | None = None,
    ) -> None:
        with self._cond:
            self.in_flight -= 1
            if rate_limited:
                self.rate_limited += 1
                now = self._clock()
                new_round = ticket is None or ticket > self._round_start
                calm = self._halved_at is None or now - self._halved_at >= self.calm
                if new_round and calm:
                    self.allowed = max(1.0, self.allowed / 2)
                    self.lowest = min(self.lowest, self.allowed)
                    self._round_start = self._issued
                    self._halved_at = now
            elif ok and self.allowed < self.limit:
                self.allowed = min(float(self.limit), self.allowed + 1 / max(1.0, self.allowed))
            if retry_after is not None:
                self._pause_until = max(self._pause_until, self._clock() + retry_after)
            self._cond.notify_all()

    def pause_remaining(self) -> float:
        with self._cond:
            return max(0.0, self._pause_until - self._clock())
