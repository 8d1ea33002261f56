"""`--compare PREVIOUS.xlsx` for a run: read and index the earlier output before anything is
sent (a file that is not a batchcount output stops the run with exit 2)."""

from __future__ import annotations

from pathlib import Path

from batchcount.output.compare import Comparison
from batchcount.output.row_labels import label_column
from batchcount.plan.prepare import Prepared
from batchcount.read.previous import check_previous_path, read_previous

__all__ = ["check_compare", "load_comparison"]


def check_compare(path: Path | None) -> None:
    """The cheap checks (the file exists, is not a CSV), before the input is read."""
    if path is not None:
        check_previous_path(path)


def load_comparison(path: Path | None, prepared: Prepared) -> Comparison | None:
    if path is None:
        return None
    sheet = prepared.sheet
    label = label_column(sheet.headers, prepared.columns, sheet.rows)
    previous = read_previous(path, sheet.headers[label] if label is not None else None)
    return Comparison(previous, prepared.mode, prepared.plan.rows, label)
