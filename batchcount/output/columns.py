"""One row of the Results table, shared by the workbook and the CSV writer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RESULT_COLUMNS = ("results_count", "status", "amount_charged", "message", "request")


@dataclass(frozen=True)
class ResultRow:
    row_number: int  # spreadsheet row number in the input (header = 1)
    cells: Sequence[str]  # the original cells, as text, same length as headers
    results_count: int | None
    status: str  # "ok" | "invalid" | "failed" | "skipped"
    amount_charged: float | None  # None when nothing was sent
    message: str
    request: str  # the exact JSON body sent (or that would be sent), "" if none


def fit_cells(cells: Sequence[str], width: int) -> tuple[list[str], list[str]]:
    """Pad or cut the original cells to the header width; return the non-empty overflow."""
    texts = ["" if c is None else str(c) for c in cells]
    if len(texts) <= width:
        return texts + [""] * (width - len(texts)), []
    return texts[:width], [t for t in texts[width:] if t]


def row_message(row: ResultRow, overflow: list[str]) -> str:
    if not overflow:
        return row.message
    # Never drop user data silently, even when a reader hands over a ragged row.
    return f"{row.message} [cells beyond the last header: {'; '.join(overflow)}]".strip()
