"""The Results table as CSV (`write_output` picks it for .csv names).

Written atomically like the workbook. Cells a spreadsheet would run as formulas are escaped
(`safe_text`): a CSV has no cell types to say "this is text".
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from batchcount.output.atomic import atomic_output
from batchcount.output.columns import (
    RESULT_COLUMNS,
    ExtraColumn,
    ResultRow,
    fit_cells,
    row_message,
)

# Only real numbers escape the CSV formula guard: "-5" stays a number, "-5+A1" does not.
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Escape text that a spreadsheet would run as a formula when opening a CSV (OWASP)."""
    if value.startswith(_FORMULA_STARTS) and not _NUMBER_RE.fullmatch(value):
        return "'" + value
    return value


def write_csv(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[ResultRow],
    extra_columns: Sequence[ExtraColumn] = (),
) -> None:
    """Write the Results table as UTF-8 CSV (with BOM, so Excel detects the encoding)."""
    extra_names = [c.name for c in extra_columns]
    width = len(headers)
    with atomic_output(Path(path)) as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        extra_range = range(len(extra_names))
        writer.writerow(
            [safe_text(str(h or "")) for h in headers] + list(RESULT_COLUMNS) + extra_names
        )
        for row in rows:
            texts, overflow = fit_cells(row.cells, width)
            writer.writerow(
                [safe_text(t) for t in texts]
                + [
                    str(row.row_number),
                    "" if row.results_count is None else str(row.results_count),
                    safe_text(row.status),
                    "" if row.amount_charged is None else _plain_number(row.amount_charged),
                    _utc_text(row.counted_at),
                    row.source,
                    safe_text(row_message(row, overflow)),
                    safe_text(row.request),
                ]
                + [_extra_text(row.extra[i] if i < len(row.extra) else None) for i in extra_range]
            )
        text.flush()
        text.detach()  # leave closing the file to atomic_output


def _utc_text(when: datetime | None) -> str:
    """ISO-like UTC time a spreadsheet parses as a date-time ("2026-11-03 14:05:09")."""
    if when is None:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(sep=" ", timespec="seconds")


def _extra_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _plain_number(value) if math.isfinite(value) else ""
    return safe_text(str(value))


def _plain_number(value: float) -> str:
    text = repr(float(value))
    if "e" in text or "E" in text:  # spreadsheets parse 0.00001 more reliably than 1e-05
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text
