"""The Generect calls: the free lookups and the billed count, with its retry and billing rules.

The plumbing (a client per thread, TLS, the total deadline, backoff) is in `session`; how a
200's body is judged in `answers`; the exceptions, with what each means for money, in
`failures` (re-exported here); wording in `api_errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from batchcount.net.answers import (
    Unencodable,
    Unreadable,
    decode,
    encode_body,
    read_count_body,
    scrub,
)
from batchcount.net.api_errors import error_detail, maybe_processed, network_problem, retry_after
from batchcount.net.exchange import Exchanged, exchange
from batchcount.net.failures import (
    ApiStop,
    FundsOut,
    KeyRejected,
    NotSendable,
    RowFailed,
    Throttled,
    Unreachable,
    UnusableAnswer,
    WrongEndpoint,
)
from batchcount.net.lazy import lazy_module
from batchcount.net.session import ClientConfig, CountAnswer, Session
from batchcount.net.throttle import Cancelled

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")

__all__ = [
    "ACCOUNT_PATH",
    "COUNT_PATHS",
    "TIER_PATH",
    "ApiStop",
    "ClientConfig",
    "CountAnswer",
    "FundsOut",
    "GenerectClient",
    "KeyRejected",
    "NotSendable",
    "RowFailed",
    "Throttled",
    "Unreachable",
    "UnusableAnswer",
    "WrongEndpoint",
]

COUNT_PATHS = {
    "realtime": "/api/v1/search/realtime/leads/count/",
    "database": "/api/v1/search/database/leads/count/",
}
ACCOUNT_PATH = "/api/v1/accounts/me/"
TIER_PATH = "/api/auth/tiers/my-tier/"


class GenerectClient(Session):
    """The Generect calls: free lookups and the billed count, with its retry policy."""

    # -- calls ------------------------------------------------------------------------------
    def get_json(self, path: str, timeout: float = 15.0) -> Any:
        """A free GET (account, tier), within `timeout` seconds in all. Raises StopRun for a
        rejected key; RowFailed otherwise."""
        request = self._request("GET", path)
        try:
            got = exchange(self._client(), request, timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # Before any count: no point asking to spend, or retrying every row, against an
            # API this machine cannot reach.
            raise Unreachable(
                f"cannot reach {self.base_url} ({network_problem(exc)}). Check the network, a "
                "proxy or --base-url / GENERECT_API_BASE; nothing was sent."
            ) from None
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol):
            raise NotSendable.default() from None
        except httpx.HTTPError as exc:
            problem = network_problem(exc)
            if isinstance(exc, httpx.TimeoutException):
                problem = f"no complete answer within {timeout:g} s"
            raise RowFailed(f"{path}: {problem}") from None
        response = got.response
        self._note_mode(response)
        if response.status_code in (401, 403):
            self._raise_stop(response, path)
        if response.status_code != 200:
            raise RowFailed(
                f"{path} answered {response.status_code}: {error_detail(response)}",
                response.status_code,
            )
        try:
            if got.body_problem:
                raise Unreadable(got.body_problem)
            return decode(got.raw, self._secrets)
        except Unreadable as exc:
            raise RowFailed(f"{path}: {exc}") from None

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

        `stopping()` is checked before every (re)send; `may_rebill()` is called for each
        attempt that went out and got no usable answer: the server may have billed it, so the
        caller books it, and answers whether a retry still fits the budget.
        `before_send()` runs right before each attempt leaves (the journal's write-ahead mark),
        after everything that can fail on this machine (encoding the body, building the
        request); `after_attempt(n)` when an attempt ended without a usable answer: n=1 if it
        may have been billed (no answer), 0 if the API answered that it did not count it (429,
        5xx) or it never left. Together they let the journal know, at every moment, what may
        have been billed.

        Billing rule for attempts without an answer: a timeout after the request was sent
        (`--timeout` is a total per attempt), a connection dropped or reset after the request
        was written, or a malformed answer may have been processed and billed by a live server,
        so in realtime mode each one counts as "possibly billed twice" and is retried only if
        the budget allows it. Connect errors and write errors never reached the API: not
        counted. A 200 is billed: if its body cannot be read it is booked and not retried in
        this run; if its count is unusable, UnusableAnswer. Raises RowFailed, ApiStop or
        Cancelled with `unanswered` set, so the caller can report them.
        """
        path = COUNT_PATHS[mode]
        try:
            content = encode_body(body)  # before anything is recorded as sent
        except Unencodable as exc:
            raise RowFailed(str(exc)) from None
        attempt = 0
        unanswered = 0
        last = ""
        asked = 0.0  # the server's Retry-After for this request's next attempt
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
                request = self._request("POST", path, content)
                before_send()
            except BaseException as exc:
                self.throttle.release(ok=True, ticket=ticket)
                if isinstance(exc, Cancelled):
                    raise Cancelled(unanswered) from None
                if isinstance(exc, ApiStop):
                    exc.unanswered = unanswered
                raise
            try:
                got = exchange(self._client(), request, self.config.timeout)
            except httpx.HTTPError as exc:
                sent = maybe_processed(exc)
                # no answer in time: a sign of overload for the adaptive level
                timed_out = sent and isinstance(exc, httpx.TimeoutException)
                self.throttle.release(ok=False, ticket=ticket, timed_out=timed_out)
                if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
                    after_attempt(0)
                    raise NotSendable.default() from None
                last = network_problem(exc)
                if isinstance(exc, httpx.TimeoutException) and sent:
                    last = f"no complete answer within {self.config.timeout:g} s (--timeout)"
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
                response = got.response
                self._note_mode(response)
                status = response.status_code
                if status == 200:
                    self.throttle.release(ok=True, ticket=ticket, answered=True)
                    try:
                        return self._answer(got, attempt, unanswered, billed_mode, may_rebill)
                    except UnusableAnswer:
                        raise  # answered: the journal keeps it as such
                    except RowFailed:  # unreadable: the journal books the attempt now
                        after_attempt(int(billed_mode))
                        raise
                if status == 429 or (status >= 500 and status != 501):
                    wait = retry_after(response)
                    too_long = wait is not None and wait > self.config.max_retry_after
                    if status == 429:
                        asked = wait or 0.0
                    self.throttle.release(
                        ok=False,
                        rate_limited=status == 429,
                        retry_after=None if too_long else wait,
                        ticket=ticket,
                    )
                    after_attempt(0)
                    if too_long:
                        raise self._throttled(status, wait or 0.0, unanswered)
                    last = f"{status} {error_detail(response)}"
                    if status == 429:
                        last = "429 throttled"
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
            # a Retry-After binds this request even when the gate does not pause everyone
            delay = max(delay, asked, self.throttle.pause_remaining())
            asked = 0.0
            self._wait(delay, stopping, unanswered)

    def _answer(
        self,
        got: Exchanged,
        attempts: int,
        rebilled: int,
        billed: bool,
        may_rebill: Callable[[], bool],
    ) -> CountAnswer:
        """A 200: it was processed and billed, whatever its body says."""
        problem = got.body_problem
        payload: Any = None
        if problem is None:
            try:
                payload = decode(got.raw, self._secrets)
            except Unreadable as exc:
                problem = str(exc)
        if problem is not None:
            if billed:
                may_rebill()  # books it at the worst price known; not retried either way
                raise RowFailed(
                    f"the API answered 200 but {problem}. A 200 is billed: it is booked as "
                    "spent at the highest price known and not retried in this run; a rerun "
                    "sends it again",
                    200,
                    rebilled + 1,
                )
            raise RowFailed(f"the API answered 200 but {problem}; a rerun sends it again", 200)
        parsed = read_count_body(payload, self._secrets)
        if parsed.count is None:
            raise UnusableAnswer(
                scrub(parsed.count_problem or "no usable count", self._secrets),
                parsed.amount if billed else 0.0,
                parsed.receipt_problem if billed else None,
                rebilled,
            )
        if not billed:  # database counts are free: a missing receipt costs nothing
            amount = parsed.amount or 0.0
            return CountAnswer(parsed.count, amount, attempts, rebilled, self.test_mode)
        return CountAnswer(
            parsed.count,
            parsed.amount,
            attempts,
            rebilled,
            self.test_mode,
            parsed.receipt_problem,
        )
