"""The Generect HTTP client: auth, timeouts, retries, error classification, test-mode detection.

Design: synchronous httpx clients, one per worker thread. Measured on these 2-core machines,
httpx 0.28's AsyncClient collapses above ~30 connections (its pool turns CPU-bound), while
sync clients on threads reach ~0.9 of ideal throughput; a client per thread also avoids
contention on a shared pool. With one TLS context shared by all of them, `run` takes 1.04x
the wall time of a minimal aiohttp client at 50 connections and 1.09x at 100 (bench/run.py).
The API key lives only in the request headers: it is never put in a message, a log line or
an exception. Pure helpers live beside it: `endpoint` (base URL, auth header, test keys) and
`api_errors` (error wording).
"""

from __future__ import annotations

import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from batchcount import __version__
from batchcount.errors import StopRun
from batchcount.net.api_errors import error_detail, network_problem, retry_after
from batchcount.net.endpoint import DEFAULT_BASE_URL, auth_header, check_base_url, is_test_key
from batchcount.net.throttle import Cancelled, Throttle
from batchcount.redaction import register, scrub

COUNT_PATHS = {
    "realtime": "/api/v1/search/realtime/leads/count/",
    "database": "/api/v1/search/database/leads/count/",
}
ACCOUNT_PATH = "/api/v1/accounts/me/"
TIER_PATH = "/api/auth/tiers/my-tier/"


class ApiStop(StopRun):
    """The API's answer stops the whole run. `unanswered`: as in RowFailed."""

    unanswered: int = 0


class KeyRejected(ApiStop):
    """401/403: the key was refused."""


class FundsOut(ApiStop):
    """402, or 400 whose detail says insufficient funds."""


class WrongEndpoint(ApiStop):
    """404/501: wrong base URL, or a test key on an endpoint test mode lacks."""


class Unreachable(StopRun):
    """The API cannot be reached at all (checked before any count is sent)."""


class RowFailed(Exception):
    """This request cannot succeed as it is (400), or retries ran out.

    `unanswered`: attempts that went out and got no answer (timeout, dropped connection) or an
    unreadable one; the server may have billed them although no receipt came back.
    """

    def __init__(self, message: str, status: int | None = None, unanswered: int = 0) -> None:
        message = scrub(message)  # it goes to the journal and the workbook: never the key
        super().__init__(message)
        self.message = message
        self.status = status
        self.unanswered = unanswered


@dataclass(frozen=True)
class ClientConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key: str = ""
    timeout: float = 300.0  # read timeout: realtime counts take 5-60 s, documented ceiling 300 s
    connect_timeout: float = 10.0
    max_retries: int = 5
    backoff_base: float = 1.0  # 1 s, 2 s, 4 s, 8 s ... (docs' recommendation), with jitter
    backoff_cap: float = 60.0
    extra_headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CountAnswer:
    results_count: int
    amount_charged: float
    attempts: int
    possibly_billed_twice: int  # attempts sent but unanswered (timeout, dropped), then retried
    test_mode: bool


class GenerectClient:
    """Thread-safe: each thread gets its own httpx.Client (one keep-alive connection)."""

    def __init__(
        self,
        config: ClientConfig,
        throttle: Throttle | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.base_url = check_base_url(config.base_url)
        register(config.api_key)  # every message of this process is scrubbed of it
        register(auth_header(config.api_key)[len("Token ") :])
        self.throttle = throttle or Throttle(limit=10)
        self._transport = transport
        self._sleep = sleep
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self.test_mode = is_test_key(config.api_key)
        self._random = random.Random()
        self._ssl: ssl.SSLContext | None = None

    # -- plumbing ---------------------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext:
        """One TLS context shared by every thread's client (the default one httpx builds).

        Building a context loads the CA bundle: ~20 ms of CPU under the GIL. Per thread, that
        delayed the first requests by ~1 s at 50 workers and ~2 s at 100 (bench/).
        """
        with self._lock:
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context()
            return self._ssl

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            headers = {
                "Authorization": auth_header(self.config.api_key),
                "User-Agent": f"batchcount/{__version__}",
                "X-Generect-Client": f"batchcount/{__version__}",
                "Accept": "application/json",
                **dict(self.config.extra_headers),
            }
            client = httpx.Client(
                base_url=self.base_url,
                headers=headers,
                timeout=httpx.Timeout(self.config.timeout, connect=self.config.connect_timeout),
                transport=self._transport,
                follow_redirects=False,
                verify=self._ssl_context(),
            )
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def _note_mode(self, response: httpx.Response) -> None:
        if response.headers.get("X-Generect-Mode", "").lower() == "test":
            self.test_mode = True

    def _raise_stop(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        detail = error_detail(response)
        if status in (401, 403):
            raise KeyRejected(
                f"the API key was rejected ({status}: {detail}). Check GENERECT_API_KEY or "
                "--api-key (a live key is bare hex, a test key starts with test_)."
            )
        if status == 402 or "insufficient funds" in detail.lower():
            raise FundsOut(
                f"the account has insufficient funds ({status}: {detail}). Top up the balance, "
                "then rerun the same command to continue where it stopped."
            )
        if status in (404, 405, 501):
            hint = (
                "a test key on an endpoint test mode does not cover; use a live key"
                if status == 501
                else f"check --base-url / GENERECT_API_BASE (now {self.base_url})"
            )
            raise WrongEndpoint(f"{what} answered {status} ({detail}): {hint}.")

    def _backoff(self, attempt: int) -> float:
        delay = min(self.config.backoff_cap, self.config.backoff_base * 2.0 ** (attempt - 1))
        return delay * (0.5 + self._random.random() / 2)  # jitter spreads simultaneous retries

    # -- calls ------------------------------------------------------------------------------
    def get_json(self, path: str, timeout: float = 15.0) -> Any:
        """A free GET (account, tier). Raises StopRun for a rejected key; RowFailed otherwise."""
        try:
            response = self._client().get(path, timeout=timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # Before any count: no point asking to spend, or retrying every row, against an
            # API this machine cannot reach.
            raise Unreachable(
                f"cannot reach {self.base_url} ({network_problem(exc)}). Check the network, a "
                "proxy or --base-url / GENERECT_API_BASE; nothing was sent."
            ) from None
        except httpx.HTTPError as exc:
            raise RowFailed(f"{path}: {network_problem(exc)}") from None
        self._note_mode(response)
        if response.status_code in (401, 403):
            self._raise_stop(response, path)
        if response.status_code != 200:
            raise RowFailed(
                f"{path} answered {response.status_code}: {error_detail(response)}",
                response.status_code,
            )
        try:
            return response.json()
        except ValueError:
            raise RowFailed(f"{path} answered with something that is not JSON") from None

    def count(
        self,
        mode: str,
        body: dict[str, Any],
        stopping: Callable[[], bool] = lambda: False,
        may_rebill: Callable[[], bool] = lambda: True,
        before_send: Callable[[], None] = lambda: None,
        after_attempt: Callable[[int], None] = lambda unanswered: None,
    ) -> CountAnswer:
        """POST one count, retrying what is safe to retry.

        `stopping()` is checked before every (re)send; `may_rebill()` is asked before retrying
        an attempt that went out and got no answer, since the server may already have billed it.
        `before_send()` runs right before each attempt leaves (the journal's write-ahead mark);
        `after_attempt(n)` when an attempt ended without a usable answer: n=1 if it may have
        been billed (no answer), 0 if the API answered that it did not count it (429, 5xx).
        Together they let the journal know, at every moment, what may have been billed.

        Billing rule for attempts without an answer: a read timeout, a connection dropped or
        reset after the request was written, or a malformed answer may have been processed and
        billed by a live server (the sandbox bills slow answers but not dropped ones), so in
        realtime mode each one counts as "possibly billed twice" and is retried only if the
        budget allows it. Connect errors and write errors never reached the API: not counted.
        Raises RowFailed or Cancelled with `unanswered` set, so the caller can report them.
        """
        path = COUNT_PATHS[mode]
        attempt = 0
        unanswered = 0
        last = ""
        billed_mode = mode == "realtime"
        while True:
            attempt += 1
            if stopping():
                raise Cancelled(unanswered)
            try:
                ticket = self.throttle.acquire(stopping)
            except Cancelled:
                raise Cancelled(unanswered) from None
            try:
                before_send()
            except BaseException as exc:
                self.throttle.release(ok=True, ticket=ticket)
                if isinstance(exc, Cancelled):
                    raise Cancelled(unanswered) from None
                raise
            try:
                response = self._client().post(path, json=body)
            except httpx.HTTPError as exc:
                self.throttle.release(ok=False, ticket=ticket)
                sent = _maybe_processed(exc)
                last = network_problem(exc)
                if isinstance(exc, httpx.TimeoutException) and sent:
                    last = f"no answer within {self.config.timeout:g} s"
                maybe_billed = sent and billed_mode
                after_attempt(int(maybe_billed))
                if maybe_billed:
                    unanswered += 1
                    # asked even before giving up: it books the possibly billed attempt
                    if not may_rebill() and attempt <= self.config.max_retries:
                        raise RowFailed(
                            f"{last}; not retried because a retry may be billed again and "
                            "--max-cost would be exceeded; the unanswered attempt may have "
                            "been billed",
                            unanswered=unanswered,
                        ) from None
            except BaseException:  # a bug or an interrupt: keep the throttle's books right
                self.throttle.release(ok=False, ticket=ticket)
                raise
            else:
                self._note_mode(response)
                status = response.status_code
                if status == 200:
                    self.throttle.release(ok=True, ticket=ticket)
                    try:
                        return self._answer(response, attempt, unanswered, billed_mode)
                    except RowFailed:
                        after_attempt(int(billed_mode))
                        raise
                if status == 429:
                    self.throttle.release(
                        ok=False,
                        rate_limited=True,
                        retry_after=retry_after(response),
                        ticket=ticket,
                    )
                    last = "429 throttled"
                    after_attempt(0)
                elif status >= 500 and status != 501:
                    self.throttle.release(
                        ok=False, retry_after=retry_after(response), ticket=ticket
                    )
                    last = f"{status} {error_detail(response)}"
                    after_attempt(0)
                else:
                    self.throttle.release(ok=True, ticket=ticket)
                    try:
                        self._raise_stop(response, path)
                    except ApiStop as stop:
                        stop.unanswered = unanswered
                        raise
                    raise RowFailed(
                        f"the API refused this segment ({status}): {error_detail(response)}",
                        status,
                        unanswered,
                    )
            if attempt > self.config.max_retries:
                raise RowFailed(f"gave up after {attempt} tries; last: {last}", None, unanswered)
            delay = self._backoff(attempt)
            delay = max(delay, self.throttle.pause_remaining())
            self._wait(delay, stopping, unanswered)

    def _wait(self, delay: float, stopping: Callable[[], bool], unanswered: int = 0) -> None:
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            if stopping():
                raise Cancelled(unanswered)
            self._sleep(min(left, 0.2))

    def _answer(
        self, response: httpx.Response, attempts: int, rebilled: int, billed: bool
    ) -> CountAnswer:
        try:
            payload = response.json()
            data = payload.get("data") or {}
            count: Any = data.get("results_count", data.get("count"))
            amount = (payload.get("meta") or {}).get("amount_charged", 0)
            if isinstance(count, bool) or not isinstance(count, (int, float)):
                raise TypeError("no count")
            return CountAnswer(int(count), float(amount), attempts, rebilled, self.test_mode)
        except (ValueError, TypeError, AttributeError):
            raise RowFailed(
                "the API answered 200 but without data.results_count; it may have been billed",
                200,
                rebilled + int(billed),
            ) from None


def _maybe_processed(exc: httpx.HTTPError) -> bool:
    """Did the request reach the API in full, so that it may have been processed and billed?"""
    # Never connected (connect/pool errors), or not fully written (write errors): nothing to
    # process. ReadTimeout, ReadError, RemoteProtocolError (closed without an answer, or a
    # malformed answer) and anything unexpected: assume it arrived.
    not_arrived = (
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.WriteError,
        httpx.WriteTimeout,
    )
    return not isinstance(exc, not_arrived)
