"""The embedded Generect test-mode stand-in: a real HTTP server on loopback.

It imitates the lead-count API in test mode (API-CONTRACT.md §1-§10) closely enough to run
the client, runner and CLI end to end without a key or money: same paths, `Token` auth,
error envelopes, validation 400s, the `X-Generect-Test-Behaviour` header and deterministic
counts. For reliability tests it can also inject faults (5xx, 429, dropped connections,
slow answers, a parallel cap, running out of funds), reproducibly from a seed.

`start()` runs the server on its own asyncio loop in a daemon thread; latency is an
`asyncio.sleep`, so hundreds of slow requests cost no threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Final

from batchcount.sandbox.answers import (
    NO_FUNDS,
    Outcome,
    auth_problem,
    envelope,
    ok_body,
    parse_body,
    price_text,
    throttled,
)
from batchcount.sandbox.config import OddAnswer, SandboxConfig, SandboxStats, canonical_json
from batchcount.sandbox.http import HttpRequest, HttpResponse, HttpServer
from batchcount.sandbox.model import as_int, count_for, validation_problem

logger = logging.getLogger("batchcount.sandbox")

SANDBOX_KEY: Final = "test_sandbox"

REALTIME_COUNT_PATH: Final = "/api/v1/search/realtime/leads/count/"
DATABASE_COUNT_PATH: Final = "/api/v1/search/database/leads/count/"
ACCOUNT_PATH: Final = "/api/v1/accounts/me/"
TIER_PATH: Final = "/api/auth/tiers/my-tier/"
STATS_PATH: Final = "/_sandbox/stats"
FUNDS_PATH: Final = "/_sandbox/funds"

_ROUTES: Final = {
    REALTIME_COUNT_PATH: ("POST", "realtime"),
    DATABASE_COUNT_PATH: ("POST", "database"),
    ACCOUNT_PATH: ("GET", "account"),
    TIER_PATH: ("GET", "tier"),
}

# ------------------------------------------------------------------------------- server

_DROP: Final = object()  # outcome: close the connection without answering


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


class SandboxServer:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config if config is not None else SandboxConfig()
        self.stats = SandboxStats()
        self._lock = threading.Lock()  # guards the fault RNG and the funds counters
        self._rng = random.Random(self.config.seed)
        # its own stream, so a latency spread does not change which requests get faults
        self._latency_rng = random.Random(self.config.seed + 1)
        self._funds_allowance = self.config.funds_after
        self._funds_used = 0
        self._http = HttpServer(self._handle, self._protocol_error)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._port = 0

    # -- lifecycle

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the sandbox is not started")
        return self._port

    @property
    def url(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxServer:
        """Start serving in a daemon thread; returns once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._main(ready))
            except BaseException as exc:  # reported to start(); the thread must not die loudly
                if ready.is_set():
                    logger.exception("sandbox loop crashed")
                failure.append(exc)
            finally:
                ready.set()

        self._thread = threading.Thread(target=run, name="batchcount-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        logger.info("sandbox listening on %s", self.url)
        return self

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        self._port = await self._http.start(self.config.host, self.config.port)
        ready.set()
        try:
            await self._stop_event.wait()
        finally:
            await self._http.close()

    def stop(self) -> None:
        """Close every connection, stop the loop and join its thread. Safe to call twice."""
        thread, loop, event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(event.set)
        thread.join(10.0)
        self._thread = self._loop = self._stop_event = None
        self._port = 0

    def serve_forever(self, ready: Callable[[SandboxServer], None] | None = None) -> None:
        """Serve in the foreground until KeyboardInterrupt (or `stop()` from elsewhere).

        `ready` is called once listening, e.g. to print `url` when the port was 0.
        """
        if self._thread is None:
            self.start()
        if ready is not None:
            ready(self)
        try:
            while (thread := self._thread) is not None and thread.is_alive():
                thread.join(0.25)  # a timed join lets Ctrl-C through
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> SandboxServer:
        return self.start() if self._thread is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- funds

    def add_funds(self, n: int) -> None:
        """Allow `n` more billed realtime counts (no effect when funds_after is None)."""
        with self._lock:
            if self._funds_allowance is not None:
                self._funds_allowance += n

    def _reserve_funds(self) -> bool:
        with self._lock:
            if self._funds_allowance is not None and self._funds_used >= self._funds_allowance:
                return False
            self._funds_used += 1
            return True

    def _funds_exhausted(self) -> bool:
        with self._lock:
            return self._funds_allowance is not None and self._funds_used >= self._funds_allowance

    def snapshot(self) -> dict[str, Any]:
        """`stats.snapshot()` plus the funds state (`funds_after` None = unlimited)."""
        data = self.stats.snapshot()
        with self._lock:
            data["funds_after"] = self._funds_allowance
            data["funds_used"] = self._funds_used
        return data

    # -- answers

    def _response(
        self, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()
    ) -> HttpResponse:
        if isinstance(payload, OddAnswer):  # a fault test's raw bytes, sent as they are
            body, cut = payload.body, payload.cut_after
        else:
            body, cut = json.dumps(payload, separators=(",", ":")).encode("utf-8"), None
        return HttpResponse(
            status,
            body,
            [("Content-Type", "application/json"), ("X-Generect-Mode", "test"), *headers],
            cut_after=cut,
        )

    def _answer(
        self, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()
    ) -> HttpResponse:
        self.stats._answered(status)
        return self._response(status, payload, headers)

    def _protocol_error(self, status: int, detail: str) -> HttpResponse:
        self.stats._request(counts=False)
        response = self._answer(status, envelope(status, detail))
        response.close = True
        return response

    async def _handle(self, request: HttpRequest) -> HttpResponse | None:
        try:
            response = await self._dispatch(request)
            counting = _ROUTES.get(request.path, ("", ""))[1] in ("realtime", "database")
            if response is not None and (counting or self.config.trickle_lookups):
                response.trickle = self.config.trickle_seconds
                response.trickle_head = self.config.trickle_head
            return response
        except Exception:
            logger.exception("sandbox handler failed for %s %s", request.method, request.path)
            return self._answer(500, envelope(500, "A server error occurred."))

    async def _dispatch(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path
        if path.rstrip("/") in (STATS_PATH, FUNDS_PATH):
            return self._control(request, path.rstrip("/"))
        route = _ROUTES.get(path)
        self.stats._request(counts=route is not None and route[1] in ("realtime", "database"))
        if route is None:
            return self._answer(404, envelope(404, "Not found."))
        problem = auth_problem(request.headers.get("authorization"), self.config.valid_keys)
        if problem is not None:
            return self._answer(401, envelope(401, problem), [("WWW-Authenticate", "Token")])
        method, kind = route
        if request.method != method:
            detail = f'Method "{request.method}" not allowed.'
            return self._answer(405, envelope(405, detail), [("Allow", method)])
        if kind == "account":
            return self._answer(200, self._account())
        if kind == "tier":
            return self._answer(200, self._tier())
        return await self._count(request, database=kind == "database")

    def _account(self) -> dict[str, Any]:
        balance = 0.0 if self._funds_exhausted() else self.config.balance
        credits = {"balance": balance, "used_this_month": 0.0, "monthly_limit": 10000}
        return {
            "data": {
                "id": "acc_sandbox",
                "email": "sandbox@example.com",
                "name": "Sandbox Account",
                "plan": "Tier 0",
                "credits": credits,
                "preview_tier": False,
            }
        }

    def _tier(self) -> dict[str, Any]:
        prices = {
            "api_realtime": price_text(self.config.price),
            "api_cached": 0,
            "api_preview": 0,
            "api_email_finder": "0.04",
            "api_email_validation": "0.01",
            "phones": "0.2",
        }
        return {"current_tier": {"name": "Tier 0", "service_prices": prices}}

    def _control(self, request: HttpRequest, path: str) -> HttpResponse:
        # test plumbing, not API: no auth, not counted in stats
        if path == STATS_PATH:
            if request.method != "GET":
                return self._response(405, envelope(405, "Use GET."), [("Allow", "GET")])
            return self._response(200, self.snapshot())
        if request.method != "POST":
            return self._response(405, envelope(405, "Use POST."), [("Allow", "POST")])
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = None
        add = as_int(payload.get("add")) if isinstance(payload, dict) else None
        if add is None or add < 0:
            return self._response(400, envelope(400, {"add": ["A non-negative integer."]}))
        self.add_funds(add)
        return self._response(200, self.snapshot())

    async def _count(self, request: HttpRequest, database: bool) -> HttpResponse | None:
        config = self.config
        if not self.stats._admit(config.max_parallel):
            status, payload, headers, _, _ = throttled(
                config.retry_after_on_429, config.retry_after_value
            )
            return self._answer(status, payload, headers)
        try:
            delay, outcome = self._decide(request, database)
            if delay > 0:
                await asyncio.sleep(delay)
            if outcome is _DROP:
                self.stats._drop()
                return None
            assert isinstance(outcome, tuple)
            status, payload, headers, body_key, amount = outcome
            self.stats._answered(status, body_key, amount)
            return self._response(status, payload, headers)
        finally:
            self.stats._release()

    def _decide(self, request: HttpRequest, database: bool) -> tuple[float, Outcome | object]:
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
            return delay, _DROP
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


def start_sandbox(config: SandboxConfig | None = None) -> SandboxServer:
    """Start a sandbox in a background thread (stop it with `stop()` or `with`)."""
    return SandboxServer(config).start()


__all__ = [
    "NOT_IN_DATABASE",
    "SANDBOX_KEY",
    "OddAnswer",
    "SandboxConfig",
    "SandboxServer",
    "SandboxStats",
    "canonical_json",
    "count_for",
    "start_sandbox",
    "validation_problem",
]
