"""How a count can fail: the exceptions `GenerectClient` raises, and what each means for money.

Re-exported by `batchcount.net.client`, where callers have always imported them from.
"""

from __future__ import annotations

from batchcount.errors import EXIT_USAGE, StopRun
from batchcount.redaction import scrub


class ApiStop(StopRun):
    """The API's answer stops the whole run. `unanswered`: as in RowFailed."""

    unanswered: int = 0


class KeyRejected(ApiStop):
    """401/403: the key was refused."""


class FundsOut(ApiStop):
    """402, or 400 whose detail says insufficient funds."""


class WrongEndpoint(ApiStop):
    """404/501: wrong base URL, or a test key on an endpoint test mode lacks."""


class Throttled(ApiStop):
    """The API asked to wait (Retry-After) longer than --max-retry-after: stop, resume later."""


class NotSendable(ApiStop):
    """This machine could not put the request on the wire (a header httpx or h11 refuses):
    nothing left, nothing can be billed, and every other request would fail the same way."""

    exit_code = EXIT_USAGE

    @classmethod
    def default(cls) -> NotSendable:
        return cls(
            "this machine could not send the request (a header holds a character HTTP does "
            "not allow, or the URL is not http(s)); nothing was sent. Check GENERECT_API_KEY "
            "/ --api-key for stray characters and --base-url."
        )


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


class UnusableAnswer(RowFailed):
    """A 200 whose count cannot be used ("within limit", null, negative, ...). The API
    processed and billed it, and would answer the same again: booked as spent, never re-sent
    automatically. `amount`: its receipt, None when that is unusable too."""

    def __init__(
        self, problem: str, amount: float | None, receipt_problem: str | None, unanswered: int
    ) -> None:
        super().__init__(f"the API answered 200 but {problem}", 200, unanswered)
        self.problem = problem
        self.amount = amount
        self.receipt_problem = receipt_problem
