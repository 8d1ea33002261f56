"""One HTTP exchange under a total deadline, with the body read up to a size cap.

Split from `client` so the retry loop there reads as policy: this module only moves bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchcount.net.answers import MAX_BODY_BYTES
from batchcount.net.api_errors import network_problem
from batchcount.net.deadline import deadline
from batchcount.net.lazy import lazy_module

if TYPE_CHECKING:
    import httpx
else:
    httpx = lazy_module("httpx")

# The answer's body was re-read into memory: these headers describe the wire form, not it.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@dataclass(frozen=True)
class Exchanged:
    """An answer whose headers arrived. `response` holds the body read so far (so
    `error_detail` works on it); `body_problem` says why the body is incomplete, if it is."""

    response: httpx.Response
    raw: bytes
    body_problem: str | None


def exchange(client: httpx.Client, request: httpx.Request, seconds: float) -> Exchanged:
    """Send `request` and read its answer, all within `seconds` of wall-clock time.

    Raises httpx.HTTPError when no answer's headers arrived (a deadline hit before them is an
    httpx.ReadTimeout, or a Connect/WriteTimeout before the request was sent in full). Once
    headers arrived, problems reading the body are returned, not raised: the status is known,
    and for a 200 that means the request was processed and billed.
    """
    with deadline(seconds):
        response = client.send(request, stream=True)
        try:
            if _small_and_plain(response):
                # the usual answer: its declared length is read as httpx always does
                response.read()
                return Exchanged(response, response.content, None)
            return _read_capped(response, request, seconds)
        except httpx.TimeoutException:
            problem = f"its body did not arrive in full within {seconds:g} s"
        except httpx.HTTPError as exc:
            problem = f"its body could not be read ({network_problem(exc)})"
        finally:
            response.close()
    return Exchanged(_rebuilt(response, request, b""), b"", problem)


def _small_and_plain(response: httpx.Response) -> bool:
    length = response.headers.get("content-length", "")
    return (
        length.isdigit()
        and int(length) <= MAX_BODY_BYTES
        and "content-encoding" not in response.headers  # a small zip may hold a large body
    )


def _read_capped(response: httpx.Response, request: httpx.Request, seconds: float) -> Exchanged:
    """Chunked, compressed or oversized bodies: decoded bytes are counted as they come."""
    chunks: list[bytes] = []
    size = 0
    problem: str | None = None
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                problem = f"the answer was larger than {MAX_BODY_BYTES // 1024} KiB"
                break
            chunks.append(chunk)
    except httpx.TimeoutException:
        problem = f"its body did not arrive in full within {seconds:g} s"
    except httpx.HTTPError as exc:
        problem = f"its body could not be read ({network_problem(exc)})"
    raw = b"".join(chunks)
    return Exchanged(_rebuilt(response, request, raw), raw, problem)


def _rebuilt(response: httpx.Response, request: httpx.Request, raw: bytes) -> httpx.Response:
    """The streamed answer with the body read so far, so `error_detail` works on it."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _WIRE_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=raw, request=request)
