"""What a workbook's own file says beyond calamine's cell values, in one shape for every format.

calamine reads merged cells, error cells (#N/A) and formulas without a saved value as empty,
and does not say which rows are hidden or how a number is formatted. The per-format readers
(`xlsx_parts`, `xls_parts`, `ods_parts`) find these in the file and return an `Overlay`;
`workbook` applies it to the rows. Rows and columns here are 0-based record indexes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from batchcount.read.grid import set_cell

# columns -> {(row, col): displayed text}: formats worked out only for the columns asked for
DisplayLater = Callable[[set[int]], dict[tuple[int, int], str]]


class Merged(NamedTuple):
    """A merged range, 0-based and inclusive: only its top-left cell holds the value."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int
    ref: str  # as Excel writes it, e.g. "A2:A5"


@dataclass
class Overlay:
    notes: list[str] = field(default_factory=list)
    # (row, col) -> why the cell's text is not what the sheet shows (error, unsaved formula)
    problems: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[Merged] = field(default_factory=list)
    hidden: set[int] = field(default_factory=set)  # rows hidden or filtered out
    hidden_columns: set[int] = field(default_factory=set)  # columns hidden in the sheet
    filtered: bool = False  # the sheet has an autofilter (hidden rows may be filtered out)
    # (row, col) -> the text the sheet shows (dates, percentages, error codes)
    display: dict[tuple[int, int], str] = field(default_factory=dict)
    # number formats, when finding them costs a pass over the sheet (xlsx): applied by the
    # caller to the columns that matter (those sent), once the header is known
    later: DisplayLater | None = None

    def apply(self, rows: Sequence[list[str]], blank: list[bool]) -> None:
        """Put the displayed texts into `rows` (in place)."""
        for (row, col), text in self.display.items():
            if row < len(rows) and col < len(rows[row]):
                set_cell(rows, row, col, text)
                if text.strip():
                    blank[row] = False


NO_VALUE = (
    "is a formula with no saved value, so it reads as empty; open the file in Excel (or "
    "LibreOffice) and save it (that stores the results), then retry"
)


def error_problem(text: str, app: str = "Excel") -> str:
    return f"shows the {app} error {text}; fix the formula in {app}"


def merged_ref(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    return f"{col_letters(first_col)}{first_row + 1}:{col_letters(last_col)}{last_row + 1}"


def col_index(letters: bytes) -> int:
    """0-based column of Excel letters: b"A" -> 0."""
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    return col - 1


def col_letters(index: int) -> str:
    label = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


def count_note(count: int, one: str, many: str) -> str:
    return one if count == 1 else many.format(count=count)
