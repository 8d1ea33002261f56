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
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from batchcount.sandbox.account import account_body, tier_body
from batchcount.sandbox.answers import (
    auth_problem,
    envelope,
    throttled,
)
from batchcount.sandbox.config import OddAnswer, SandboxConfig, SandboxStats, canonical_json
from batchcount.sandbox.decide import DROP, NOT_IN_DATABASE, Decider
from batchcount.sandbox.http import HttpRequest, HttpResponse, HttpServer
from batchcount.sandbox.model import as_int, count_for, validation_problem
from batchcount.sandbox.routes import (
    FUNDS_PATH,
    ROUTES,
    SANDBOX_KEY,
    STATS_PATH,
)

logger = logging.getLogger("batchcount.sandbox")


# ------------------------------------------------------------------------------- server


class SandboxServer:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config if config is not None else SandboxConfig()
        self.stats = SandboxStats()
        self._lock = threading.Lock()  # guards the fault RNG and the funds counters
        self._funds_allowance = self.config.funds_after
        self._funds_used = 0
        self._decider = Decider(self.config, self._lock, self._reserve_funds)
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
            counting = ROUTES.get(request.path, ("", ""))[1] in ("realtime", "database")
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
        route = ROUTES.get(path)
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
            return self._answer(200, account_body(self.config, self._funds_exhausted()))
        if kind == "tier":
            return self._answer(200, tier_body(self.config))
        return await self._count(request, database=kind == "database")

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
            delay, outcome = self._decider.decide(request, database)
            if delay > 0:
                await asyncio.sleep(delay)
            if outcome is DROP:
                self.stats._drop()
                return None
            assert isinstance(outcome, tuple)
            status, payload, headers, body_key, amount = outcome
            self.stats._answered(status, body_key, amount)
            return self._response(status, payload, headers)
        finally:
            self.stats._release()


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
