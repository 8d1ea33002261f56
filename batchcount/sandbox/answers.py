"""The sandbox's answers as data: error envelopes, the 200 body, the auth check and the parsed
request body (or the 4xx it earns).

Pure functions of a request and the settings; `sandbox.SandboxServer` decides which answer a
request gets and when it is sent.
"""

from __future__ import annotations

import json
from typing import Any, Final

from batchcount.sandbox.http import HttpRequest
from batchcount.sandbox.model import validation_problem

NOT_PROVIDED: Final = "Authentication credentials were not provided."
INVALID_TOKEN: Final = "Invalid token."
THROTTLED: Final = "Request was throttled."
NO_FUNDS: Final = "Insufficient funds in the account."

# (status, payload, headers, canonical body for the stats or None, amount charged)
Outcome = tuple[int, Any, list[tuple[str, str]], str | None, float]


def envelope(status: int, detail: Any) -> dict[str, Any]:
    return {"status": "error", "status_code": status, "detail": detail}


def price_text(price: float) -> str:
    # the live tier endpoint may send prices as numeric strings (mcp passes them to Number())
    return f"{price:.6f}".rstrip("0").rstrip(".") or "0"


def ok_body(count: int, amount: float) -> dict[str, Any]:
    return {"data": {"results_count": count}, "meta": {"amount_charged": amount}}


def throttled(retry_after: bool, value: str = "1") -> Outcome:
    headers = [("Retry-After", value)] if retry_after else []
    return 429, envelope(429, THROTTLED), headers, None, 0.0


def auth_problem(header: str | None, valid: frozenset[str] | None) -> str | None:
    """The 401 detail for an Authorization header, None if it authenticates.

    `valid`: the accepted keys (`SandboxConfig.valid_keys`); None accepts any "test_..." key.
    """
    if header is None:
        return NOT_PROVIDED
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != "token":
        return NOT_PROVIDED  # a bare key or "Bearer ..." does not authenticate
    key = key.strip()
    if not key or " " in key:
        return INVALID_TOKEN
    ok = key in valid if valid is not None else key.startswith("test_") and len(key) > 5
    return None if ok else INVALID_TOKEN


def parse_body(request: HttpRequest, database: bool) -> tuple[Any, Outcome | None]:
    """(body, None) for a valid body, else (None, the 4xx outcome)."""
    content_type = request.headers.get("content-type", "application/json")
    media = content_type.partition(";")[0].strip().lower()
    if media != "application/json":
        detail = f'Unsupported media type "{content_type}" in request.'
        return None, (415, envelope(415, detail), [], None, 0.0)
    if not request.body:
        body: Any = {}  # DRF reads an empty body as no data
    else:
        try:
            body = json.loads(request.body)
        except (ValueError, RecursionError) as exc:  # bad UTF-8, absurd nesting
            return None, (400, envelope(400, f"JSON parse error - {exc}"), [], None, 0.0)
    problem = validation_problem(body, database)
    if problem is None:
        return body, None
    return None, (400, envelope(400, problem), [], None, 0.0)
