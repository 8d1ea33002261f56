"""From checked rows to billable requests: fingerprints, duplicate merging, cost estimate."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from batchcount.plan.fingerprints import fingerprint, request_json
from batchcount.plan.planned import Plan, PlannedRow, make_plan

__all__ = [
    "LIST_PRICE",
    "Estimate",
    "Plan",
    "PlannedRow",
    "estimate",
    "fallback_price",
    "fingerprint",
    "make_plan",
    "money",
    "request_json",
]

LIST_PRICE = {"realtime": 0.04, "database": 0.0}


def fallback_price(mode: str, given: float | None) -> tuple[float, str]:
    """The price when the account's tier is not asked or not known: free for database
    counts, else `--price`, else the list price; with where it came from."""
    if mode == "database":
        return 0.0, "database counts are free"
    if given is not None:
        return given, "--price"
    return LIST_PRICE["realtime"], "list price"


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
    skipped: int = 0  # rows skipped for a reason: totals, footnotes, hidden rows


def estimate(
    plan: Plan,
    price: float,
    price_source: str,
    done: Collection[str] = frozenset(),
    skipped: Collection[str] = frozenset(),
) -> Estimate:
    """`done`: segments answered already (reused); `skipped`: left out by --preflight."""
    distinct = plan.distinct
    already = sum(1 for fp in plan.first_row if fp in done) if done else 0
    dropped = sum(1 for fp in plan.first_row if fp in skipped and fp not in done) if skipped else 0
    billable = distinct - already - dropped
    statuses = plan.status_counts()
    return Estimate(
        rows=len(plan),
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
        exploded=plan.exploded,
        skipped=statuses["skipped"],
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
