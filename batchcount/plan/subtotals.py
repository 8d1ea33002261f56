"""Group total rows that Excel's Data > Subtotal command and pivot tables write.

They label the row after a group with the group's own value and the function: "North Total",
"North Count", "North Average" (German Excel: "North Ergebnis"; French and Spanish put it
first: "Total North"), with numbers in the other columns. Sent as a segment, "North Total"
is a place that matches nothing and costs a request. A row is such a total when a cell reads
"<value> <word>" or "<word> <value>", the value stands above it in the same column, and the
row's other sent cells are empty or numbers. ("Grand Total" and the other fixed labels are
`skips.total_label`'s.) The columnar check flags cells that read like one
(`looks_like_subtotal`, once per distinct cell) and asks about their rows only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from batchcount.plan.skips import is_number
from batchcount.read.grid import column_of
from batchcount.shown import shown

_AFTER = (
    "total|count|average|max|min|sum|product|stddev|stddevp|var|varp"
    "|ergebnis|anzahl|mittelwert|summe|totaal|totale"
)
_BEFORE = "total|totale|totaal"
_SPLIT_AFTER = re.compile(rf"(.*\S)\s+(?:{_AFTER})", re.I)
_SPLIT_BEFORE = re.compile(rf"(?:{_BEFORE})\s+(\S.*)", re.I)


_AFTER_WORDS = frozenset(_AFTER.split("|"))
_BEFORE_STARTS = tuple(f"{w} " for w in _BEFORE.split("|"))


def looks_like_subtotal(text: str) -> bool:
    """ "North Total", "Total North": a value and a function word (the value unchecked).
    Asked of every distinct cell, so string methods, not a regular expression."""
    head, space, last = text.rstrip().rpartition(" ")
    if space and head.strip() and last.casefold() in _AFTER_WORDS:
        return True
    return text.lstrip()[:8].casefold().startswith(_BEFORE_STARTS) and _base(text) is not None


def _base(label: str) -> str | None:
    text = " ".join(label.split())
    match = _SPLIT_AFTER.fullmatch(text) or _SPLIT_BEFORE.fullmatch(text)
    return match.group(1) if match else None


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


class Subtotals:
    """Finds the group total label of a row of `rows` (first use of a column indexes it)."""

    def __init__(self, rows: Sequence[Sequence[str]], sent: Collection[int]) -> None:
        self._rows = rows
        self._sent = sent
        self._first: dict[int, dict[str, int]] = {}  # column -> value key -> first row

    def label(self, i: int) -> str | None:
        cells = self._rows[i]
        for column, cell in enumerate(cells):
            base = _base(cell) if cell.strip() else None
            if base is None or not self._others_are_numbers(cells, column):
                continue
            seen = self._first_rows(column).get(_key(base))
            if seen is not None and seen < i:
                return cell.strip()
        return None

    def _first_rows(self, column: int) -> dict[str, int]:
        found = self._first.get(column)
        if found is None:
            found = self._first[column] = {}
            for i, cell in enumerate(column_of(self._rows, column)):
                found.setdefault(_key(cell), i)
        return found

    def _others_are_numbers(self, cells: Sequence[str], label: int) -> bool:
        return all(
            not cells[i].strip() or is_number(cells[i])
            for i in self._sent
            if i != label and i < len(cells)
        )


def group_total(subtotals: Subtotals, i: int, number: int) -> tuple[str, str] | None:
    """("total", why) when row `i` (sheet row `number`) is a group total row."""
    label = subtotals.label(i)
    if label is None:
        return None
    return "total", (
        f"row {number} is a group total ('{shown(label)}', as Excel's Subtotal command or a "
        "pivot table writes them), not a segment: skipped, not counted"
    )
