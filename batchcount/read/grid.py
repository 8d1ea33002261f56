"""A workbook sheet's rows kept as the columns calamine gives: row i is built when asked.

A 100k x 15 sheet arrives from calamine column by column; turning it into 100k row lists cost
about a tenth of a second of `check`, which needs whole rows only for a few (messages, rows
checked one by one) and reads the sent columns whole (`column_of`). Writes go to the columns
(`set_cell`): a row list handed out is a copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload


class Grid(Sequence[list[str]]):
    """Rows `start`..`stop` of equal-length `columns`, each row cut to `width` cells."""

    def __init__(
        self,
        columns: list[list[str]],
        start: int = 0,
        stop: int | None = None,
        width: int | None = None,
    ) -> None:
        height = len(columns[0]) if columns else 0
        self._columns = columns[: len(columns) if width is None else width]
        self._start = start
        self._stop = height if stop is None else min(stop, height)

    @property
    def width(self) -> int:
        """Cells in every row."""
        return len(self._columns)

    def __len__(self) -> int:
        return max(0, self._stop - self._start)

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...
    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("row index out of range")
        at = self._start + i
        return [column[at] for column in self._columns]

    def __iter__(self) -> Iterator[list[str]]:
        columns = [c[self._start : self._stop] for c in self._columns]
        return map(list, zip(*columns, strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the list it stands for

    def __repr__(self) -> str:
        return f"Grid({len(self)} rows x {self.width} columns)"

    def column(self, index: int) -> list[str]:
        """The cells of column `index` in these rows (a copy)."""
        return self._columns[index][self._start : self._stop]

    def set(self, row: int, column: int, text: str) -> None:
        self._columns[column][self._start + row] = text

    def window(self, start: int, stop: int, width: int) -> Grid:
        """Rows `start`..`stop` (of these), cut to `width` cells."""
        return Grid(self._columns, self._start + start, self._start + stop, width)


def column_of(rows: Sequence[Sequence[str]], index: int) -> list[str]:
    """Column `index` of `rows` ("" where a row is shorter)."""
    if isinstance(rows, Grid) and index < rows.width:
        return rows.column(index)
    return [r[index] if index < len(r) else "" for r in rows]


def set_cell(rows: Sequence[list[str]], row: int, column: int, text: str) -> None:
    if isinstance(rows, Grid):
        rows.set(row, column, text)
    else:
        rows[row][column] = text
