"""What the sandbox answers a count request, decided on arrival: test-mode behaviour
headers, injected faults (seeded, reproducible), validation, funds, the count and its price.

Kept apart from the server (`server.py`), which only routes, waits and writes the answer.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from typing import Any, Final

from batchcount.sandbox.answers import (
    NO_FUNDS,
    Outcome,
    envelope,
    ok_body,
    parse_body,
    throttled,
)
from batchcount.sandbox.config import OddAnswer, SandboxConfig, canonical_json
from batchcount.sandbox.http import HttpRequest
from batchcount.sandbox.model import count_for

__all__ = ["DROP", "NOT_IN_DATABASE", "Decider", "not_in_database"]

DROP: Final = object()  # outcome: close the connection without answering
DATABASE_SHARE = 85  # percent of the realtime count a database count finds
NOT_IN_DATABASE: Final = "not in database"  # a value containing this: database count 0


def not_in_database(body: Any) -> bool:
    """Any string in the body (lists included) containing NOT_IN_DATABASE, any case."""
    if isinstance(body, str):
        return NOT_IN_DATABASE in body.casefold()
    if isinstance(body, dict):
        return any(not_in_database(v) for v in body.values())
    if isinstance(body, list):
        return any(not_in_database(v) for v in body)
    return False


class Decider:
    def __init__(
        self,
        config: SandboxConfig,
        lock: threading.Lock,
        reserve_funds: Callable[[], bool],
    ) -> None:
        self.config = config
        self._lock = lock  # shared with the server: guards the RNGs and the funds counters
        self._rng = random.Random(config.seed)
        # its own stream, so a latency spread does not change which requests get faults
        self._latency_rng = random.Random(config.seed + 1)
        self._reserve_funds = reserve_funds

    def decide(self, request: HttpRequest, database: bool) -> tuple[float, Outcome | object]:
        """Everything about a count answer is decided on arrival, then it waits `delay`."""
        config = self.config
        delay = self._latency()
        behaviour = request.headers.get("x-generect-test-behaviour", "").strip().lower()
        if behaviour == "rate_limited":
            return delay, throttled(True, config.retry_after_value)
        if behaviour == "insufficient_funds":
            return delay, (402, envelope(402, NO_FUNDS), [], None, 0.0)
        if behaviour == "upstream_error":
            return delay, (502, envelope(502, "Upstream data source unavailable."), [], None, 0.0)
        if behaviour == "slow":
            delay += config.slow_behaviour_seconds
        elif behaviour.startswith("latency="):
            with contextlib.suppress(ValueError):
                delay += min(600.0, max(0.0, float(behaviour.partition("=")[2])))

        fault = self._roll_fault()
        if fault == "drop":
            return delay, DROP
        if fault == "500":
            return delay, (500, envelope(500, "A server error occurred."), [], None, 0.0)
        if fault == "502":
            return delay, (502, envelope(502, "Upstream data source unavailable."), [], None, 0.0)
        if fault == "429":
            return delay, throttled(config.retry_after_on_429, config.retry_after_value)
        if fault == "429-retry-after":
            return delay, throttled(True, config.retry_after_value)
        if fault == "slow":
            delay += config.slow_seconds

        body, problem = parse_body(request, database)
        if problem is not None:
            return delay, problem
        key = canonical_json(body)
        if behaviour == "not_found":
            return delay, (200, ok_body(0, 0.0), [], key, 0.0)
        if database:
            # the cached database holds fewer profiles than live sources reach, and none for
            # a segment carrying the marker (for --preflight tests: live sources still do)
            cached = 0 if not_in_database(body) else count_for(body) * DATABASE_SHARE // 100
            return delay, (200, ok_body(cached, 0), [], key, 0.0)
        if not self._reserve_funds():
            status = config.funds_status
            return delay, (status, envelope(status, NO_FUNDS), [], None, 0.0)
        charge = config.price if config.charge is None else config.charge
        odd = self._odd_answer(body)
        if odd is not None:
            return delay, (200, odd, [], key, charge)
        return delay, (200, ok_body(count_for(body), charge), [], key, charge)

    def _odd_answer(self, body: Any) -> OddAnswer | None:
        titles = body.get("job_titles") if isinstance(body, dict) else None
        if not self.config.odd_answers or not isinstance(titles, list):
            return None
        for title in titles:
            if isinstance(title, str) and title in self.config.odd_answers:
                return self.config.odd_answers[title]
        return None

    def _latency(self) -> float:
        low, high = self.config.latency, self.config.latency_max
        if high is None or high <= low:
            return low
        with self._lock:
            return self._latency_rng.uniform(low, high)

    def _roll_fault(self) -> str | None:
        config = self.config
        third = config.fail_rate / 3
        bands = (
            ("drop", config.drop_rate),
            ("slow", config.slow_rate),
            ("500", config.rate_500 + third),
            ("502", config.rate_502 + third),
            ("429", config.rate_429 + third),
            ("429-retry-after", config.rate_429_retry_after),
        )
        if not any(rate > 0 for _, rate in bands):
            return None
        with self._lock:  # one draw per count request: a reproducible sequence
            draw = self._rng.random()
        for name, rate in bands:
            if draw < rate:
                return name
            draw -= rate
        return None
