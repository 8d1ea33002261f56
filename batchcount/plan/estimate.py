"""From checked rows to billable requests: fingerprints, duplicate merging, cost estimate."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from batchcount.plan.rows import RowCheck

LIST_PRICE = {"realtime": 0.04, "database": 0.0}


def fallback_price(mode: str, given: float | None) -> tuple[float, str]:
    """The price when the account's tier is not asked or not known: free for database
    counts, else `--price`, else the list price; with where it came from."""
    if mode == "database":
        return 0.0, "database counts are free"
    if given is not None:
        return given, "--price"
    return LIST_PRICE["realtime"], "list price"


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, (list, tuple)):
        if all(type(v) is str for v in value):  # the usual list cell, as below but 3x faster
            return sorted({" ".join(v.split()).casefold() for v in value})
        items = [_canonical(v) for v in value]
        # Lists of scalars are sets to the API (any value matches); nested lists (personas)
        # keep their order because position carries meaning there.
        if all(not isinstance(i, (list, dict)) for i in items):
            return sorted(set(items), key=lambda v: (str(type(v)), v))
        return items
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _canonical_text(value: Any) -> str:
    return json.dumps(_canonical(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _member(name: str, value: Any) -> str:
    return f"{json.dumps(name, ensure_ascii=False)}:{_canonical_text(value)}"


@lru_cache(maxsize=65536)
def _cached_member(name: str, key: tuple[Any, ...]) -> str:
    """`"name":canonical JSON` of one value, from the hashable form `_value_key` gives it."""
    kind, *items = key
    return _member(name, items if kind == "list" else items[0])


def _value_key(value: Any) -> tuple[Any, ...] | None:
    """A hashable stand-in for a body value that only an equal value shares, else None.

    Types are part of the key: True == 1 and 1 == 1.0 in Python but not in JSON.
    """
    kind = type(value)
    if kind is list or kind is tuple:
        types = set(map(type, value))
        if types <= {str} or types == {int}:
            return ("list", *value)
        return None
    if kind is str or kind is int or kind is bool or kind is float:
        return (kind.__name__, value)
    return None


def fingerprint(body: dict[str, Any], mode: str) -> str:
    """Same segment -> same fingerprint, whatever the field order, list order, case or spacing.

    The hash of `json.dumps([mode, _canonical(body)], sort_keys=True, ...)`, assembled from
    per-value fragments: a 100k-row sheet repeats the same few values, so each is canonicalised
    once (3x faster than canonicalising every body whole; the text, so the hash, is the same).
    """
    parts = []
    for name in sorted(body):
        value = body[name]
        key = _value_key(value)
        parts.append(_cached_member(name, key) if key is not None else _member(name, value))
    text = f"[{json.dumps(mode, ensure_ascii=False)},{{{','.join(parts)}}}]"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def request_json(body: dict[str, Any]) -> str:
    """The exact JSON text sent (and shown in the `request` column)."""
    return json.dumps(body, ensure_ascii=False, separators=(", ", ": "))


@dataclass(frozen=True)
class PlannedRow:
    check: RowCheck
    fingerprint: str | None = None  # valid rows only
    duplicate_of: int | None = None  # row number that carries this segment's request
    segment: tuple[str, ...] = ()  # --explode: this segment's value of each exploded column
    duplicate_segment: tuple[str, ...] = ()  # --explode: the segment of `duplicate_of` sent


@dataclass
class Plan:
    mode: str
    rows: list[PlannedRow]
    requests: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # fp -> body, first-seen order
    first_row: dict[str, int] = field(default_factory=dict)  # fp -> row number that is sent

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.check.status == status)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.rows if r.duplicate_of is not None)


def make_plan(
    checks: Sequence[RowCheck], mode: str, segments: Sequence[tuple[str, ...]] | None = None
) -> Plan:
    """`segments` (with --explode): each check's exploded values, same order as `checks`."""
    plan = Plan(mode=mode, rows=[])
    by_body: dict[int, str] = {}  # id(body) -> fingerprint: repeated rows share one body
    first_segment: dict[str, tuple[str, ...]] = {}
    for n, check in enumerate(checks):
        segment = segments[n] if segments is not None else ()
        if check.status != "valid" or check.body is None:
            plan.rows.append(PlannedRow(check, segment=segment))
            continue
        fp = by_body.get(id(check.body))  # ids are unique: every body lives in `checks`
        if fp is None:
            fp = by_body[id(check.body)] = fingerprint(check.body, mode)
        first = plan.first_row.get(fp)
        if first is None:
            plan.first_row[fp] = check.row_number
            plan.requests[fp] = check.body
            first_segment[fp] = segment
        sent_segment = first_segment[fp] if first is not None else ()
        plan.rows.append(PlannedRow(check, fp, first, segment, sent_segment))
    return plan


@dataclass(frozen=True)
class Estimate:
    rows: int
    valid: int
    invalid: int
    blank: int
    duplicates: int
    distinct: int  # distinct segments among valid rows
    already_done: int  # distinct segments the store already answered (reused)
    billable: int  # requests that will be sent
    price: float
    price_source: str
    cost: float
    saved_by_merging: float
    saved_by_resuming: float  # by reusing stored counts
    exploded: bool = False  # --explode: `rows` counts segments
    preflight_skipped: int = 0  # distinct segments --preflight found empty (database count 0)
    saved_by_preflight: float = 0.0


def estimate(
    plan: Plan,
    price: float,
    price_source: str,
    done: Collection[str] = frozenset(),
    skipped: Collection[str] = frozenset(),
) -> Estimate:
    """`done`: segments answered already (reused); `skipped`: left out by --preflight."""
    distinct = len(plan.requests)
    already = sum(1 for fp in plan.requests if fp in done)
    dropped = sum(1 for fp in plan.requests if fp in skipped and fp not in done)
    billable = distinct - already - dropped
    statuses = Counter(r.check.status for r in plan.rows)  # one pass over 100k rows, not three
    return Estimate(
        rows=len(plan.rows),
        valid=statuses["valid"],
        invalid=statuses["invalid"],
        blank=statuses["blank"],
        duplicates=plan.duplicates,
        distinct=distinct,
        already_done=already,
        billable=billable,
        price=price,
        price_source=price_source,
        cost=round(billable * price, 6),
        saved_by_merging=round(plan.duplicates * price, 6),
        saved_by_resuming=round(already * price, 6),
        exploded=any(r.segment for r in plan.rows),
        preflight_skipped=dropped,
        saved_by_preflight=round(dropped * price, 6),
    )


def money(amount: float) -> str:
    """$0.24, $1,234.56, -$0.50; amounts under $1 keep sub-cent digits ($0.004, $0.0125)."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if 0 < amount < 1 and abs(amount - round(amount, 2)) > 1e-9:
        digits = format(Decimal(repr(amount)).normalize(), "f")  # no float noise, no "1e-05"
        return f"{sign}${digits}"
    return f"{sign}${amount:,.2f}"
