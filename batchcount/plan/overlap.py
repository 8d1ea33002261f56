"""Whether the values along one exploded axis can share leads.

Counts may be added up only along an axis whose values cannot overlap: a lead has one
seniority, a company one headcount bucket, a lead lives in one country. Anything else (job
titles, industries, regions, cities, an empty "(any)" value, a label covering two codes that
another value also covers) may count the same lead twice, so no total is offered.
"""

from __future__ import annotations

from collections.abc import Sequence

from batchcount.plan.countries import country_key
from batchcount.plan.vocabulary import check_values

_WHY = {
    "seniorities": "seniorities cannot overlap",
    "company_headcounts": "headcount buckets cannot overlap",
    "locations": "distinct countries cannot overlap",
    "company_locations": "distinct countries cannot overlap",
}


def disjoint_reason(field: str, values: Sequence[str]) -> str | None:
    """Why counts along these values may be summed, or None when they might overlap."""
    why = _WHY.get(field)
    if why is None or not values:
        return None
    seen: set[str] = set()
    for value in values:
        if not value.strip():
            return None  # "(any)" overlaps every other value
        check = check_values(field, [value])
        if check.errors or check.warnings or not check.values:
            return None  # unknown to us: cannot vouch for it
        keys = set(check.values)
        if field.endswith("locations"):
            found = {country_key(v) for v in check.values}
            if None in found:
                return None  # a city or region overlaps its country
            keys = {k for k in found if k is not None}
        if keys & seen:
            return None
        seen |= keys
    return why
