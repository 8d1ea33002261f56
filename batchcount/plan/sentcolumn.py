"""Sent columns as the columnar check sees them: each distinct cell's entry and, per row, which
entry its cell is; what rows get from them as vectors (messages, segments); and a polars
Series read as a list on demand."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, overload

import polars as pl

from batchcount.plan.distinct import MESSAGE, ColumnCells, Entry
from batchcount.plan.fingerprints import members_text
from batchcount.plan.mapping import ColumnMap
from batchcount.plan.rows import RowCheck


class SentColumn:
    """One sent column: its distinct cells' entries and, per row, the id of its entry."""

    def __init__(self, index: int, name: str, texts: list[str], cells: ColumnCells) -> None:
        self.index, self.name = index, name
        column = pl.Series(texts, dtype=pl.String)
        distinct = column.unique()
        self.entries: list[Entry] = [cells.entry(t) for t in distinct.to_list()]
        self.messages = any(e.flags & MESSAGE for e in self.entries)
        ids = pl.int_range(0, distinct.len(), dtype=pl.UInt32, eager=True)
        self.id_series = column.replace_strict(distinct, ids, return_dtype=pl.UInt32)
        self._ids: list[int] | None = None
        self.texts: Sequence[str] = texts

    @property
    def ids(self) -> list[int]:
        """Per row, the index of its cell's entry (built when a row check is asked for)."""
        if self._ids is None:
            self._ids = self.id_series.to_list()
        return self._ids

    def spread(self, values: list[Any], dtype: Any) -> pl.Series:
        """One value per entry, spread over the rows."""
        return pl.Series(values, dtype=dtype).gather(self.id_series)


class AsList(Sequence[Any]):
    """A polars Series read as a list, converted on first use (check never needs it)."""

    def __init__(self, series: pl.Series) -> None:
        self._series = series
        self._list: list[Any] | None = None

    def __len__(self) -> int:
        return self._series.len()

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if self._list is None:
            self._list = self._series.to_list()
        return self._list[i]


def with_messages(cols: list[SentColumn], n: int) -> pl.Series:
    out = pl.repeat(False, n, eager=True)
    for c in cols:
        if c.messages:
            out = out | c.spread([bool(e.flags & MESSAGE) for e in c.entries], pl.Boolean)
    return out


def message_count(cols: list[SentColumn], vector: pl.Series, kind: str) -> int:
    total = 0
    for c in cols:
        if c.messages:
            counts = [len(getattr(e, kind)) for e in c.entries]
            total += int(c.spread(counts, pl.UInt32).filter(vector).sum())
    return total


def segments(
    cols: list[SentColumn],
    constants: dict[str, Entry],
    columns: ColumnMap,
    valid: pl.Series,
    checks: dict[int, RowCheck],
    n: int,
) -> tuple[pl.Series, dict[Hashable, int], pl.Series]:
    """(group per row, first row of each group, fingerprint text per row) for valid rows.

    The text is every body member joined in field order (`fingerprints.members_text`): equal
    texts are one segment, and the fingerprint is the hash of that text.
    """
    pieces: dict[str, pl.Series | str] = {
        c.name: c.spread([e.member for e in c.entries], pl.String) for c in cols
    }
    for name, entry in constants.items():
        if name not in columns.fields.values() and entry.member is not None:
            pieces[name] = entry.member
    parts = [pl.lit(piece) for _, piece in sorted(pieces.items())]
    text = pl.select(pl.concat_str(parts, separator=",", ignore_nulls=True)).to_series()
    if text.len() != n:  # constants only: the same text on every row
        text = pl.repeat(text[0], n, eager=True)
    text = text.zip_with(valid, pl.repeat(None, n, dtype=pl.String, eager=True))
    one_by_one = {
        i: members_text(c.body) for i, c in checks.items() if c.status == "valid" and c.body
    }
    if one_by_one:
        text = text.scatter(list(one_by_one), list(one_by_one.values()))
    codes = text.cast(pl.Categorical).to_physical()
    firsts = (codes.is_first_distinct() & codes.is_not_null()).arg_true()
    first_index: dict[Hashable, int] = dict(
        zip(codes.gather(firsts).to_list(), firsts.to_list(), strict=True)
    )
    return codes, first_index, text
