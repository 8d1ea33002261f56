"""A run-wide gate: bounded requests in flight, slowed down for everyone when 429s repeat.

`Gate` is the mechanics every policy shares: a slot per request in flight, tickets that tell
which "round" a request was sent in, and a pause for everyone when the server sends
`Retry-After` (only an explicit one: the server asked for it; a 429 without one, as the live
API sends, backs off that request alone, with the client's exponential backoff, while the
smaller window slows the others; a policy may keep a Retry-After to the refused request).
How many slots there are is the policy's:

- `Throttle` (`--concurrency N`): a fixed window. A 429 halves the allowed in-flight requests
  and successes slowly win the capacity back (additive increase, multiplicative decrease, as
  TCP does). Two rules keep a burst of 429s from collapsing the run to one request at a time:
  at most one halving per "round" (a 429 for a request sent before the last halving says
  nothing new: the in-flight requests of the old, larger window all come back 429 at once),
  and at most one per `calm` second, so that with fast answers a few scattered 429s do not
  pin the window near 1.
- `AdaptiveThrottle` (`--concurrency auto`, in `adaptive.py`): finds the API's limit itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from batchcount.errors import Cancelled

__all__ = ["Cancelled", "Gate", "Throttle"]


class Gate:
    """Slots, tickets and the Retry-After pause; subclasses say how many slots (`level`) and
    how an answer changes that (`_answered`). Methods named `_...` run under the lock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.in_flight = 0
        self.rate_limited = 0  # 429s seen, for the report
        self.timed_out = 0  # attempts that got no answer in time
        self._pause_until = 0.0
        self._clock = clock
        self._cond = threading.Condition()
        self._issued = 0  # tickets handed out by acquire()

    @property
    def level(self) -> int:
        """Requests allowed in flight right now (the progress line's c=)."""
        raise NotImplementedError

    @property
    def capacity(self) -> int:
        """The most requests this gate can ever allow in flight (the worker pool's size)."""
        raise NotImplementedError

    def acquire(self, stopping: Callable[[], bool] = lambda: False) -> int:
        """Wait for a free slot; returns a ticket to hand back to `release`."""
        with self._cond:
            while True:
                if stopping():
                    raise Cancelled()
                wait = self._pause_until - self._clock()
                if wait <= 0 and self.in_flight < self.level:
                    self.in_flight += 1
                    self._issued += 1
                    self._sent(self._issued)
                    return self._issued
                self._cond.wait(timeout=min(max(wait, 0.05), 0.2))

    def release(
        self,
        ok: bool,
        rate_limited: bool = False,
        retry_after: float | None = None,
        ticket: int | None = None,
        timed_out: bool = False,
        answered: bool = False,
    ) -> None:
        """`ok`: not a failure worth slowing down for; `answered`: a 200 with a count;
        `rate_limited`: a 429; `timed_out`: sent, and no answer came within the timeout."""
        with self._cond:
            self.in_flight -= 1
            if rate_limited:
                self.rate_limited += 1
            if timed_out:
                self.timed_out += 1
            pause_all = self._answered(ok, rate_limited, timed_out, answered, ticket)
            if retry_after is not None and pause_all:
                self._pause_until = max(self._pause_until, self._clock() + retry_after)
            self._cond.notify_all()

    def pause_remaining(self) -> float:
        with self._cond:
            return max(0.0, self._pause_until - self._clock())

    def _sent(self, ticket: int) -> None:
        """A request got a slot (under the lock)."""

    def _answered(
        self, ok: bool, rate_limited: bool, timed_out: bool, answered: bool, ticket: int | None
    ) -> bool:
        """Adjust the level to an outcome; returns whether a Retry-After pauses everyone."""
        raise NotImplementedError


class Throttle(Gate):
    """`--concurrency N`: at most N in flight, halved on 429 bursts and won back slowly."""

    def __init__(
        self, limit: int, clock: Callable[[], float] = time.monotonic, calm: float = 1.0
    ) -> None:
        super().__init__(clock)
        self.limit = max(1, limit)
        self.calm = calm
        self.allowed = float(self.limit)
        self.lowest = float(self.limit)  # the smallest window of the run, for tests and reports
        self._round_start = 0  # tickets below this were issued before the last halving
        self._halved_at: float | None = None

    @property
    def level(self) -> int:
        return int(self.allowed)

    @property
    def capacity(self) -> int:
        return self.limit

    def _answered(
        self, ok: bool, rate_limited: bool, timed_out: bool, answered: bool, ticket: int | None
    ) -> bool:
        if rate_limited:
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
        return True
