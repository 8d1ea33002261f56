"""Wording for what went wrong with a request: the API's error detail, network problems,
Retry-After.

Pure helpers for `batchcount.net.client`. Error text ends up in messages, the journal and the
workbook, so the server's words pass through `error_detail`, which cuts the API key out.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from batchcount.net.lazy import lazy_module
from batchcount.redaction import shorten

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")

_TEXT_LIMIT = 300  # an HTML error page or an unexpected body
_DETAIL_LIMIT = 2000  # the API's own `detail` (field errors can be long and useful)


def describe_detail(detail: Any) -> str:
    """The API's error detail (string, field->string or field->list) as one readable line."""
    if isinstance(detail, dict):
        parts = []
        for name, msg in detail.items():
            text = "; ".join(str(m) for m in msg) if isinstance(msg, list) else str(msg)
            parts.append(f"{name}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return "; ".join(str(d) for d in detail)
    return str(detail)


def error_detail(response: httpx.Response) -> str:
    """The server's words, for messages, the journal and the workbook: with the key cut out,
    since a proxy or a broken API may quote the Authorization header back. Cut out first,
    then shortened: a key split by the cut would otherwise leave its first half."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        detail, limit = (text if text else response.reason_phrase), _TEXT_LIMIT
    else:
        if isinstance(data, dict) and "detail" in data:
            detail, limit = describe_detail(data["detail"]), _DETAIL_LIMIT
        else:
            detail, limit = str(data), _TEXT_LIMIT
    try:
        sent = response.request.headers.get("authorization", "")
    except RuntimeError:  # a response built without a request (tests)
        sent = ""
    return shorten(detail, limit, (sent, *sent.split()[1:]))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait: delta-seconds or an HTTP date (RFC 9110 10.2.3).
    None when absent or unreadable; infinity stays infinity (longer than any cap)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def network_problem(exc: Exception) -> str:
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return "could not connect (network down, or wrong --base-url?)"
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return "could not connect in time"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without an answer"
    if isinstance(exc, httpx.ReadError):
        return "the connection broke before the answer came"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return f"network error ({name})"


def duration(seconds: float) -> str:
    if seconds >= 3600 * 48:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 90:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:g} s"


def maybe_processed(exc: httpx.HTTPError) -> bool:
    """Did the request reach the API in full, so that it may have been processed and billed?"""
    # Never connected (connect/pool/proxy errors), not fully written (write errors), or
    # refused by our own HTTP layer before anything was written (LocalProtocolError: a header
    # value it cannot send; UnsupportedProtocol): nothing to process. ReadTimeout (also the
    # total --timeout running out after the request was sent), ReadError, RemoteProtocolError
    # (closed without an answer, or a malformed answer) and anything unexpected: assume it
    # arrived.
    not_arrived = (
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.ProxyError,
        httpx.WriteError,
        httpx.WriteTimeout,
        httpx.LocalProtocolError,
        httpx.UnsupportedProtocol,
    )
    return not isinstance(exc, not_arrived)
