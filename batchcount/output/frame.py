"""The Results table (and the input as read) as a polars DataFrame, for the Python API.

Built from `RESULT_COLUMNS` and `ResultRow` generically, like the workbook writer: the input's
columns as the text that was read, then every result column. A polars frame needs unique
column names, a sheet does not: a blank header becomes "column C", a repeated one (or one
named like a result column) "Name (column D)"; result columns keep their own names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from batchcount.output.columns import (
    RESULT_COLUMNS,
    ExtraColumn,
    ResultRow,
    fit_cells,
    row_message,
)
from batchcount.read.sheet import Sheet, column_label

if TYPE_CHECKING:  # polars loads in ~0.1 s: only when a frame is built
    import polars as pl

__all__ = ["ROW_COLUMN", "column_names", "results_frame", "segments_frame"]

ROW_COLUMN = "source_row"  # the input's own row number (header = row 1)

# Result columns whose type a Python value cannot tell when every row is empty.
_TYPES = {"results_count": "Int64", "amount_charged": "Float64", "source_row": "Int64"}


def column_names(headers: Sequence[str], reserved: Iterable[str] = ()) -> list[str]:
    """Unique, non-empty names for the input's columns, none equal to a reserved name."""
    taken = set(reserved)
    names: list[str] = []
    for index, header in enumerate(headers):
        text = header.strip()
        name = text if text and text not in taken else ""
        if not name:
            letter = column_label(index)
            name = f"{text} (column {letter})" if text else f"column {letter}"
            while name in taken:  # a header literally called "column C" elsewhere
                name += "'"
        taken.add(name)
        names.append(name)
    return names


def results_frame(
    headers: Sequence[str],
    rows: Iterable[ResultRow],
    extra_columns: Sequence[ExtraColumn] = (),
) -> pl.DataFrame:
    """One row per Results row: the input cells (text), then the result columns, then the
    extra columns an option added (`--compare`)."""
    import polars as pl

    width = len(headers)
    extra_names = [c.name for c in extra_columns]
    names = column_names(headers, (*RESULT_COLUMNS, *extra_names))
    extras: list[list[Any]] = [[] for _ in extra_columns]
    cells: list[list[str]] = [[] for _ in range(width)]
    results: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
    for row in rows:
        texts, overflow = fit_cells(row.cells, width)
        for column, text in zip(cells, texts, strict=True):
            column.append(text)
        for name, values in results.items():
            values.append(_result_value(row, name, overflow))
        for i, values in enumerate(extras):
            values.append(row.extra[i] if i < len(row.extra) else None)
    series = [
        pl.Series(name, column, dtype=pl.String) for name, column in zip(names, cells, strict=True)
    ]
    for name, values in results.items():
        series.append(_typed(name, values))
    for extra, values in zip(extra_columns, extras, strict=True):
        series.append(_extra_series(extra, values))
    return pl.DataFrame(series)


def segments_frame(sheet: Sheet) -> pl.DataFrame:
    """The input as read: its row number, then every column as text (blank rows kept)."""
    import polars as pl

    names = column_names(sheet.headers, (ROW_COLUMN,))
    columns = [
        pl.Series(name, [row[i] for row in sheet.rows], dtype=pl.String)
        for i, name in enumerate(names)
    ]
    return pl.DataFrame([pl.Series(ROW_COLUMN, sheet.row_numbers, dtype=pl.Int64), *columns])


def _result_value(row: ResultRow, name: str, overflow: list[str]) -> Any:
    if name == "message":
        return row_message(row, overflow)  # ragged cells are kept in the message, as written
    if name == ROW_COLUMN and not hasattr(row, name):
        return row.row_number
    return getattr(row, name)


def _extra_series(column: ExtraColumn, values: list[Any]) -> pl.Series:
    import polars as pl

    kinds: dict[str, Any] = {
        "count": pl.Int64,
        "percent": pl.Float64,
        "datetime": pl.Datetime("us", "UTC"),
        "text": pl.String,
    }
    return pl.Series(column.name, values, dtype=kinds[column.kind], strict=False)


def _typed(name: str, values: list[Any]) -> pl.Series:
    import polars as pl

    known = {"Int64": pl.Int64, "Float64": pl.Float64}.get(_TYPES.get(name, ""))
    if known is not None:
        return pl.Series(name, values, dtype=known, strict=False)
    series = pl.Series(name, values, strict=False)
    return series.cast(pl.String) if series.dtype == pl.Null else series
