"""One row of the Results table, shared by the workbook and the CSV writer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

# After the input's own columns, in this order (DESIGN.md, output workbook contract).
RESULT_COLUMNS = (
    "source_row",
    "results_count",
    "status",
    "amount_charged",
    "counted_at",
    "source",
    "message",
    "request",
)
SOURCES = ("new", "reused", "duplicate")


@dataclass(frozen=True)
class ExtraColumn:
    """A column an option adds after `RESULT_COLUMNS` (e.g. `--compare`), so the fixed
    columns keep their places for tools; its values ride in `ResultRow.extra`, in order."""

    name: str
    kind: Literal["count", "percent", "datetime", "text"]


@dataclass(frozen=True)
class ResultRow:
    row_number: int  # the input's own sheet row number (`source_row`)
    cells: Sequence[str]  # the original cells, as text, same length as headers
    results_count: int | None
    status: str  # "ok" | "invalid" | "failed" | "skipped"
    amount_charged: float | None  # None when nothing was sent
    message: str
    request: str  # the exact JSON body sent (or that would be sent), "" if none
    counted_at: datetime | None = None  # when the count was answered (aware, UTC)
    source: str = ""  # "new" (paid in this run), "reused" (an earlier answer), "duplicate"
    # values of the extra columns (ExtraColumn), in order: int, float, datetime, str or None
    extra: tuple[Any, ...] = ()


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
