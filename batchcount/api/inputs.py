"""The Python API's `data` and reader keywords as the command line's input options."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from batchcount.errors import UsageError
from batchcount.plan.explode import DEFAULT_MAX_SEGMENTS
from batchcount.plan.prepare import InputOptions
from batchcount.read.frame import describe, is_table

__all__ = ["Columns", "Data", "input_options"]

# A polars or pandas DataFrame, a list of dicts, or the path of a spreadsheet file.
Data = object
# {"Persona": "job_titles", "Notes": None} or ["Persona=job_titles", "Notes="] (as --map)
Columns = Mapping[str, str | None] | Sequence[str] | str | None

_MODES = ("realtime", "database")


def input_options(
    data: Data,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Columns = None,
    mapping: str | os.PathLike[str] | None = None,
    separator: str | Mapping[str, str] | None = None,
    mode: str | None = None,
    allow_unknown: bool = False,
    header_row: int | None = None,
    explode: str | Sequence[str] = (),
    max_segments: int = DEFAULT_MAX_SEGMENTS,
    fill_down: str | Sequence[str] = (),
    include_hidden: bool = False,
) -> InputOptions:
    """InputOptions for a file path or an in-memory table; usage errors before any reading.

    As the command line's options: `separator` is one text for every column, or a mapping
    {column: text} (`--separator "COLUMN=TEXT"`); `explode` and `fill_down` take a column
    or a list of columns; `header_row` (files only), `max_segments`, `include_hidden`."""
    if mode is not None and mode not in _MODES:
        raise UsageError(f"mode={mode!r}: use 'realtime' (paid, live data) or 'database' (free).")
    per_column: tuple[str, ...] = ()
    if isinstance(separator, Mapping):
        per_column = tuple(f"{column}={text}" for column, text in separator.items())
        separator = None
    shared: dict[str, Any] = {
        "maps": _maps(columns),
        "mapping_file": Path(mapping).expanduser() if mapping is not None else None,
        "separator": separator,
        "mode": mode,
        "allow_unknown": bool(allow_unknown),
        "column_separators": per_column,
        "explode": _names(explode),
        "max_segments": max_segments,
        "fill_down": _names(fill_down),
        "include_hidden": bool(include_hidden),
    }
    if is_table(data):
        name = describe(data)
        for given, option in ((sheet, "sheet"), (encoding, "encoding"), (header_row, "header_row")):
            if given is not None:
                raise UsageError(f"{option}= applies to spreadsheet files; a {name} has none.")
        return InputOptions(path=Path(name), data=data, **shared)
    if isinstance(data, (str, os.PathLike)):
        path = Path(data).expanduser()
        chosen = None if sheet is None else str(sheet)  # sheet=2: the second sheet, as --sheet 2
        return InputOptions(
            path=path, sheet=chosen, encoding=encoding, header_row=header_row, **shared
        )
    raise UsageError(
        f"cannot read a {type(data).__name__} as segments: pass a polars or pandas DataFrame, "
        "a list of dicts (one per segment), or the path of a spreadsheet file."
    )


def _names(given: str | Sequence[str]) -> tuple[str, ...]:
    return (given,) if isinstance(given, str) else tuple(given)


def _maps(columns: Columns) -> tuple[str, ...]:
    if columns is None:
        return ()
    if isinstance(columns, str):
        return (columns,)
    if isinstance(columns, Mapping):
        return tuple(f"{header}={field or ''}" for header, field in columns.items())
    return tuple(str(c) for c in columns)
