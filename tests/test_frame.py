"""In-memory tables read as a sheet (read/frame.py), and the Results table as a frame."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from decimal import Decimal

import numpy as np
import pandas as pd
import polars as pl
import pytest

from batchcount.errors import InputFileError, UsageError
from batchcount.output.columns import RESULT_COLUMNS, ResultRow
from batchcount.output.frame import column_names, results_frame
from batchcount.read.frame import cell_text, sheet_from_data


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  CTO ", "  CTO "),
        (3, "3"),
        (3.0, "3"),  # as a workbook shows a whole number
        (2.5, "2.5"),
        (1e-05, "0.00001"),
        (1e20, "100000000000000000000"),
        (float("nan"), ""),
        (True, "true"),
        (False, "false"),
        (Decimal("1.50"), "1.5"),
        (dt.date(2024, 1, 10), "2024-01-10"),
        (dt.datetime(2024, 1, 10, 13, 5), "2024-01-10 13:05:00"),
        (dt.time(9, 30), "09:30:00"),
        (["CTO", "CIO"], "CTO\nCIO"),  # line breaks always separate values
        (("a", None, "b"), "a\nb"),
        ({"min": 500}, '{"min": 500}'),
        ([["Ana", "CTO"]], '[["Ana", "CTO"]]'),  # personas: JSON text
        (b"caf\xc3\xa9", "café"),
        (np.int64(7), "7"),
        (np.float64(7.0), "7"),
        (np.bool_(True), "true"),
        (pd.NA, ""),
        (pd.NaT, ""),
        (pd.Timestamp("2024-01-10"), "2024-01-10 00:00:00"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_polars_frame_keeps_every_row_with_sheet_numbers() -> None:
    frame = pl.DataFrame(
        {
            "Job Titles": ["CTO", None, None],
            "n": [1, None, 3],
            "when": [dt.date(2024, 1, 10), None, None],
            "tags": [["a", "b"], None, []],
        }
    )
    sheet = sheet_from_data(frame)
    assert sheet.headers == ["Job Titles", "n", "when", "tags"]
    assert sheet.rows == [["CTO", "1", "2024-01-10", "a\nb"], ["", "", "", ""], ["", "3", "", ""]]
    assert sheet.row_numbers == [2, 3, 4] and sheet.header_row == 1
    assert sheet.path.name == "polars DataFrame" and sheet.format == "polars"
    assert "3 data rows (rows 2-4), 1 of them blank" in sheet.notes
    assert sheet_from_data(frame.lazy()).rows == sheet.rows  # a LazyFrame is collected


def test_pandas_index_columns_and_duplicates() -> None:
    frame = pd.DataFrame({"Segment": ["a", "b"], "Job Titles": ["CTO", "CEO"]})
    assert sheet_from_data(frame).headers == ["Segment", "Job Titles"]  # RangeIndex: not data
    named = sheet_from_data(frame.set_index("Segment"))
    assert named.headers == ["Segment", "Job Titles"] and named.rows[1] == ["b", "CEO"]
    filtered = sheet_from_data(frame[frame["Segment"] == "b"])  # index 1: still row 2
    assert filtered.rows == [["b", "CEO"]] and filtered.row_numbers == [2]
    twice = pd.DataFrame([["CTO", "CFO"]], columns=["Title", "Title"])
    assert sheet_from_data(twice).rows == [["CTO", "CFO"]]
    multi = pd.DataFrame([["CTO"]], columns=pd.MultiIndex.from_tuples([("Job", "Titles")]))
    assert sheet_from_data(multi).headers == ["Job Titles"]
    assert sheet_from_data(pd.DataFrame({1: ["x"]})).headers == ["1"]


def test_records_union_of_keys_in_first_seen_order() -> None:
    sheet = sheet_from_data([{"b": 1}, {"a": 2, "b": None}])
    assert sheet.headers == ["b", "a"] and sheet.rows == [["1", ""], ["", "2"]]


def test_what_cannot_be_read() -> None:
    with pytest.raises(UsageError, match="cannot read a str as segments"):
        sheet_from_data("not a table")
    with pytest.raises(InputFileError, match="has no columns"):
        sheet_from_data(pl.DataFrame())
    with pytest.raises(UsageError, match="cannot read a set as segments"):
        sheet_from_data({"a", "b"})
    with pytest.raises(InputFileError, match="is empty"):
        sheet_from_data([])


def test_column_names_are_unique_and_never_a_result_column() -> None:
    names = column_names(["Title", "", "Title", "status", "column B"], RESULT_COLUMNS)
    assert names == [
        "Title",
        "column B",
        "Title (column C)",
        "status (column D)",
        "column B (column E)",
    ]


def test_results_frame_takes_every_result_column_from_the_row() -> None:
    row = ResultRow(
        row_number=2,
        cells=["CTO", "Germany", "overflow"],
        results_count=120,
        status="ok",
        amount_charged=0.04,
        message="counted",
        request='{"job_titles": ["CTO"]}',
    )
    frame = results_frame(["Job Titles", "Locations"], [row])
    assert frame.columns == ["Job Titles", "Locations", *RESULT_COLUMNS]
    values = frame.row(0, named=True)
    attributes = {f.name for f in fields(ResultRow)}
    for name in RESULT_COLUMNS:  # a new result column needs a ResultRow field of its name
        if name == "message":
            assert values[name] == "counted [cells beyond the last header: overflow]"
        elif name in attributes:
            assert values[name] == getattr(row, name), name
        else:
            assert name == "source_row" and values[name] == row.row_number
    empty = results_frame(["Job Titles"], [])
    assert empty.height == 0 and empty.schema["results_count"] == pl.Int64
    assert empty.schema["status"] == pl.String
