"""`read.grid.Grid`: a workbook's rows kept as columns behave as the list of row lists they
stand for (indexing, slicing, iteration, equality), and writes reach every view."""

from __future__ import annotations

import pytest

from batchcount.read.grid import Grid, column_of, set_cell


def _grid() -> Grid:
    return Grid([["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"], ["", "", "c3", ""]])


def test_rows_are_built_as_lists() -> None:
    grid = _grid()
    rows = [["a1", "b1", ""], ["a2", "b2", ""], ["a3", "b3", "c3"], ["a4", "b4", ""]]
    assert len(grid) == 4 and grid.width == 3
    assert grid == rows and list(grid) == rows
    assert grid[0] == rows[0] and grid[-1] == rows[-1]
    assert grid[1:3] == rows[1:3] and grid[::-2] == rows[::-2]
    with pytest.raises(IndexError):
        grid[4]
    assert grid != rows[:3] and grid != [*rows[:3], ["x", "b4", ""]]


def test_a_window_cuts_rows_and_width_and_shares_writes() -> None:
    grid = _grid()
    window = grid.window(1, 3, 2)  # rows 2-3, first two columns
    assert window == [["a2", "b2"], ["a3", "b3"]]
    assert window.column(1) == ["b2", "b3"] and column_of(window, 5) == ["", ""]
    set_cell(window, 0, 1, "B2")
    assert grid[1] == ["a2", "B2", ""]
    row = window[0]
    row[0] = "lost"  # a row handed out is a copy: writes go through set_cell
    assert window[0] == ["a2", "B2"]


def test_set_cell_on_plain_lists() -> None:
    rows = [["a", "b"]]
    set_cell(rows, 0, 1, "B")
    assert rows == [["a", "B"]] and column_of(rows, 1) == ["B"] and column_of(rows, 3) == [""]
