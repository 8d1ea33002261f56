"""Which row of a sheet is the header: the one whose cells best name known filters.

A title or key/value block ("Prepared by", "Date", a blank line) often sits above the table.
The caller (plan, which knows the field names and aliases) injects `HeaderScore`; read does
not import plan. Without a scorer the first non-blank row is the header, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice

from batchcount.errors import UsageError

HeaderScore = Callable[[Sequence[str]], float]

SEARCH_ROWS = 30  # non-blank rows looked at for the header
_SCORED_CELLS = 300  # a sheet may have thousands of columns; headers sit in the first ones
_SHOWN_CELLS = 4


def score_row(record: Sequence[str], score: HeaderScore) -> float:
    return score([c for c in record[:_SCORED_CELLS]])


def best_header(
    records: Sequence[list[str]], blank: list[bool], score: HeaderScore
) -> tuple[int, float]:
    """(record index, score) of the best header among the first non-blank rows.

    Ties go to the row with more filled cells (a table is wider than the title block above
    it), then to the earlier row. A score of 0 everywhere means the first non-blank row.
    """
    candidates = list(islice((i for i, b in enumerate(blank) if not b), SEARCH_ROWS))
    best, best_key = candidates[0], (score_row(records[candidates[0]], score), 0)
    best_key = (best_key[0], _filled(records[best]))
    for index in candidates[1:]:
        value = score_row(records[index], score)
        if value <= 0:
            continue
        key = (value, _filled(records[index]))
        if key > best_key:
            best, best_key = index, key
    return best, best_key[0]


def _filled(record: Sequence[str]) -> int:
    return sum(1 for c in record[:_SCORED_CELLS] if c.strip())


def looks_like(record: Sequence[str]) -> str:
    """The first few filled cells of a row, quoted with control characters escaped."""
    cells = [c.strip() for c in record if c.strip()]
    shown = ", ".join(shorten(c) for c in cells[:_SHOWN_CELLS])
    if len(cells) > _SHOWN_CELLS:
        shown += f", ... ({len(cells)} cells)"
    return shown or "(nothing)"


def shorten(text: str, limit: int = 40) -> str:
    """repr() escapes control characters and NUL; long texts are cut."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def forced_header(records: Sequence[list[str]], blank: list[bool], row: int, name: str) -> int:
    """Record index of `--header-row N` (1-based sheet row), checked."""
    last = len(blank) - 1 - blank[::-1].index(False)
    first = blank.index(False)
    if row == 0:
        raise UsageError(
            f"--header-row 0 (no header) is for a list with one value per line; {name} has "
            "several columns: pass the row number Excel shows to the left of the header row"
        )
    if row < 1 or row > last + 1:
        raise UsageError(
            f"--header-row {row}: {name} has rows {first + 1}-{last + 1} with content; pass "
            "the row number Excel shows to the left of the header row"
        )
    if blank[row - 1]:
        raise UsageError(
            f"--header-row {row}: row {row} of {name} is blank; pass the row number Excel "
            f"shows to the left of the header row (the first row with content is {first + 1})"
        )
    if row - 1 == last:
        raise UsageError(
            f"--header-row {row}: row {row} is the last row of {name}, so there would be no "
            "data below it; pass the row number of the header"
        )
    return row - 1
