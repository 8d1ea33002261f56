"""What the sandbox answers about a request body: the API's validation 400s and a
deterministic, plausible lead count. Pure functions; the server lives in `sandbox.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from batchcount.resources import request_schema, vocabulary_data

NO_FILTER: Final = "At least one search filter is required."
DATABASE_ONLY: Final = (
    "Filter not supported in database mode; use /api/v1/search/realtime/leads/count/"
)
ANCHOR_CONFLICT: Final = "exactly one of company_id, company_link, company_name is required"


# ---------------------------------------------------------------------------- validation


@dataclass(frozen=True, slots=True)
class _Spec:
    kind: str  # JSON Schema type of the property
    item_kind: str | None
    enum: frozenset[Any] | None
    max_items: int | None


@cache
def _specs() -> dict[str, _Spec]:
    specs: dict[str, _Spec] = {}
    for name, prop in request_schema()["properties"].items():
        items = prop.get("items", {})
        enum = items.get("enum")
        specs[name] = _Spec(
            kind=prop.get("type", ""),
            item_kind=items.get("type"),
            enum=frozenset(enum) if enum is not None else None,
            max_items=prop.get("maxItems"),
        )
    return specs


@cache
def _database_fields() -> frozenset[str]:
    mode = request_schema()["x-database-mode"]
    return frozenset(mode["filters_accepted"]) | frozenset(
        mode["other_properties_in_LeadSearchRequest"]
    )


@cache
def _industries() -> frozenset[str]:
    return frozenset(item["name"] for item in vocabulary_data()["industries"])


@cache
def _seniority_names() -> tuple[frozenset[str], tuple[str, ...]]:
    vocab = vocabulary_data()
    codes = frozenset(s.casefold() for s in vocab["seniorities_documented_request_values"])
    labels = tuple(s.casefold() for s in vocab["seniorities"])
    return codes, labels


def _known_seniority(value: str) -> bool:
    # live matching is loose: ["Owner"] matched although the label is "Owner / Partner"
    codes, labels = _seniority_names()
    key = value.strip().casefold()
    return bool(key) and (
        key in codes or any(label == key or label.startswith(key + " ") for label in labels)
    )


_HEADCOUNT_FIELDS: Final = frozenset({"company_headcounts", "exclude_company_headcounts"})
_SOFT_ENUMS: Final = frozenset({"seniorities"})  # unknown values count 0 instead of a 400
# Options that shape a search but select nobody: a body of only these has no filter.
_NON_FILTERS: Final = frozenset(
    {
        "limit_by",
        "offset_by",
        "strict",
        "skip_truncated_names",
        "include_full_profile",
        "include_total_count",
        "max_profiles_scanned",
        "filter_empty_vars",
    }
)
_ANCHORS: Final = ("company_id", "company_link", "company_name")
_TRUE_WORDS: Final = frozenset({"true", "false"})


def _present(value: Any) -> bool:
    return not (value is None or value is False or value in ("", [], {}))


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)  # like DRF's IntegerField (and the mcp sends company_id as text)
    return None


def _scalar_problem(kind: str | None, value: Any) -> str | None:
    if kind == "string" and not isinstance(value, str):
        return "Not a valid string."
    if kind == "integer" and as_int(value) is None:
        return "A valid integer is required."
    if kind == "boolean" and not isinstance(value, bool):
        return "Must be a valid boolean."
    if kind == "array" and not isinstance(value, list):
        return f'Expected a list of items but got type "{type(value).__name__}".'
    return None


def _value_problem(name: str, spec: _Spec, value: Any) -> list[str] | None:
    if value is None:
        return ["This field may not be null."]
    if spec.kind == "object":
        if not isinstance(value, dict):
            return [f'Expected a dictionary of items but got type "{type(value).__name__}".']
        for key, item in value.items():
            if key not in ("min", "max"):
                return [f"Unknown field: {key}."]
            if as_int(item) is None:
                return [f"{key}: A valid integer is required."]
        return None
    if spec.kind != "array":
        problem = _scalar_problem(spec.kind, value)
        return [problem] if problem else None
    if not isinstance(value, list):
        return [f'Expected a list of items but got type "{type(value).__name__}".']
    if spec.max_items is not None and len(value) > spec.max_items:
        return [f"Ensure this field has no more than {spec.max_items} elements."]
    for item in value:
        problem = _scalar_problem(spec.item_kind, item)
        if problem:
            return [problem]
        if spec.enum is not None and name not in _SOFT_ENUMS:
            probe = as_int(item) if spec.item_kind == "integer" else item
            if probe not in spec.enum:
                if name in _HEADCOUNT_FIELDS:
                    return [f"Object with name={item} does not exist."]
                return [f'"{item}" is not a valid choice.']
        if name == "find_by_emails" and "@" not in item:
            return ["Enter a valid email address."]
    return None


def validation_problem(body: Any, database: bool) -> Any | None:
    """The `detail` of the 400 the API would answer for `body`, or None if it is valid."""
    if not isinstance(body, dict):
        kind = type(body).__name__
        return {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
    specs = _specs()
    errors: dict[str, Any] = {}
    for name, value in body.items():
        spec = specs.get(name)
        if spec is None:
            errors[name] = ["Unknown field."]
        elif database and name not in _database_fields():
            errors[name] = DATABASE_ONLY
        else:
            problem = _value_problem(name, spec, value)
            if problem:
                errors[name] = problem
    if errors:
        return errors
    if sum(1 for key in _ANCHORS if _present(body.get(key))) > 1:
        return {"company_id": ANCHOR_CONFLICT}
    if not any(_present(v) for k, v in body.items() if k not in _NON_FILTERS):
        return NO_FILTER
    return None


# ------------------------------------------------------------------------------- counts

_UNIVERSE: Final = 4_000_000  # leads matched by a lone filter that matches everyone
_INCLUDE_CAP: Final = 0.9  # so every extra filter lowers the count
_INCLUDE_DEFAULT: Final = (0.03, 0.35)  # selectivity range of one value of a list filter
_INCLUDE_WEIGHTS: Final = {
    "first_name": (0.002, 0.02),
    "last_name": (0.002, 0.02),
    "find_by_emails": (2e-7, 6e-7),  # about one person per address
    "past_company_names": (0.001, 0.01),
    "past_company_ids": (0.001, 0.01),
    "schools": (0.001, 0.02),
    "groups": (0.001, 0.02),
    "groups_keywords": (0.001, 0.02),
}
_EXCLUDE_CAP: Final = 0.5
_EXCLUDE_DEFAULT: Final = (0.005, 0.04)
_EXCLUDE_WEIGHTS: Final = {
    "exclude_names": (1e-6, 1e-5),
    "exclude_ids": (1e-6, 1e-5),
    "exclude_current_company_ids": (1e-4, 1e-3),
    "exclude_past_company_ids": (1e-4, 1e-3),
}
_ANCHOR_RANGE: Final = (0.0002, 0.004)  # one employer's staff
_LINK_RANGE: Final = (0.001, 0.05)
_FLAGS: Final = {
    "changed_jobs": 0.08,
    "posted_on_linkedin": 0.2,
    "mentioned_in_news": 0.01,
    "skip_truncated_names": 0.97,
}
_NO_EFFECT: Final = frozenset(
    {"limit_by", "offset_by", "strict", "include_full_profile", "include_total_count",
     "max_profiles_scanned"}
)  # fmt: skip
_CONNECTIONS_SPAN: Final = 30_000


def _unit(*parts: str) -> float:
    """A stable pseudo-random number in [0, 1) for `parts` (not Python's salted hash())."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _between(bounds: tuple[float, float], *parts: str) -> float:
    low, high = bounds
    return low + (high - low) * _unit(*parts)


def _value_key(value: Any) -> str:
    if isinstance(value, str):
        return value.strip().casefold()
    return json.dumps(value, sort_keys=True)


def _matches_anything(name: str, value: Any) -> bool:
    if name in ("company_industries", "exclude_company_industries"):
        return isinstance(value, str) and value in _industries()  # exact, as measured live
    if name == "seniorities":
        return isinstance(value, str) and _known_seniority(value)
    return True


def _list_sum(name: str, values: Iterable[Any], bounds: tuple[float, float]) -> float:
    # distinct values only, so a repeated value adds nothing; sorted, because float sums
    # depend on order and set order on the (per-process) string hash seed
    keys = sorted({_value_key(v) for v in values if _matches_anything(name, v)})
    return sum(_between(bounds, name, key) for key in keys)


def _factor(name: str, value: Any) -> float:
    if not _present(value) or name in _NO_EFFECT:
        return 1.0
    if name in _FLAGS:
        return _FLAGS[name] if value is True else 1.0
    if name in _ANCHORS:
        key = str(as_int(value)) if name == "company_id" else _value_key(value).rstrip("/")
        return _between(_ANCHOR_RANGE, "company", key)
    if name == "linkedin_filter_link" and isinstance(value, str):
        return _between(_LINK_RANGE, name, value.strip())
    if name == "num_of_connections" and isinstance(value, dict):
        low, high = as_int(value.get("min")), as_int(value.get("max"))
        low = 0 if low is None else max(0, low)
        high = _CONNECTIONS_SPAN if high is None else min(_CONNECTIONS_SPAN, high)
        return min(_INCLUDE_CAP, max(0.0, (high - low) / _CONNECTIONS_SPAN))
    if not isinstance(value, list):
        return 1.0
    if name == "filter_empty_vars":
        return 0.9 ** len({_value_key(v) for v in value})
    if name.startswith("exclude_"):
        share = _list_sum(name, value, _EXCLUDE_WEIGHTS.get(name, _EXCLUDE_DEFAULT))
        return 1.0 - min(_EXCLUDE_CAP, share)
    share = _list_sum(name, value, _INCLUDE_WEIGHTS.get(name, _INCLUDE_DEFAULT))
    return min(_INCLUDE_CAP, share)


def count_for(body: Mapping[str, Any]) -> int:
    """The sandbox's deterministic, plausible lead count for a (valid) request body.

    Built from a stable hash of each (field, value) pair rather than of the whole body, so
    that: the same body always gives the same count; adding a value to an include list
    never lowers it (values add selectivity, capped below 1); adding a filter field, or a
    value to an exclude list, never raises it. Unknown industries and seniorities match
    nobody, as measured live, so a list of only unknown ones counts 0.
    """
    share = 1.0
    for name in sorted(body):  # fixed order: the product must not depend on key order
        share *= _factor(name, body[name])
    return int(_UNIVERSE * share)
