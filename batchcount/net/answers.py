"""Reading a 200 count answer that may break the contract.

The contract (API-CONTRACT.md §3) says `data.results_count` is a non-negative integer and
`meta.amount_charged` a number of dollars, always present. The docs themselves allow
`results_count: "within limit"`, and proxies or a broken API can send anything. A 200 was
processed and billed whatever its body says, so nothing here raises: the caller gets the
usable values and, for each one that is not usable, a sentence quoting the raw value.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MAX_COUNT = 2**63 - 1  # beyond 64 bits no spreadsheet or database column holds it exactly
MAX_BODY_BYTES = 1024 * 1024  # a count answer is ~60 bytes; more is not a count answer
_MISSING: Any = object()


@dataclass(frozen=True)
class CountBody:
    """What a 200 answer's JSON gave. `count`/`amount` are None when not usable, and then
    `count_problem`/`receipt_problem` say why (with the raw value)."""

    count: int | None
    amount: float | None
    count_problem: str | None = None
    receipt_problem: str | None = None


class Unreadable(ValueError):
    """The body is not a JSON document at all (not JSON, cut short, too large, too deep)."""


class Unencodable(ValueError):
    """A request body that is not JSON (NaN, Infinity, a value json cannot write)."""


def encode_body(body: dict[str, Any]) -> bytes:
    """The JSON bytes sent, the same text as the `request` column shows. Strict: NaN or
    Infinity are not JSON, and the API would refuse or misread them."""
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise Unencodable(
            f"this row's request cannot be encoded as JSON ({exc}); nothing was sent. Fix "
            "the cell (a number written as NaN or Infinity, for example) and rerun"
        ) from None
    return text.encode("utf-8")


def decode(raw: bytes, secrets: tuple[str, ...] = ()) -> Any:
    """The JSON document in a 200 body; raises Unreadable. `secrets` never reach a message."""
    if len(raw) > MAX_BODY_BYTES:
        raise Unreadable(f"the answer was larger than {MAX_BODY_BYTES // 1024} KiB")
    if not raw.strip():
        raise Unreadable("the answer was empty")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Unreadable("the answer was not UTF-8 text") from None
    except RecursionError:
        raise Unreadable("the answer was nested too deeply to read") from None
    except ValueError as exc:
        raise Unreadable(f"the answer was not JSON ({_excerpt(raw, secrets)}: {exc})") from None


def read_count_body(payload: Any, secrets: tuple[str, ...] = ()) -> CountBody:
    """Validate a decoded 200 body. Never raises. Raw values are quoted in the problems with
    `secrets` (the key, the Authorization header) cut out first, before any shortening."""
    data = payload.get("data", _MISSING) if isinstance(payload, dict) else _MISSING
    meta = payload.get("meta", _MISSING) if isinstance(payload, dict) else _MISSING
    raw_count = _MISSING
    if isinstance(data, dict):
        raw_count = data.get("results_count", _MISSING)
        if raw_count is _MISSING:  # the mcp's fallback (preview answers use data.count)
            raw_count = data.get("count", _MISSING)
    count, count_problem = _count(raw_count, payload, secrets)
    raw_amount = meta.get("amount_charged", _MISSING) if isinstance(meta, dict) else _MISSING
    amount, receipt_problem = _amount(raw_amount, secrets)
    return CountBody(count, amount, count_problem, receipt_problem)


def _count(raw: Any, payload: Any, secrets: tuple[str, ...]) -> tuple[int | None, str | None]:
    if raw is _MISSING:
        return None, f"data.results_count is missing (the answer was {_show(payload, secrets)})"
    shown = _show(raw, secrets)
    if raw is None:
        return None, "data.results_count is null"
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None, f"data.results_count is {shown}, not a number of leads"
    if isinstance(raw, float) and not math.isfinite(raw):
        return None, f"data.results_count is {shown}, not a number of leads"
    if raw < 0:
        return None, f"data.results_count is {shown}, a negative number of leads"
    if isinstance(raw, float) and not raw.is_integer():
        return None, f"data.results_count is {shown}, not a whole number of leads"
    if raw > MAX_COUNT:
        return None, f"data.results_count is {shown}, beyond what a 64-bit count can hold"
    return int(raw), None


def _amount(raw: Any, secrets: tuple[str, ...]) -> tuple[float | None, str | None]:
    if raw is _MISSING:
        return None, "meta.amount_charged is missing"
    shown = _show(raw, secrets)
    if raw is None:
        return None, "meta.amount_charged is null"
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None, f"meta.amount_charged is {shown}, not a number of dollars"
    amount = float(raw)
    if not math.isfinite(amount):
        return None, f"meta.amount_charged is {shown}, not a number of dollars"
    if amount < 0:
        return None, f"meta.amount_charged is {shown}, a negative charge"
    return amount, None


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced by ***; call it before shortening anything."""
    for secret in secrets:
        if secret.strip():
            text = text.replace(secret, "***")
    return text


def _show(value: Any, secrets: tuple[str, ...], limit: int = 80) -> str:
    """A raw JSON value as it came, without secrets, short enough for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    text = scrub(text, secrets)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _excerpt(raw: bytes, secrets: tuple[str, ...], limit: int = 60) -> str:
    text = scrub(raw.decode("utf-8", errors="replace"), secrets)
    short = text[:limit].replace("\n", " ").strip()
    return repr(short + ("…" if len(text) > limit else ""))
