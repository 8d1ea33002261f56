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
import hashlib
import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import TracebackType
from typing import Any, Final

from batchcount.resources import request_schema, vocabulary_data
from batchcount.sandbox_http import HttpRequest, HttpResponse, HttpServer

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

NOT_PROVIDED: Final = "Authentication credentials were not provided."
INVALID_TOKEN: Final = "Invalid token."
THROTTLED: Final = "Request was throttled."
NO_FUNDS: Final = "Insufficient funds in the account."
NO_FILTER: Final = "At least one search filter is required."
DATABASE_ONLY: Final = (
    "Filter not supported in database mode; use /api/v1/search/realtime/leads/count/"
)
ANCHOR_CONFLICT: Final = "exactly one of company_id, company_link, company_name is required"


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = pick a free port
    latency: float = 0.0  # seconds added to every count answer
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
    funds_after: int | None = None  # after N billed realtime counts, insufficient funds
    funds_status: int = 402  # 402, or 400 with the same detail (both exist live)
    price: float = 0.04  # realtime price: amount_charged and the tier endpoint
    balance: float = 100.0  # reported by accounts/me
    valid_keys: frozenset[str] | None = None  # None = any "test_..." key
    slow_behaviour_seconds: float = 2.0  # what `X-Generect-Test-Behaviour: slow` waits


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


# ---------------------------------------------------------------------------- validation


@dataclass(frozen=True, slots=True)
class _Spec:
    kind: str  # JSON Schema type of the property
    item_kind: str | None
    enum: frozenset[Any] | None
    max_items: int | None


@cache
def _specs() -> dict[str, _Spec]:
    specs: dict[str, _Spec] = {}
    for name, prop in request_schema()["properties"].items():
        items = prop.get("items", {})
        enum = items.get("enum")
        specs[name] = _Spec(
            kind=prop.get("type", ""),
            item_kind=items.get("type"),
            enum=frozenset(enum) if enum is not None else None,
            max_items=prop.get("maxItems"),
        )
    return specs


@cache
def _database_fields() -> frozenset[str]:
    mode = request_schema()["x-database-mode"]
    return frozenset(mode["filters_accepted"]) | frozenset(
        mode["other_properties_in_LeadSearchRequest"]
    )


@cache
def _industries() -> frozenset[str]:
    return frozenset(item["name"] for item in vocabulary_data()["industries"])


@cache
def _seniority_names() -> tuple[frozenset[str], tuple[str, ...]]:
    vocab = vocabulary_data()
    codes = frozenset(s.casefold() for s in vocab["seniorities_documented_request_values"])
    labels = tuple(s.casefold() for s in vocab["seniorities"])
    return codes, labels


def _known_seniority(value: str) -> bool:
    # live matching is loose: ["Owner"] matched although the label is "Owner / Partner"
    codes, labels = _seniority_names()
    key = value.strip().casefold()
    return bool(key) and (
        key in codes or any(label == key or label.startswith(key + " ") for label in labels)
    )


_HEADCOUNT_FIELDS: Final = frozenset({"company_headcounts", "exclude_company_headcounts"})
_SOFT_ENUMS: Final = frozenset({"seniorities"})  # unknown values count 0 instead of a 400
# Options that shape a search but select nobody: a body of only these has no filter.
_NON_FILTERS: Final = frozenset(
    {
        "limit_by",
        "offset_by",
        "strict",
        "skip_truncated_names",
        "include_full_profile",
        "include_total_count",
        "max_profiles_scanned",
        "filter_empty_vars",
    }
)
_ANCHORS: Final = ("company_id", "company_link", "company_name")
_TRUE_WORDS: Final = frozenset({"true", "false"})


def _present(value: Any) -> bool:
    return not (value is None or value is False or value in ("", [], {}))


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)  # like DRF's IntegerField (and the mcp sends company_id as text)
    return None


def _scalar_problem(kind: str | None, value: Any) -> str | None:
    if kind == "string" and not isinstance(value, str):
        return "Not a valid string."
    if kind == "integer" and _as_int(value) is None:
        return "A valid integer is required."
    if kind == "boolean" and not isinstance(value, bool):
        return "Must be a valid boolean."
    if kind == "array" and not isinstance(value, list):
        return f'Expected a list of items but got type "{type(value).__name__}".'
    return None


def _value_problem(name: str, spec: _Spec, value: Any) -> list[str] | None:
    if value is None:
        return ["This field may not be null."]
    if spec.kind == "object":
        if not isinstance(value, dict):
            return [f'Expected a dictionary of items but got type "{type(value).__name__}".']
        for key, item in value.items():
            if key not in ("min", "max"):
                return [f"Unknown field: {key}."]
            if _as_int(item) is None:
                return [f"{key}: A valid integer is required."]
        return None
    if spec.kind != "array":
        problem = _scalar_problem(spec.kind, value)
        return [problem] if problem else None
    if not isinstance(value, list):
        return [f'Expected a list of items but got type "{type(value).__name__}".']
    if spec.max_items is not None and len(value) > spec.max_items:
        return [f"Ensure this field has no more than {spec.max_items} elements."]
    for item in value:
        problem = _scalar_problem(spec.item_kind, item)
        if problem:
            return [problem]
        if spec.enum is not None and name not in _SOFT_ENUMS:
            probe = _as_int(item) if spec.item_kind == "integer" else item
            if probe not in spec.enum:
                if name in _HEADCOUNT_FIELDS:
                    return [f"Object with name={item} does not exist."]
                return [f'"{item}" is not a valid choice.']
        if name == "find_by_emails" and "@" not in item:
            return ["Enter a valid email address."]
    return None


def validation_problem(body: Any, database: bool) -> Any | None:
    """The `detail` of the 400 the API would answer for `body`, or None if it is valid."""
    if not isinstance(body, dict):
        kind = type(body).__name__
        return {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
    specs = _specs()
    errors: dict[str, Any] = {}
    for name, value in body.items():
        spec = specs.get(name)
        if spec is None:
            errors[name] = ["Unknown field."]
        elif database and name not in _database_fields():
            errors[name] = DATABASE_ONLY
        else:
            problem = _value_problem(name, spec, value)
            if problem:
                errors[name] = problem
    if errors:
        return errors
    if sum(1 for key in _ANCHORS if _present(body.get(key))) > 1:
        return {"company_id": ANCHOR_CONFLICT}
    if not any(_present(v) for k, v in body.items() if k not in _NON_FILTERS):
        return NO_FILTER
    return None


# ------------------------------------------------------------------------------- counts

_UNIVERSE: Final = 4_000_000  # leads matched by a lone filter that matches everyone
_INCLUDE_CAP: Final = 0.9  # so every extra filter lowers the count
_INCLUDE_DEFAULT: Final = (0.03, 0.35)  # selectivity range of one value of a list filter
_INCLUDE_WEIGHTS: Final = {
    "first_name": (0.002, 0.02),
    "last_name": (0.002, 0.02),
    "find_by_emails": (2e-7, 6e-7),  # about one person per address
    "past_company_names": (0.001, 0.01),
    "past_company_ids": (0.001, 0.01),
    "schools": (0.001, 0.02),
    "groups": (0.001, 0.02),
    "groups_keywords": (0.001, 0.02),
}
_EXCLUDE_CAP: Final = 0.5
_EXCLUDE_DEFAULT: Final = (0.005, 0.04)
_EXCLUDE_WEIGHTS: Final = {
    "exclude_names": (1e-6, 1e-5),
    "exclude_ids": (1e-6, 1e-5),
    "exclude_current_company_ids": (1e-4, 1e-3),
    "exclude_past_company_ids": (1e-4, 1e-3),
}
_ANCHOR_RANGE: Final = (0.0002, 0.004)  # one employer's staff
_LINK_RANGE: Final = (0.001, 0.05)
_FLAGS: Final = {
    "changed_jobs": 0.08,
    "posted_on_linkedin": 0.2,
    "mentioned_in_news": 0.01,
    "skip_truncated_names": 0.97,
}
_NO_EFFECT: Final = frozenset(
    {"limit_by", "offset_by", "strict", "include_full_profile", "include_total_count",
     "max_profiles_scanned"}
)  # fmt: skip
_CONNECTIONS_SPAN: Final = 30_000


def _unit(*parts: str) -> float:
    """A stable pseudo-random number in [0, 1) for `parts` (not Python's salted hash())."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _between(bounds: tuple[float, float], *parts: str) -> float:
    low, high = bounds
    return low + (high - low) * _unit(*parts)


def _value_key(value: Any) -> str:
    if isinstance(value, str):
        return value.strip().casefold()
    return json.dumps(value, sort_keys=True)


def _matches_anything(name: str, value: Any) -> bool:
    if name in ("company_industries", "exclude_company_industries"):
        return isinstance(value, str) and value in _industries()  # exact, as measured live
    if name == "seniorities":
        return isinstance(value, str) and _known_seniority(value)
    return True


def _list_sum(name: str, values: Iterable[Any], bounds: tuple[float, float]) -> float:
    # distinct values only, so a repeated value adds nothing; sorted, because float sums
    # depend on order and set order on the (per-process) string hash seed
    keys = sorted({_value_key(v) for v in values if _matches_anything(name, v)})
    return sum(_between(bounds, name, key) for key in keys)


def _factor(name: str, value: Any) -> float:
    if not _present(value) or name in _NO_EFFECT:
        return 1.0
    if name in _FLAGS:
        return _FLAGS[name] if value is True else 1.0
    if name in _ANCHORS:
        key = str(_as_int(value)) if name == "company_id" else _value_key(value).rstrip("/")
        return _between(_ANCHOR_RANGE, "company", key)
    if name == "linkedin_filter_link" and isinstance(value, str):
        return _between(_LINK_RANGE, name, value.strip())
    if name == "num_of_connections" and isinstance(value, dict):
        low, high = _as_int(value.get("min")), _as_int(value.get("max"))
        low = 0 if low is None else max(0, low)
        high = _CONNECTIONS_SPAN if high is None else min(_CONNECTIONS_SPAN, high)
        return min(_INCLUDE_CAP, max(0.0, (high - low) / _CONNECTIONS_SPAN))
    if not isinstance(value, list):
        return 1.0
    if name == "filter_empty_vars":
        return 0.9 ** len({_value_key(v) for v in value})
    if name.startswith("exclude_"):
        share = _list_sum(name, value, _EXCLUDE_WEIGHTS.get(name, _EXCLUDE_DEFAULT))
        return 1.0 - min(_EXCLUDE_CAP, share)
    share = _list_sum(name, value, _INCLUDE_WEIGHTS.get(name, _INCLUDE_DEFAULT))
    return min(_INCLUDE_CAP, share)


def count_for(body: Mapping[str, Any]) -> int:
    """The sandbox's deterministic, plausible lead count for a (valid) request body.

    Built from a stable hash of each (field, value) pair rather than of the whole body, so
    that: the same body always gives the same count; adding a value to an include list
    never lowers it (values add selectivity, capped below 1); adding a filter field, or a
    value to an exclude list, never raises it. Unknown industries and seniorities match
    nobody, as measured live, so a list of only unknown ones counts 0.
    """
    share = 1.0
    for name in sorted(body):  # fixed order: the product must not depend on key order
        share *= _factor(name, body[name])
    return int(_UNIVERSE * share)


# ------------------------------------------------------------------------------- server

_DROP: Final = object()  # outcome: close the connection without answering
_Outcome = tuple[int, Any, list[tuple[str, str]], str | None, float]


def _envelope(status: int, detail: Any) -> dict[str, Any]:
    return {"status": "error", "status_code": status, "detail": detail}


def _price_text(price: float) -> str:
    # the live tier endpoint may send prices as numeric strings (mcp passes them to Number())
    return f"{price:.6f}".rstrip("0").rstrip(".") or "0"


class SandboxServer:
    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config if config is not None else SandboxConfig()
        self.stats = SandboxStats()
        self._lock = threading.Lock()  # guards the fault RNG and the funds counters
        self._rng = random.Random(self.config.seed)
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
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return HttpResponse(
            status,
            body,
            [("Content-Type", "application/json"), ("X-Generect-Mode", "test"), *headers],
        )

    def _answer(
        self, status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()
    ) -> HttpResponse:
        self.stats._answered(status)
        return self._response(status, payload, headers)

    def _protocol_error(self, status: int, detail: str) -> HttpResponse:
        self.stats._request(counts=False)
        response = self._answer(status, _envelope(status, detail))
        response.close = True
        return response

    def _throttled(self, retry_after: bool) -> _Outcome:
        headers = [("Retry-After", "1")] if retry_after else []
        return 429, _envelope(429, THROTTLED), headers, None, 0.0

    async def _handle(self, request: HttpRequest) -> HttpResponse | None:
        try:
            return await self._dispatch(request)
        except Exception:
            logger.exception("sandbox handler failed for %s %s", request.method, request.path)
            return self._answer(500, _envelope(500, "A server error occurred."))

    async def _dispatch(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path
        if path.rstrip("/") in (STATS_PATH, FUNDS_PATH):
            return self._control(request, path.rstrip("/"))
        route = _ROUTES.get(path)
        self.stats._request(counts=route is not None and route[1] in ("realtime", "database"))
        if route is None:
            return self._answer(404, _envelope(404, "Not found."))
        problem = self._auth_problem(request.headers.get("authorization"))
        if problem is not None:
            return self._answer(401, _envelope(401, problem), [("WWW-Authenticate", "Token")])
        method, kind = route
        if request.method != method:
            detail = f'Method "{request.method}" not allowed.'
            return self._answer(405, _envelope(405, detail), [("Allow", method)])
        if kind == "account":
            return self._answer(200, self._account())
        if kind == "tier":
            return self._answer(200, self._tier())
        return await self._count(request, database=kind == "database")

    def _auth_problem(self, header: str | None) -> str | None:
        if header is None:
            return NOT_PROVIDED
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != "token":
            return NOT_PROVIDED  # a bare key or "Bearer ..." does not authenticate
        key = key.strip()
        if not key or " " in key:
            return INVALID_TOKEN
        valid = self.config.valid_keys
        ok = key in valid if valid is not None else key.startswith("test_") and len(key) > 5
        return None if ok else INVALID_TOKEN

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
            "api_realtime": _price_text(self.config.price),
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
                return self._response(405, _envelope(405, "Use GET."), [("Allow", "GET")])
            return self._response(200, self.snapshot())
        if request.method != "POST":
            return self._response(405, _envelope(405, "Use POST."), [("Allow", "POST")])
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = None
        add = _as_int(payload.get("add")) if isinstance(payload, dict) else None
        if add is None or add < 0:
            return self._response(400, _envelope(400, {"add": ["A non-negative integer."]}))
        self.add_funds(add)
        return self._response(200, self.snapshot())

    async def _count(self, request: HttpRequest, database: bool) -> HttpResponse | None:
        config = self.config
        if not self.stats._admit(config.max_parallel):
            status, payload, headers, _, _ = self._throttled(config.retry_after_on_429)
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

    def _decide(self, request: HttpRequest, database: bool) -> tuple[float, _Outcome | object]:
        """Everything about a count answer is decided on arrival, then it waits `delay`."""
        config = self.config
        delay = config.latency
        behaviour = request.headers.get("x-generect-test-behaviour", "").strip().lower()
        if behaviour == "rate_limited":
            return delay, self._throttled(True)
        if behaviour == "insufficient_funds":
            return delay, (402, _envelope(402, NO_FUNDS), [], None, 0.0)
        if behaviour == "upstream_error":
            return delay, (502, _envelope(502, "Upstream data source unavailable."), [], None, 0.0)
        if behaviour == "slow":
            delay += config.slow_behaviour_seconds
        elif behaviour.startswith("latency="):
            with contextlib.suppress(ValueError):
                delay += min(600.0, max(0.0, float(behaviour.partition("=")[2])))

        fault = self._roll_fault()
        if fault == "drop":
            return delay, _DROP
        if fault == "500":
            return delay, (500, _envelope(500, "A server error occurred."), [], None, 0.0)
        if fault == "502":
            return delay, (502, _envelope(502, "Upstream data source unavailable."), [], None, 0.0)
        if fault == "429":
            return delay, self._throttled(config.retry_after_on_429)
        if fault == "429-retry-after":
            return delay, self._throttled(True)
        if fault == "slow":
            delay += config.slow_seconds

        body, problem = self._parse_body(request, database)
        if problem is not None:
            return delay, problem
        key = canonical_json(body)
        if behaviour == "not_found":
            return delay, (200, _ok(0, 0.0), [], key, 0.0)
        if database:
            return delay, (200, _ok(count_for(body), 0), [], key, 0.0)
        if not self._reserve_funds():
            status = config.funds_status
            return delay, (status, _envelope(status, NO_FUNDS), [], None, 0.0)
        return delay, (200, _ok(count_for(body), config.price), [], key, config.price)

    def _parse_body(self, request: HttpRequest, database: bool) -> tuple[Any, _Outcome | None]:
        """(body, None) for a valid body, else (None, the 4xx outcome)."""
        content_type = request.headers.get("content-type", "application/json")
        media = content_type.partition(";")[0].strip().lower()
        if media != "application/json":
            detail = f'Unsupported media type "{content_type}" in request.'
            return None, (415, _envelope(415, detail), [], None, 0.0)
        if not request.body:
            body: Any = {}  # DRF reads an empty body as no data
        else:
            try:
                body = json.loads(request.body)
            except (ValueError, RecursionError) as exc:  # bad UTF-8, absurd nesting
                return None, (400, _envelope(400, f"JSON parse error - {exc}"), [], None, 0.0)
        problem = validation_problem(body, database)
        if problem is None:
            return body, None
        return None, (400, _envelope(400, problem), [], None, 0.0)

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


def _ok(count: int, amount: float) -> dict[str, Any]:
    return {"data": {"results_count": count}, "meta": {"amount_charged": amount}}


def start_sandbox(config: SandboxConfig | None = None) -> SandboxServer:
    """Start a sandbox in a background thread (stop it with `stop()` or `with`)."""
    return SandboxServer(config).start()
