"""The sandbox's settings (including injected faults) and the counters tests read."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OddAnswer:
    """A 200 answer that breaks the contract, for fault tests: `body` is sent as it is (it
    need not be JSON); `cut_after` bytes of it only, then the connection is closed, when set.
    It is billed like any 200."""

    body: bytes
    cut_after: int | None = None


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = pick a free port
    latency: float = 0.0  # seconds added to every count answer
    # with latency_max, each count answer waits a uniform draw in [latency, latency_max]:
    # real counts vary with the query, not the load (adaptive concurrency must cope)
    latency_max: float | None = None
    fail_rate: float = 0.0  # share of count requests answered 500/502/429 (evenly split)
    seed: int = 0  # makes fault injection reproducible
    rate_500: float = 0.0
    rate_502: float = 0.0
    rate_429: float = 0.0
    retry_after_on_429: bool = True  # test-mode 429s carry Retry-After: 1; live ones carry none
    rate_429_retry_after: float = 0.0  # more 429s, always with Retry-After: 1 (mix both kinds)
    drop_rate: float = 0.0  # close the connection without answering
    slow_rate: float = 0.0  # answer, but only after slow_seconds (beyond the client's timeout)
    slow_seconds: float = 0.0
    max_parallel: int | None = None  # more concurrent count requests than this -> 429
    # (may be changed while serving: tests move the limit mid-run)
    funds_after: int | None = None  # after N billed realtime counts, insufficient funds
    funds_status: int = 402  # 402, or 400 with the same detail (both exist live)
    price: float = 0.04  # realtime price: amount_charged and the tier endpoint
    balance: float = 100.0  # reported by accounts/me
    valid_keys: frozenset[str] | None = None  # None = any "test_..." key
    slow_behaviour_seconds: float = 2.0  # what `X-Generect-Test-Behaviour: slow` waits
    # -- faults for the money and hang tests
    charge: float | None = None  # amount_charged on realtime 200s, if not `price` (the tier's)
    # job title -> the raw 200 answer a count with that title gets (billed like any 200)
    odd_answers: dict[str, OddAnswer] = field(default_factory=dict)
    retry_after_value: str = "1"  # the Retry-After header of 429s that carry one
    trickle_seconds: float = 0.0  # count answers are sent a byte at a time, this far apart
    trickle_head: bool = False  # ... the status line and headers too (else only the body)
    trickle_lookups: bool = False  # ... the account and tier answers too (else counts only)


@dataclass
class SandboxStats:
    """Counters over API requests (the /_sandbox/* control endpoints are not counted).

    `requests` counts every API request, protocol errors included; `count_requests` those
    to the two count paths (401s included); `ok_answers`, `billed_amount` and
    `answered_bodies` only their 200s, counted when the answer is ready, even if the client
    gave up waiting (as a live server would bill it).

    Written by the server thread, read by anyone: use `snapshot()` for a consistent view.
    """

    requests: int = 0
    count_requests: int = 0
    ok_answers: int = 0
    billed_amount: float = 0.0
    answered_bodies: Counter[str] = field(default_factory=Counter)  # canonical_json -> 200s
    by_status: Counter[int] = field(default_factory=Counter)
    max_in_flight: int = 0
    in_flight: int = 0  # count requests admitted and not yet answered
    dropped: int = 0  # connections closed without an answer (drop_rate)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy; the same dict `GET /_sandbox/stats` serves (status keys are str)."""
        with self._lock:
            return {
                "requests": self.requests,
                "count_requests": self.count_requests,
                "ok_answers": self.ok_answers,
                "billed_amount": self.billed_amount,
                "answered_bodies": dict(self.answered_bodies),
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "max_in_flight": self.max_in_flight,
                "in_flight": self.in_flight,
                "dropped": self.dropped,
            }

    def _request(self, counts: bool) -> None:
        with self._lock:
            self.requests += 1
            if counts:
                self.count_requests += 1

    def _admit(self, limit: int | None) -> bool:
        with self._lock:
            if limit is not None and self.in_flight >= limit:
                return False
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return True

    def _release(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _answered(self, status: int, body_key: str | None = None, amount: float = 0.0) -> None:
        with self._lock:
            self.by_status[status] += 1
            if body_key is not None:
                self.ok_answers += 1
                self.answered_bodies[body_key] += 1
                # rounded so that 25 x 0.04 reads 1.0, not 0.9999999999999999
                self.billed_amount = round(self.billed_amount + amount, 10)

    def _drop(self) -> None:
        with self._lock:
            self.dropped += 1


def canonical_json(body: Any) -> str:
    """The key of `SandboxStats.answered_bodies`: `json.dumps(body, sort_keys=True)`."""
    return json.dumps(body, sort_keys=True)
