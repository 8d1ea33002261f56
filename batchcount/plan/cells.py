"""One cell's text -> the typed JSON value its API field expects.

Pure and cached: a 100k-row sheet repeats the same few cell texts, so each distinct
(field, text, separator) is parsed once.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from batchcount.plan.fields import all_fields
from batchcount.plan.placeholders import placeholder_problem

# Non-breaking, thin and other unicode spaces, tabs and line breaks all collapse to one space.
_SPACE_RE = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")
_INT_RE = re.compile(r"^[+-]?\d+(?:\.0*)?$")
# Thousands separators only in groups of three ("2,135,371", "2 135 371"): "1,2" is not 12.
_GROUPED_INT_RE = re.compile(r"^[+-]?\d{1,3}(?:([,\s\u00a0\u202f'])\d{3})(?:\1\d{3})*(?:\.0*)?$")
_GROUP_SEPARATORS_RE = re.compile(r"[,\s\u00a0\u202f']")
_LINKEDIN_COMPANY_RE = re.compile(
    r"^(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/company/[^/?#\s]+/?(?:[?#].*)?$", re.I
)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_RANGE_RE = re.compile(r"^\s*(\d+)\s*(?:-|–|—|to)\s*(\d+)\s*$")
_OPEN_RANGE_RE = re.compile(r"^\s*(\d+)\s*\+\s*$")

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "✓", "✔", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f", ""})

# Documented ranges for integer fields (years_* buckets come from the schema's enum).
INT_RANGES: dict[str, tuple[int, int]] = {
    "company_id": (1, 10**15),
    "limit_by": (1, 2400),
    "offset_by": (0, 2399),
    "max_profiles_scanned": (1, 10**9),
}


@dataclass(frozen=True)
class Cell:
    """A parsed cell: `value` is None when the cell is empty (the filter is absent)."""

    value: Any
    error: str | None = None
    note: str | None = None


def clean_text(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def split_list(text: str, separator: str) -> list[str]:
    """Split on the separator (and on line breaks, which Alt+Enter puts inside a cell)."""
    parts = text.replace("\r", "\n").split("\n")
    if separator != "\n":
        parts = [piece for part in parts for piece in part.split(separator)]
    seen: set[str] = set()
    out: list[str] = []
    for part in parts:
        value = clean_text(part)
        if value and value not in seen:
            seen.add(value)
            out.append(value)
    return out


_SCIENTIFIC_RE = re.compile(r"\s*\d[.,]\d+E\+\d+\s*", re.I)  # 2.13537E+06: what Excel shows


def _scientific(text: str) -> str | None:
    """The fix for an id Excel wrote in scientific notation (its last digits are gone)."""
    if not _SCIENTIFIC_RE.fullmatch(text):
        return None
    return (
        f"'{_short(text.strip())}' is Excel's scientific notation, which has lost the last "
        "digits of the number; format the column as Number with no decimals (or as Text) in "
        "Excel, then save or export again"
    )


def _parse_int(text: str) -> int | None:
    """A whole number: "3", "3.0" (Excel), "2,135,371"; None for anything else ("1,2", "2.5")."""
    compact = text.strip()
    if _GROUPED_INT_RE.match(compact):
        compact = _GROUP_SEPARATORS_RE.sub("", compact)
    if _INT_RE.match(compact):
        return int(compact.split(".")[0])  # no float(): ids above 2**53 stay exact
    return None


def _check_range(name: str, number: int, shown: str) -> str | None:
    enum = all_fields()[name].enum
    if enum and number not in enum:
        allowed = ", ".join(str(v) for v in enum)
        return f"'{shown}' is out of range; use one of {allowed}"
    low, high = INT_RANGES.get(name, (-(10**18), 10**18))
    if not low <= number <= high:
        return f"'{shown}' is out of range; use a whole number from {low} to {high}"
    return None


def _parse_connections(text: str) -> Cell:
    """num_of_connections: JSON {"min":..,"max":..}, or the shorthand '500-1000' / '500+'."""
    match = _RANGE_RE.match(text)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if low > high:
            return Cell(None, f"'{text}': the minimum is above the maximum")
        return Cell({"min": low, "max": high})
    match = _OPEN_RANGE_RE.match(text)
    if match:
        return Cell({"min": int(match.group(1))})
    try:
        data = json.loads(text)
    except ValueError:
        return Cell(None, f"'{text}' is not a range; write 500-1000, 500+ or {{\"min\": 500}}")
    if (
        not isinstance(data, dict)
        or not data
        or set(data) - {"min", "max"}
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in data.values())
    ):
        return Cell(None, f"'{text}' must be an object with whole-number min and/or max")
    if data.get("min", 0) > data.get("max", data.get("min", 0)):
        return Cell(None, f"'{text}': the minimum is above the maximum")
    return Cell(data)


def _parse_json_list(text: str) -> Cell:
    """personas: a JSON list of lists."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Cell(None, f"'{_short(text)}' is not valid JSON ({exc.msg} at char {exc.pos})")
    except RecursionError:
        return Cell(None, f"'{_short(text)}' is nested too deeply")
    if not _all_finite(data):  # Python reads NaN, Infinity and 1e999; JSON cannot send them
        return Cell(None, f"'{_short(text)}' holds NaN or Infinity, which JSON cannot send")
    if not isinstance(data, list) or not all(isinstance(item, list) for item in data):
        return Cell(None, f"'{_short(text)}' must be a JSON list of lists, e.g. [[\"name\", ...]]")
    if not data:  # "[]" filters nothing: absent, like an empty cell (never sent as [])
        return Cell(None)
    return Cell(data)


def _all_finite(data: Any) -> bool:
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, list):
        return all(_all_finite(item) for item in data)
    if isinstance(data, dict):
        return all(_all_finite(item) for item in data.values())
    return True


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=65536)
def parse_cell(name: str, text: str, separator: str = ";") -> Cell:
    """Parse one cell for field `name`. Never raises: problems come back in `error`."""
    kind = all_fields()[name].kind
    if not text or not text.strip():
        return Cell(None)
    if kind == "str_list":
        values = split_list(text, separator)
        if not values:
            return Cell(None)
        if name == "find_by_emails":
            bad = [v for v in values if not _EMAIL_RE.match(v)]
            if bad:
                return Cell(
                    None,
                    f"'{_short(bad[0])}' is not an email address; write addresses like "
                    f"name@company.com, separated by '{separator}'",
                )
            if len(values) > 500:
                return Cell(None, f"{len(values)} emails; the API takes at most 500 per request")
        for value in values:
            problem = placeholder_problem(value)
            if problem is not None:
                return Cell(None, problem)
        return Cell(tuple(values))
    if kind == "int_list":
        numbers: list[int] = []
        for part in split_list(text, separator):
            number = _parse_int(part)
            if number is None:
                sep = ";" if separator == "\n" else separator
                return Cell(
                    None,
                    _scientific(part)
                    or f"'{_short(part)}' is not a whole number; write whole numbers separated "
                    f"by '{sep}', e.g. 1{sep}2",
                )
            problem = _check_range(name, number, part)
            if problem:
                return Cell(None, problem)
            if number not in numbers:
                numbers.append(number)
        return Cell(tuple(numbers) if numbers else None)
    if kind == "int":
        value = clean_text(text)
        number = _parse_int(value)
        if number is None:
            return Cell(
                None,
                _scientific(value)
                or f"'{_short(value)}' is not a whole number; write digits only, e.g. 2135371",
            )
        problem = _check_range(name, number, value)
        return Cell(None, problem) if problem else Cell(number)
    if kind == "bool":
        word = clean_text(text).lower()
        if word in TRUE_WORDS or word in ("1.0",):
            return Cell(True)
        if word in FALSE_WORDS or word in ("0.0",):
            return Cell(False)
        return Cell(
            None, f"'{_short(word)}' is not yes/no; write TRUE or FALSE (or leave it empty)"
        )
    if kind == "json":
        value = text.strip()
        return (
            _parse_connections(value) if name == "num_of_connections" else _parse_json_list(value)
        )
    value = clean_text(text)
    if name == "company_link" and not _LINKEDIN_COMPANY_RE.match(value):
        return Cell(
            None,
            f"'{_short(value)}' is not a LinkedIn company URL; "
            "write it like https://www.linkedin.com/company/acme/",
        )
    return Cell(value)


def constant_cell(name: str, value: Any, separator: str) -> Cell:
    """A constant from the mapping file, parsed as if it were a cell."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list) and all_fields()[name].kind in ("str_list", "int_list"):
        # Each list item is one value: split on lines only, so an item holding the separator
        # ("Transportation, Logistics, ..." with separator ",") stays whole.
        return parse_cell(name, "\n".join(str(v) for v in value), "\n")
    elif isinstance(value, (dict, list)):
        text = json.dumps(value)
    else:
        text = str(value)
    return parse_cell(name, text, separator)
