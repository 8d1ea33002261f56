"""The rows the columnar check cannot settle by columns alone (reader problems, two company
anchors, no filter...): checked one by one, as the reference check does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from batchcount.plan.mapping import ColumnMap
from batchcount.plan.rows import RowCheck, RowOptions, check_rows

__all__ = ["one_by_one"]


def one_by_one(
    indexes: list[int],
    rows: Sequence[Sequence[str]],
    row_numbers: Sequence[int],
    headers: Sequence[str],
    columns: ColumnMap,
    options: RowOptions,
    problems: Mapping[int, str],
    texts: Mapping[int, Sequence[str]],
) -> dict[int, RowCheck]:
    if not indexes:
        return {}
    cells: list[Sequence[str]] = []
    for i in indexes:
        row = rows[i]
        if texts:
            row = list(row) + [""] * max(0, max(texts) + 1 - len(row))
            for index, column in texts.items():
                row[index] = column[i]
        cells.append(row)
    numbers = [row_numbers[i] for i in indexes]
    found = check_rows(numbers, cells, headers, columns, options, problems)
    return dict(zip(indexes, found, strict=True))
