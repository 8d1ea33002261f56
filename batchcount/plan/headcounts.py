"""Headcount buckets: reading what people type ('50-200', '5k+', '1,000'), undoing Excel's
date conversion of typed buckets ('1-10' shown as 10-Jan), and the nearest buckets to suggest.

Used by `batchcount.plan.vocabulary`, which turns these answers into notes and errors.
"""

from __future__ import annotations

import math
import re
from functools import cache

from batchcount.plan import hints
from batchcount.resources import vocabulary_data


@cache
def bucket_table() -> tuple[tuple[str, ...], tuple[tuple[int, float], ...]]:
    """The API's buckets (`schemas/vocabulary.json`) and their (low, high) bounds; built once."""
    names = tuple(str(h) for h in vocabulary_data()["headcounts"])
    bounds: list[tuple[int, float]] = []  # (low, high); high is inf for the top bucket
    for b in names:
        if b.endswith("+"):  # "10 000+" holds everything above the previous bucket
            bounds.append((int(bounds[-1][1]) + 1 if bounds else 0, math.inf))
        else:
            low, high = b.split("-")
            bounds.append((int(low), int(high)))
    return names, tuple(bounds)


_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]m)?)?"
_ISO_DATE = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}", re.I)
_NUM_DATE = re.compile(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}", re.I)
_DAY_MONTH = re.compile(r"(\d{1,4})[-\s/]([a-z]{3,9})\.?(?:[-\s/](\d{4}|\d{2}))?", re.I)
_MONTH_DAY = re.compile(r"([a-z]{3,9})\.?[-\s/](\d{1,4})", re.I)
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_THOUSANDS = re.compile(r"(?<=\d)[,.'\s](?=\d{3}(?!\d))")
_RANGE = re.compile(rf"(\d+)\s*(?:[{_DASHES}]|to)\s*(\d+)")
_OPEN = re.compile(
    r"(?:(?:>=?|over|above|more than)\s*(\d+)|(\d+)\s*(?:\+|or more|and above|plus))"
)


def _month(word: str) -> int | None:
    return hints.MONTHS.get(word.casefold().rstrip("."))


def date_parts(text: str) -> tuple[int, int, int | None] | None:
    """(month or day, day or month, year) of a date-looking cell, in no particular order."""
    if m := _ISO_DATE.fullmatch(text):
        return int(m[2]), int(m[3]), int(m[1])
    if m := _NUM_DATE.fullmatch(text):
        return int(m[1]), int(m[3]), int(m[4])
    if (m := _DAY_MONTH.fullmatch(text)) and (month := _month(m[2])):
        return month, int(m[1]), int(m[3]) if m[3] else None
    if (m := _MONTH_DAY.fullmatch(text)) and (month := _month(m[1])):
        return month, int(m[2]), None
    return None


def excel_bucket(parts: tuple[int, int, int | None]) -> str | None:
    """Undo Excel's date conversion: typed '1-10' becomes 10 Jan or 1 Oct of some year and
    '11-50' becomes 1 Nov 1950 ('Nov-50' when shown without the day)."""
    a, b, year = parts
    if {a, b} == {1, 10}:
        return "1-10"
    if year is None:  # month-name forms put the month first: ('Nov', 50) or ('Nov', 1950)
        return "11-50" if a == 11 and b in (50, 1950) else None
    return "11-50" if year % 100 == 50 and {a, b} == {1, 11} else None


_UNIT_WORDS = re.compile(r"\s*(?:employees?|emps?|staff|people|persons|fte)\.?\s*$")


def parse_headcount(text: str) -> tuple[int, float] | None:
    """(low, high) of a range, (n, n) for a plain number, (low, inf) for 'N+'."""
    t = text.casefold().strip()
    t = _UNIT_WORDS.sub("", t)  # "51-200 employees" is the bucket 51-200
    t = re.sub(r"(\d+)\s*k\b", lambda m: str(int(m[1]) * 1000), t)
    t = _THOUSANDS.sub("", t)
    if m := _RANGE.fullmatch(t):
        return int(m[1]), int(m[2])
    if m := _OPEN.fullmatch(t):
        return int(m[1] or m[2]), math.inf
    if t.isdecimal() and t.isascii():  # "²".isdigit() is true, but int("²") raises
        return int(t), int(t)
    return None


def nearest_buckets(low: int, high: float) -> tuple[list[str], bool]:
    """Buckets to suggest for a parsed but unknown bucket, and whether they are the span of it:
    the bucket holding a plain number, the buckets a wider range spans (True), else the
    nearest bucket on a log scale."""
    names, bounds = bucket_table()
    if low == high:
        hit = [n for n, (lo, hi) in zip(names, bounds, strict=True) if lo <= low <= hi]
        return list(hit[:1] or names[:1]), False
    starts = [i for i, (lo, _) in enumerate(bounds) if low in (lo, lo - 1)]
    ends = [i for i, (_, hi) in enumerate(bounds) if high in (hi, hi + 1)]
    if starts and ends and ends[0] > starts[0]:
        return list(names[starts[0] : ends[0] + 1]), True

    def gap(x: float, y: float) -> float:
        return abs(math.log(x + 1) - math.log(y + 1))

    def distance(lo: int, hi: float) -> float:
        if hi == math.inf:  # open top bucket: any high end at or above its start fits
            return gap(low, lo) + (0.0 if high >= lo else gap(high, lo))
        return gap(low, lo) + (math.log(10) if high == math.inf else gap(high, hi))

    scores = [distance(lo, hi) for lo, hi in bounds]
    best = min(scores)
    return [n for n, d in zip(names, scores, strict=True) if d - best < 1e-9], False
