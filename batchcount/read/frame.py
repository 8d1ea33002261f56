"""In-memory tables (a polars or pandas DataFrame, a list of dicts) as the same header + text
rows a spreadsheet file gives, so everything after reading cannot tell them apart.

Row numbers are a spreadsheet's: the header is row 1, the table's first row is row 2. Every
row is kept, blank ones included, so output row i is input row i. Cells become the text the
file reader would give for the same value in a workbook: 3 and 3.0 are "3", True is "true",
a date is "2024-01-10", a datetime "2024-01-10 13:05:00", a missing value (None, NaN, NaT,
pd.NA, null) is empty. A list cell becomes one value per line (line breaks always separate
values, whatever the separator), a dict or a list of lists becomes JSON text.

Neither polars nor pandas is imported here unless the data is one of theirs: pandas is never
a dependency, and no pyarrow is needed (values are read column by column as Python objects).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from batchcount.errors import InputFileError, UsageError
from batchcount.read.sheet import Sheet

__all__ = ["cell_text", "describe", "is_table", "sheet_from_data"]

_MISSING_TYPES = {"NAType", "NaTType", "NoneType"}  # pandas.NA, pandas.NaT, None


def is_table(data: object) -> bool:
    """True for what `sheet_from_data` reads (a DataFrame or a list of dicts), not a path."""
    return _kind(data) is not None


def describe(data: object) -> str:
    """How messages name the data: 'polars DataFrame', 'pandas DataFrame', 'list of dicts'."""
    return {"polars": "polars DataFrame", "pandas": "pandas DataFrame"}.get(
        _kind(data) or "", "list of dicts"
    )


def sheet_from_data(data: object) -> Sheet:
    """Turn a polars/pandas DataFrame or a list of dicts into a `Sheet` (row 2 = first row)."""
    kind = _kind(data)
    if kind == "polars":
        headers, columns = _polars_columns(data)
    elif kind == "pandas":
        headers, columns = _pandas_columns(data)
    elif kind == "records":
        headers, columns = _record_columns(data)  # type: ignore[arg-type]
    else:
        raise UsageError(
            f"cannot read a {type(data).__name__} as segments: pass a polars or pandas "
            "DataFrame, a list of dicts (one per segment), or the path of a spreadsheet file."
        )
    name = describe(data)
    if not headers:
        raise InputFileError(
            f"the {name} has no columns; give it a column per filter (Job Titles, Locations, ...)"
        )
    height = len(columns[0]) if columns else 0
    rows = [list(cells) for cells in zip(*columns, strict=True)] if height else []
    numbers = list(range(2, height + 2))
    blank = sum(1 for row in rows if not "".join(row).strip())
    notes = [
        f"A {name}: {height} rows x {len(headers)} columns (its first row is row 2, as in a "
        "sheet whose header is row 1)"
    ]
    if height:
        span = "row 2" if height == 1 else f"rows 2-{height + 1}"
        text = f"{height} data row{'s' * (height != 1)} ({span})"
        notes.append(text + (f", {blank} of them blank" if blank else ""))
    else:
        notes.append("no data rows")
    return Sheet(
        path=Path(name),
        format=kind or "records",
        sheet_name=None,
        sheet_names=[],
        encoding=None,
        delimiter=None,
        header_row=1,
        headers=headers,
        rows=rows,
        row_numbers=numbers,
        row_problems={},
        notes=notes,
    )


def _kind(data: object) -> str | None:
    for cls in type(data).__mro__:  # subclasses too (a GeoDataFrame is a pandas DataFrame)
        library = cls.__module__.split(".")[0]
        if library == "polars" and cls.__name__ in ("DataFrame", "LazyFrame"):
            return "polars"
        if library == "pandas" and cls.__name__ in ("DataFrame", "Series"):
            return "pandas"
    if isinstance(data, (list, tuple)) and all(isinstance(r, Mapping) for r in data):
        return "records"
    return None


def _polars_columns(data: Any) -> tuple[list[str], list[list[str]]]:
    import polars as pl

    if isinstance(data, pl.LazyFrame):
        data = data.collect()
    if not isinstance(data, pl.DataFrame):
        raise UsageError(f"cannot read a polars {type(data).__name__}: pass a DataFrame")
    columns: list[list[str]] = []
    for series in data.get_columns():
        if series.dtype == pl.String:  # the common case: no per-value work
            columns.append(series.fill_null("").to_list())
        elif series.dtype.is_integer():
            columns.append(series.cast(pl.String).fill_null("").to_list())
        else:
            columns.append([cell_text(v) for v in series.to_list()])
    return [str(c) for c in data.columns], columns


def _pandas_columns(data: Any) -> tuple[list[str], list[list[str]]]:
    pd = sys.modules["pandas"]
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"cannot read a pandas {type(data).__name__}: pass a DataFrame")
    if any(name is not None for name in data.index.names):
        data = data.reset_index()  # a named index is data (e.g. set_index("Segment"))
    headers = [_pandas_header(c) for c in data.columns]
    # .iloc by position: duplicate column names stay separate columns; tolist() hands over
    # Python objects (numpy ints -> int, datetime64 -> Timestamp), so no pyarrow is needed.
    columns = [[cell_text(v) for v in data.iloc[:, i].tolist()] for i in range(data.shape[1])]
    return headers, columns


def _pandas_header(name: object) -> str:
    if isinstance(name, tuple):  # MultiIndex columns: ("Company", "Size") -> "Company Size"
        return " ".join(cell_text(part) for part in name if cell_text(part))
    return cell_text(name)


def _record_columns(records: Sequence[Mapping[Any, Any]]) -> tuple[list[str], list[list[str]]]:
    if not records:
        raise InputFileError(
            "the list of dicts is empty; give one dict per segment, e.g. "
            '[{"Job Titles": "CTO", "Locations": "Germany"}]'
        )
    keys: dict[Any, None] = {}  # every key in first-seen order: rows may differ
    for record in records:
        keys.update(dict.fromkeys(record))
    headers = [cell_text(k) for k in keys]
    columns = [[cell_text(record.get(k)) for record in records] for k in keys]
    return headers, columns


def cell_text(value: Any) -> str:
    """A Python value as the text a spreadsheet cell holding it reads as."""
    if value is None or type(value).__name__ in _MISSING_TYPES:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return "" if value.is_nan() else format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return json.dumps(_plain(value), ensure_ascii=False)
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return cell_text(value.tolist())  # a numpy scalar or array: its Python value
    if isinstance(value, (list, tuple, set, frozenset)) or _is_polars_series(value):
        items = list(value) if not isinstance(value, (set, frozenset)) else sorted(value, key=str)
        if any(isinstance(i, (list, tuple, Mapping)) for i in items):
            return json.dumps(_plain(items), ensure_ascii=False)  # personas: [[...], ...]
        return "\n".join(t for t in (cell_text(i) for i in items) if t)
    try:
        if value != value:  # NaN-like objects of other libraries
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ""
    if value.is_integer():  # 3.0 -> "3", as a workbook shows a whole number
        return str(int(value))
    text = repr(value)
    if "e" in text:  # 1e-05 -> "0.00001"
        text = format(Decimal(text), "f")
    return text


def _is_polars_series(value: object) -> bool:
    return type(value).__module__.split(".")[0] == "polars" and hasattr(value, "to_list")


def _plain(value: Any) -> Any:
    """JSON-ready copy: nested containers as lists/dicts, other values as their cell text,
    numbers kept as numbers (a personas cell is JSON the API reads)."""
    if isinstance(value, Mapping):
        return {cell_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)) or _is_polars_series(value):
        return [_plain(v) for v in (value.to_list() if _is_polars_series(value) else value)]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return _plain(value.tolist())
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return cell_text(value)
