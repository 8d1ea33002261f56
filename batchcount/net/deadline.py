"""A wall-clock deadline for a whole HTTP exchange (connect, send, headers, body).

httpx's timeouts are per phase and per socket operation: a server that sends one byte every
second never trips a 10-second read timeout, neither while its headers trickle in nor while
its body does. `--timeout` promises a total per request, so every socket operation of the
calling thread is given at most the time left until its deadline, and fails as a timeout
once none is left.

How: httpcore, under httpx, does all its I/O through a pluggable network backend (public
httpcore API: `httpcore.NetworkBackend`). `install` wraps the backend of the connection pools
an `httpx.Client` built (its own transport and any proxy mounts from the environment), so the
client keeps its settings, proxies and TLS context. httpx offers no public way to reach those
pools, hence the attribute access below; if a future httpx hides them, `install` returns
False and tests/test_hangs.py fails loudly rather than the tool hanging silently. The backend
lives in `deadline_backend` (it subclasses httpcore, imported only when a client is built).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

_local = threading.local()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread inside the block ends by now + `seconds`."""
    previous = getattr(_local, "until", None)
    _local.until = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.until = previous


def bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    until: float | None = getattr(_local, "until", None)
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise expired("the total time allowed for this request ran out")
    return left if timeout is None else min(timeout, left)
