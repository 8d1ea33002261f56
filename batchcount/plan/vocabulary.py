"""Allowed values, canonical spellings, Excel-date repair and did-you-mean suggestions.

Headcount buckets are parsed, repaired and matched to the nearest bucket in `headcounts`;
this module words the outcome.

`check_values` runs on every list cell of every row (100k rows), so answers are cached per
cell and per value, and the vocabulary index is built once, on first use. Messages carry no
row/column prefix: the caller adds it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from batchcount.plan import hints
from batchcount.plan.headcounts import (
    bucket_table,
    date_parts,
    excel_bucket,
    nearest_buckets,
    parse_headcount,
)
from batchcount.plan.suggest import did_you_mean, quoted_list, spelling_key, suggest
from batchcount.resources import request_schema, vocabulary_data


@dataclass(frozen=True)
class ValueCheck:
    """The outcome of checking one list cell.

    `values` keeps a value that has an error unchanged, so the caller can still show the
    request that would have been sent; the row must not be sent while `errors` is non-empty.
    """

    values: tuple[str, ...]  # canonical values to send, order kept, duplicates dropped
    notes: tuple[str, ...] = ()  # changes we made
    warnings: tuple[str, ...] = ()  # sent anyway but worth a look
    errors: tuple[str, ...] = ()  # reasons the row must not be sent; each names the fix


# --- the vocabulary index (built once) ----------------------------------------------------


class _Index:
    """Lookup tables over `schemas/vocabulary.json`; built once by `_index()`."""

    def __init__(self) -> None:
        data = vocabulary_data()
        self.industry_names = tuple(str(i["name"]) for i in data["industries"])
        self.industry_keys = {spelling_key(n): n for n in self.industry_names}
        self.industry_hints = {spelling_key(k): v for k, v in hints.INDUSTRY_HINTS.items()}
        self.functions = tuple(str(f) for f in data["functions"])
        self.function_keys = {spelling_key(f): f for f in self.functions}
        self.function_hints = {spelling_key(k): v for k, v in hints.FUNCTION_HINTS.items()}
        self.company_types = tuple(str(t) for t in data["company_types"])
        self.company_type_keys = {spelling_key(t): t for t in self.company_types}
        self.company_type_keys.update(
            {spelling_key(a): t for a, t in hints.COMPANY_TYPE_ALIASES.items()}
        )
        self.seniority_codes = tuple(str(s) for s in data["seniorities_documented_request_values"])
        self.seniority_keys = {spelling_key(a): c for a, c in hints.SENIORITY_ALIASES.items()}
        self.seniority_keys.update({spelling_key(c): (c,) for c in self.seniority_codes})
        enum = request_schema()["properties"]["filter_empty_vars"]["items"]["enum"]
        self.empty_vars = tuple(str(v) for v in enum)
        self.empty_var_keys = {spelling_key(v): v for v in self.empty_vars}


@cache
def _index() -> _Index:
    return _Index()


# --- headcount buckets (parsing, date repair, nearest buckets: `headcounts`) --------------


def _bucket_hint(low: int, high: float) -> str:
    """Did-you-mean for a parsed but unknown bucket (see `headcounts.nearest_buckets`)."""
    names, spans = nearest_buckets(low, high)
    if spans:
        return f"; it spans {quoted_list(names, 'and')}: list those instead"
    return did_you_mean(names)


def _check_headcount(value: str, allow_unknown: bool) -> ValueCheck:
    names, bounds = bucket_table()
    if value in names:
        return ValueCheck((value,))
    buckets = ", ".join(names)
    listing = f"(buckets: {buckets})"
    parts = date_parts(value)
    if parts is not None:
        repaired = excel_bucket(parts)
        if repaired:
            note = (
                f"'{value}' looks like Excel turned '{repaired}' into a date; sent as "
                f"'{repaired}' (format the column as Text to stop this)"
            )
            return ValueCheck((repaired,), notes=(note,))
        head = f"'{value}' looks like a date (Excel converts some typed values), not a bucket"
        fix = f"; format the column as Text and type the bucket again {listing}"
        return _unknown(value, head, fix, False, "the API rejects unknown buckets")
    parsed = parse_headcount(value)
    if parsed is None:
        head, fix = f"'{value}' is not a headcount bucket", f"; use one of: {buckets}"
        return _unknown(value, head, fix, False, "the API rejects unknown buckets")
    for name, (lo, hi) in zip(names, bounds, strict=True):
        # '10000+' and '10001+' both mean the open top bucket, which the API spells '10 000+'.
        top = hi == math.inf and parsed[1] == math.inf and parsed[0] in (lo - 1, lo)
        if parsed == (lo, hi) or top:
            why = " (the API's spelling of the top bucket)" if top else ""
            return ValueCheck((name,), notes=(f"'{value}' → '{name}'{why}",))
    head, fix = f"'{value}' is not a headcount bucket", f"{_bucket_hint(*parsed)} {listing}"
    return _unknown(value, head, fix, False, "the API rejects unknown buckets")


def _unknown(value: str, head: str, fix: str, allow_unknown: bool, risk: str) -> ValueCheck:
    """An error (head + fix), or with allow_unknown a warning, the value sent unchanged.

    Only industries honour --allow-unknown-values: the API itself rejects unknown buckets,
    company types and filter_empty_vars with a 400, so sending them could never help.
    """
    if allow_unknown:
        return ValueCheck((value,), warnings=(f"{head}; sent anyway as allowed ({risk}){fix}",))
    return ValueCheck((value,), errors=(head + fix,))


# --- closed lists -------------------------------------------------------------------------


def _by_key(value: str, keys: dict[str, str]) -> ValueCheck | None:
    """The canonical spelling of a closed-list value, with a note when it differs."""
    canonical = keys.get(spelling_key(value))
    if canonical is None:
        return None
    if canonical == value:
        return ValueCheck((value,))
    return ValueCheck((canonical,), notes=(f"'{value}' → '{canonical}'",))


def _check_industry(value: str, allow_unknown: bool) -> ValueCheck:
    idx = _index()
    if known := _by_key(value, idx.industry_keys):
        return known
    # Curated hints first (they know 'Fintech' is 'Financial Services'), then spelling.
    found = dict.fromkeys(idx.industry_hints.get(spelling_key(value), ()))
    found.update(dict.fromkeys(suggest(value, idx.industry_names)))
    for word in re.findall(r"[0-9a-z]+", value.casefold()):
        found.update(dict.fromkeys(idx.industry_hints.get(word, ())))
    fix = did_you_mean(list(found)[:3]) or "; use an exact LinkedIn industry name"
    head, risk = f"'{value}' is not a LinkedIn industry", "it matches nothing: the count may be 0"
    return _unknown(value, head, fix, allow_unknown, risk)


def _check_company_type(value: str, allow_unknown: bool) -> ValueCheck:
    idx = _index()
    if known := _by_key(value, idx.company_type_keys):
        return known
    fix = did_you_mean(suggest(value, idx.company_types))
    fix += f" (types: {', '.join(idx.company_types)})"
    head = f"'{value}' is not a company type"
    return _unknown(value, head, fix, False, "the API rejects unknown types")


def _check_seniority(value: str, allow_unknown: bool) -> ValueCheck:
    idx = _index()
    codes = idx.seniority_keys.get(spelling_key(value))
    if codes is not None and codes in ((value,), (value.casefold(),)):
        return ValueCheck(codes)  # the code itself, perhaps in capitals: nothing worth a note
    if codes:
        why = "" if len(codes) == 1 else " (the label covers both documented codes)"
        return ValueCheck(codes, notes=(f"'{value}' → {quoted_list(codes, 'and')}{why}",))
    if value.casefold() in hints.SENIORITY_NO_CODE:
        head, fix = f"'{value}' (a Sales Navigator label) has no documented seniority code", ""
    else:
        head = f"'{value}' is not a documented seniority code"
        fix = did_you_mean(suggest(value, idx.seniority_codes))
    warning = (
        f"{head}; sent as is, but the API matches seniorities loosely and may count 0{fix}"
        f" (documented codes: {', '.join(idx.seniority_codes)})"
    )
    return ValueCheck((value,), warnings=(warning,))  # never an error: the API accepts them


def _check_function(value: str, allow_unknown: bool) -> ValueCheck:
    idx = _index()
    if known := _by_key(value, idx.function_keys):
        return known
    found = dict.fromkeys(idx.function_hints.get(spelling_key(value), ()))
    found.update(dict.fromkeys(suggest(value, idx.functions)))
    fix = did_you_mean(list(found)[:3]) or f"; known functions: {', '.join(idx.functions)}"
    warning = f"'{value}' is not a known job function{fix} (sent as is; matching is loose)"
    return ValueCheck((value,), warnings=(warning,))


def _check_empty_var(value: str, allow_unknown: bool) -> ValueCheck:
    idx = _index()
    if known := _by_key(value, idx.empty_var_keys):
        return known
    fix = did_you_mean(suggest(value, idx.empty_vars))
    fix += f" (values: {', '.join(idx.empty_vars)})"
    head = f"'{value}' is not a filter_empty_vars value"
    return _unknown(value, head, fix, False, "the API rejects unknown values")


_CITY_STATE = re.compile(r"(.+?),\s*([A-Z]{2})(?:,\s*(?:USA|US|United States))?")


def _check_location(value: str, allow_unknown: bool) -> ValueCheck:
    problem = f"'{value}' may not be a listed location (the API rejects abbreviations); "
    if country := hints.COUNTRY_ABBREVIATIONS.get(value.upper()):
        # Unambiguous, and the API 400s on the abbreviation: spell it out (with a note).
        return ValueCheck((country,), notes=(f"'{value}' → '{country}'",))
    m = _CITY_STATE.fullmatch(value)
    if not m or m[2] not in hints.US_STATES:
        return ValueCheck((value,))
    city, code = m[1].strip(), m[2]
    if known := hints.CITY_ALTERNATIVES.get(city.casefold()):
        return ValueCheck((value,), warnings=(f"{problem}try '{known}' or 'United States'",))
    # Two letters can be a country too ('Berlin, DE'), so the hint is hedged.
    full = f"{city}, {hints.US_STATES[code]}, United States"
    fix = f"spell out '{code}' (for the US state: '{full}', or just 'United States')"
    return ValueCheck((value,), warnings=(problem + fix,))


_FIELD_GROUPS: dict[Callable[[str, bool], ValueCheck], str] = {
    _check_headcount: "company_headcounts exclude_company_headcounts",
    _check_industry: "company_industries exclude_company_industries lead_industries "
    "exclude_lead_industries",
    _check_company_type: "company_types",
    _check_seniority: "seniorities",
    _check_function: "functions exclude_functions",
    _check_empty_var: "filter_empty_vars",
    _check_location: "locations exclude_locations company_locations exclude_company_locations",
}
_CHECKERS = {field: check for check, fields in _FIELD_GROUPS.items() for field in fields.split()}


def checked_fields() -> frozenset[str]:
    """The API fields `check_values` knows about."""
    return frozenset(_CHECKERS)


def check_values(field: str, values: Sequence[str], *, allow_unknown: bool = False) -> ValueCheck:
    """Check and canonicalise one list cell (already split and trimmed) for `field`."""
    if field not in _CHECKERS:
        return ValueCheck(tuple(values))
    return _check_cell(field, tuple(values), allow_unknown)


@lru_cache(maxsize=65536)
def _check_one(field: str, value: str, allow_unknown: bool) -> ValueCheck:
    return _CHECKERS[field](value, allow_unknown)


@lru_cache(maxsize=16384)
def _check_cell(field: str, values: tuple[str, ...], allow_unknown: bool) -> ValueCheck:
    kept: dict[str, None] = {}  # ordered set
    notes: list[str] = []
    warnings: list[str] = []
    errors: list[str] = []
    for raw in values:
        if not raw:
            continue
        one = _check_one(field, raw, allow_unknown)
        notes += one.notes
        warnings += one.warnings
        errors += one.errors
        for v in one.values:
            if v in kept:
                notes.append(f"duplicate '{v}' dropped")
            kept[v] = None
    return ValueCheck(tuple(kept), tuple(notes), tuple(warnings), tuple(errors))
