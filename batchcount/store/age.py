"""--max-age: how old a stored count may be and still be reused instead of paid for again."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from batchcount.errors import UsageError

DEFAULT_MAX_AGE = timedelta(days=30)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_age(text: str) -> timedelta:
    """`12h`, `7d`, `90d`, `2w`, `30m`; `0` reuses nothing (everything is counted again)."""
    raw = str(text).strip()
    if raw in ("0", "0.0"):
        return timedelta(0)
    match = _AGE.match(raw)
    if match is None:
        raise UsageError(
            f"--max-age {text!r}: give a number and a unit, e.g. 12h, 7d or 90d "
            "(s, m, h, d, w), or 0 to count everything again."
        )
    value = float(match.group(1))
    seconds = value * _UNITS[match.group(2).lower()]
    if not math.isfinite(seconds) or seconds > 100 * 365 * 86400:
        raise UsageError(f"--max-age {text!r}: too long; use at most 100 years (e.g. 365d).")
    return timedelta(seconds=seconds)


def describe_age(age: timedelta) -> str:
    seconds = age.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
