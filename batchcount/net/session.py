"""The plumbing under `GenerectClient`: one httpx client per thread, TLS, headers, the total
deadline, backoff, and the stops an answer can trigger.

Design: synchronous httpx clients, one per worker thread. Measured on these 2-core machines,
httpx 0.28's AsyncClient collapses above ~30 connections (its pool turns CPU-bound), while
sync clients on threads reach ~0.9 of ideal throughput; a client per thread also avoids
contention on a shared pool. With one TLS context shared by all of them, `run` takes 1.04x
the wall time of a minimal aiohttp client at 50 connections and 1.09x at 100 (bench/run.py).
The API key lives only in the request headers: it is never put in a message, a log line or
an exception.
"""

from __future__ import annotations

import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchcount import __version__
from batchcount.net.api_errors import duration, error_detail
from batchcount.net.endpoint import DEFAULT_BASE_URL, auth_header, check_base_url, is_test_key
from batchcount.net.failures import FundsOut, KeyRejected, NotSendable, Throttled, WrongEndpoint
from batchcount.net.lazy import lazy_module
from batchcount.net.throttle import Cancelled, Gate, Throttle
from batchcount.redaction import register

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")


@dataclass(frozen=True)
class ClientConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key: str = ""
    # total per attempt (connect, send, headers, body): realtime counts take 5-60 s, the
    # documented ceiling is 300 s
    timeout: float = 300.0
    connect_timeout: float = 10.0
    max_retries: int = 5
    backoff_base: float = 1.0  # 1 s, 2 s, 4 s, 8 s ... (docs' recommendation), with jitter
    backoff_cap: float = 60.0
    max_retry_after: float = 120.0  # a longer Retry-After stops the run instead of stalling it
    extra_headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CountAnswer:
    results_count: int
    amount_charged: float | None  # the receipt; None when the answer had no usable one
    attempts: int
    possibly_billed_twice: int  # attempts sent but unanswered (timeout, dropped), then retried
    test_mode: bool
    receipt_problem: str | None = None  # why amount_charged is None, quoting the raw value


class Session:
    """Thread-safe: each thread gets its own httpx.Client (one keep-alive connection)."""

    def __init__(
        self,
        config: ClientConfig,
        throttle: Gate | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        httpx.Client  # noqa: B018 (loads httpx here, before any worker thread: see net/lazy.py)
        self.config = config
        self.base_url = check_base_url(config.base_url)
        register(config.api_key)  # every message of this process is scrubbed of it
        register(auth_header(config.api_key)[len("Token ") :])
        self.throttle: Gate = throttle or Throttle(limit=10)
        self._transport = transport
        self._sleep = sleep
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self.test_mode = is_test_key(config.api_key)
        self._random = random.Random()
        self._ssl: ssl.SSLContext | None = None
        self.deadline_enforced = transport is None  # until a client proves otherwise
        header = auth_header(config.api_key) if config.api_key.strip() else ""
        # what no message may quote: the header as sent and each word of it (the bare key)
        self._secrets = tuple(s for s in (header, *header.split()[1:]) if s.strip())

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
            from batchcount.net.deadline_backend import install  # httpcore: only when sending

            if self._transport is None and not install(client):
                self.deadline_enforced = False
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

    def _request(self, method: str, path: str, content: bytes | None = None) -> httpx.Request:
        """Build the request on this thread's client. Nothing has left this machine yet, so a
        failure here (a header value httpx cannot encode) is never possibly billed."""
        try:
            client = self._client()
            headers = {"Content-Type": "application/json"} if content is not None else None
            return client.build_request(method, path, content=content, headers=headers)
        except Exception as exc:
            raise NotSendable(
                f"the request could not be prepared ({type(exc).__name__}); nothing was sent. "
                "Check GENERECT_API_KEY / --api-key for stray characters (spaces, line "
                "breaks, accented letters) and --base-url."
            ) from None

    def _throttled(self, status: int, wait: float, unanswered: int) -> Throttled:
        stop = Throttled(
            f"throttled: the API asked to wait {duration(wait)} before the next request "
            f"(Retry-After: {wait:g} s on a {status} answer), longer than --max-retry-after "
            f"{self.config.max_retry_after:g} s, so the run stopped instead of waiting. "
            "Rerun the same command later to resume"
        )
        stop.unanswered = unanswered
        return stop

    def _wait(self, delay: float, stopping: Callable[[], bool], unanswered: int = 0) -> None:
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            if stopping():
                raise Cancelled(unanswered)
            self._sleep(min(left, 0.2))
