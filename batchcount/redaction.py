"""Cutting secrets (the API key) out of text, including pieces of them.

Redact first, then shorten: text cut to a length after redaction can never show a key. But
text that was cut *before* it reached us (an exception message, a server's error detail, a
log line) may hold only the start or the end of a key, which a plain replace would miss. So
the start or the end of a long secret (8 characters or more), and any 16 characters from
inside it, are masked too. (Not any 8: a test key such as `test_rejected123...` would then
mask ordinary words.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache

MASK = "***"
EDGE = 8  # the first or last characters of a long secret, cut short elsewhere
INNER = 16  # any run this long copied from inside a long secret
_LONG = 2 * EDGE  # secrets at least this long get the piece treatment


_registered: list[str] = []  # the API key in its forms, for every message of this process
_registered_lock = threading.Lock()


def register(secret: str | None) -> None:
    """Remember a secret (the API key) so that no message, exception or file can show it.
    Done by the client for the key it sends and by the CLI for the key it was given."""
    if not secret or len(secret.strip()) < 4:  # a 1-3 character "key" would mask words
        return
    with _registered_lock:
        if secret not in _registered:
            _registered.append(secret)


def scrub(text: str) -> str:
    """`text` without any registered secret or telling piece of one."""
    return mask(text, tuple(_registered)) if _registered else text


@lru_cache(maxsize=16)
def _windows(secret: str) -> frozenset[str]:
    return frozenset(secret[i : i + INNER] for i in range(len(secret) - INNER + 1))


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret, and every telling piece of a long one, replaced by ***."""
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    for secret in ordered:  # the longest first: "Token KEY" before "KEY"
        if secret in text:
            text = text.replace(secret, MASK)
    for secret in ordered:
        if len(secret) >= _LONG and len(text) >= EDGE:
            text = _mask_spans(text, _pieces(text, secret))
    return text


def _pieces(text: str, secret: str) -> list[tuple[int, int]]:
    """Where a start, an end or a long inner run of `secret` appears in `text`."""
    spans: list[tuple[int, int]] = []
    n = len(secret)
    head, tail = secret[:EDGE], secret[-EDGE:]
    at = text.find(head)
    while at != -1:  # the key's start, followed by anything but the rest of it
        end = at + EDGE
        while end < len(text) and end - at < n and text[end] == secret[end - at]:
            end += 1
        spans.append((at, end))
        at = text.find(head, end)
    at = text.find(tail)
    while at != -1:  # the key's end, preceded by anything but its beginning
        begin, k = at, n - EDGE
        while begin > 0 and k > 0 and text[begin - 1] == secret[k - 1]:
            begin, k = begin - 1, k - 1
        spans.append((begin, at + EDGE))
        at = text.find(tail, at + EDGE)
    windows = _windows(secret)
    i = 0
    while i + INNER <= len(text):
        if text[i : i + INNER] in windows:
            j = i + INNER
            while j < len(text) and text[i : j + 1] in secret:
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def _mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for begin, end in sorted(spans):
        if begin < pos:  # overlaps the previous piece: one mask for both
            pos = max(pos, end)
            continue
        out.append(text[pos:begin])
        out.append(MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def shorten(text: str, limit: int, secrets: Iterable[str] = ()) -> str:
    """Redact, then cut to `limit` characters (with an ellipsis): never the other way round.

    Huge text (a 10 MB error page) is first cut to a bounded size with a margin, masked, and
    the margin (where a key cut in two could sit) dropped before the final cut.
    """
    secrets = tuple(secrets)
    longest = max((len(s) for s in secrets if s), default=0)
    bound = 4 * limit + 4 * longest
    if len(text) > bound:
        text = mask(text[:bound], secrets)
        text = text[: max(0, len(text) - longest)] + "..."
    else:
        text = mask(text, secrets)
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."
