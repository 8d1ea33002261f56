"""`batchcount.read` and `batchcount.check` as functions over the same inputs as `count`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from batchcount.api.check import CheckReport, check_input
from batchcount.api.inputs import Columns, Data, input_options
from batchcount.api.options import RunOptions
from batchcount.api.userdata import chosen_store
from batchcount.plan.explode import DEFAULT_MAX_SEGMENTS
from batchcount.plan.prepare import read_input
from batchcount.store.age import parse_age

if TYPE_CHECKING:
    import polars as pl

__all__ = ["check", "read"]


def read(
    data: Data,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Columns = None,
    mapping: str | os.PathLike[str] | None = None,
    header_row: int | None = None,
) -> pl.DataFrame:
    """The segments as batchcount reads them, before any mapping or validation.

    Returns a polars DataFrame: `source_row` (the row number a message cites: the header
    is row 1, so the first data row is row 2), then every input column as text, exactly the
    text `check` and `count` work from (a workbook's 3.0 is "3", a DataFrame's date is
    "2024-01-10", a list cell is one value per line). Blank rows are kept. A blank header
    becomes "column C", a repeated one "Name (column D)".

    `data`: a path (.xlsx, .xlsm, .xls, .ods, .csv, .tsv, .txt), a polars or pandas
    DataFrame, or a list of dicts. `sheet` (name, or 1-based number) and `encoding` apply
    to files; `columns` / `mapping` (as in `count`) only help find a header row that sits
    below a title block. Raises InputFileError / UsageError with the command line's messages.
    """
    from batchcount.output.frame import segments_frame

    inputs = input_options(
        data,
        sheet=sheet,
        encoding=encoding,
        columns=columns,
        mapping=mapping,
        header_row=header_row,
    )
    return segments_frame(read_input(inputs))


def check(
    data: Data,
    *,
    mode: Literal["realtime", "database"] | None = None,
    price: float | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    columns: Columns = None,
    mapping: str | os.PathLike[str] | None = None,
    separator: str | Mapping[str, str] | None = None,
    allow_unknown: bool = False,
    header_row: int | None = None,
    explode: str | Sequence[str] = (),
    max_segments: int = DEFAULT_MAX_SEGMENTS,
    fill_down: str | Sequence[str] = (),
    include_hidden: bool = False,
    store: str | os.PathLike[str] | None = None,
    max_age: str | timedelta | None = None,
) -> CheckReport:
    """Read, map, validate and estimate `data`; makes no billable call (no network at all).

    Returns a `CheckReport`: `.ok`, `.estimate` (rows, valid, invalid, blank, duplicates,
    billable requests, price, cost), `.valid_rows` / `.invalid_rows` / `.blank_rows` (row
    numbers), `.problems` (a polars DataFrame: row, column, value, severity, message),
    `.results` (the Results layout of `batchcount check --report`), `.columns` (header ->
    API field), `.write(path)` (the --report workbook); `print(report)` shows what
    `batchcount check` prints. The price is `price`, else the list price ($0.04 realtime,
    $0 database): the account's own tier is read only by `count`. Segments already in the
    count store (live counts, younger than `max_age`; `store=` as `count`'s) are not billable,
    as `count` will reuse them.

    Same inputs and options as `count`. Raises InputFileError / UsageError with the command
    line's messages (e.g. no column maps to a filter).
    """
    inputs = input_options(
        data,
        sheet=sheet,
        encoding=encoding,
        columns=columns,
        mapping=mapping,
        separator=separator,
        mode=mode,
        allow_unknown=allow_unknown,
        header_row=header_row,
        explode=explode,
        max_segments=max_segments,
        fill_down=fill_down,
        include_hidden=include_hidden,
    )
    options = RunOptions(
        inputs=inputs,
        price=price,
        store=chosen_store(store) if store is not None else None,
        max_age=parse_age(max_age) if isinstance(max_age, str) else max_age,
    )
    return check_input(inputs, price, options)
