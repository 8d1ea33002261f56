"""Lists typed with commas in a column split on something else (';' by default).

"CTO, CIO, VP Engineering" in a job-title cell is most likely three titles, but a title may
hold a comma ("VP, Sales"), so that is a warning. "Sweden, Norway, Denmark" in a location cell
is three countries sent as ONE place that matches nothing, while "San Francisco, California,
United States" and "Puerto Rico, United States" are one place each: a value is refused only
when every comma-separated part is a country and the parts are not one place (a territory or
US state and the country it belongs to).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from batchcount.plan import hints
from batchcount.plan.separators import separator_advice
from batchcount.resources import countries_data

# Free-text list fields where three or more parts are almost surely a list (a real title has
# at most one comma: "VP, Sales").
COMMA_LISTS = frozenset({"job_titles", "past_job_titles", "keywords"})
_AND = re.compile(r"\s+(?:and|&)\s+", re.I)
LOCATION_FIELDS = frozenset(
    {"locations", "exclude_locations", "company_locations", "exclude_company_locations"}
)


def _key(text: str) -> str:
    """Spelling-insensitive: accents, case, punctuation, '&'/'and' and a leading 'the'."""
    folded = unicodedata.normalize("NFKD", text.casefold().replace("&", " and "))
    letters = "".join(c for c in folded if not unicodedata.combining(c))
    words = re.findall(r"[0-9a-z]+", letters)
    if words[:1] == ["the"]:
        words = words[1:]
    return "".join(words)


@cache
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """(name key -> ISO code, territory code -> code of the country it belongs to)."""
    codes: dict[str, str] = {}
    part_of: dict[str, str] = {}
    for country in countries_data()["countries"]:
        for name in country["names"]:
            codes.setdefault(_key(name), country["code"])
        if country.get("part_of"):
            part_of[country["code"]] = country["part_of"]
    return codes, part_of


@cache
def _us_states() -> frozenset[str]:
    return frozenset(_key(s) for s in hints.US_STATES.values())


def country_code(text: str) -> str | None:
    """The ISO code of a country name as people type it ('Sweden', 'UK', 'Czech Republic')."""
    return _countries()[0].get(_key(text))


def listed_countries(value: str) -> list[str] | None:
    """The parts of `value` when it is several countries joined by commas, else None."""
    if "," not in value:
        return None
    codes, part_of = _countries()
    if _key(value) in codes:
        return None  # a country whose name holds a comma ("Korea, Republic of")
    parts: list[str] = []
    for part in (p.strip() for p in value.split(",")):
        if _key(part) not in codes and _AND.search(
            part
        ):  # "Norway and Denmark", not "Trinidad and Tobago"
            parts.extend(p.strip() for p in _AND.split(part))
        else:
            parts.append(part)
    if len(parts) < 2 or not all(parts):
        return None
    found = [codes.get(_key(p)) for p in parts]
    if None in found:
        return None  # a city, state or region: one place written with commas
    if len(parts) == 2:
        inner, outer = found[0], found[1]
        if inner is not None and part_of.get(inner) == outer:
            return None  # "Greenland, Denmark"
        if outer == "US" and _key(parts[0]) in _us_states():
            return None  # "Georgia, United States"
    return parts


def comma_title_warning(
    values: tuple[str, ...], separator: str, column: str, text: str
) -> str | None:
    """A warning for a free-text value that looks like a list typed with commas."""
    listed = [v for v in values if v.count(",") >= 2]
    if not listed:
        return None
    return (
        f"'{listed[0]}' is sent as ONE value; if it lists several, separate them with "
        f"'{separator}'{_or_option(column, separator, text)}"
    )


def country_list_problems(
    values: tuple[str, ...], separator: str, column: str, text: str, allow_unknown: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(errors, warnings) for location values that are several countries typed with commas."""
    messages: list[str] = []
    for value in values:
        parts = listed_countries(value)
        if parts is None:
            continue
        fixed = f"{separator} ".join(parts) if separator.strip() else separator.join(parts)
        message = (
            f"'{value}' is {len(parts)} countries in one value: it would be sent as ONE place, "
            f"which matches nothing; separate them with '{separator}' ('{fixed}')"
            f"{_or_option(column, separator, text)}"
        )
        messages.append(message)
    if allow_unknown:
        return (), tuple(f"{m} (sent anyway as allowed)" for m in messages)
    return tuple(messages), ()


def _or_option(column: str, separator: str, text: str) -> str:
    """The per-column option, when splitting that cell on commas alone would be right."""
    if not column or separator in text:
        return ""
    return f", or run with {separator_advice(column, ',')}"
