"""Why whole rows cannot be sent, as the reader and the merged cells tell (no values
checked): the reader's own problems, sent cells that read as empty or as an error although
Excel shows something, and values under a header merged over several columns."""

from __future__ import annotations

from batchcount.plan.mapping import ColumnMap, header_label
from batchcount.read.grid import column_of
from batchcount.read.overlay import Merged
from batchcount.read.sheet import Sheet, column_label
from batchcount.shown import shown


def row_problems(sheet: Sheet, columns: ColumnMap) -> dict[int, str]:
    """The reader's row problems, plus cells of sent columns that read as empty or as an
    error although Excel shows something (uncalculated formula, #N/A, merged cells): sending
    such a row would silently drop or garble a filter."""
    if not sheet.cell_problems and not sheet.merged:
        return sheet.row_problems
    found: dict[int, list[str]] = {}
    for (row, col), text in sorted(sheet.cell_problems.items()):
        if col in columns.fields:
            found.setdefault(row, []).append(f"{_cell_name(sheet, row, col)} {text}")
    if sheet.merged and sheet.row_numbers:
        first, last = sheet.row_numbers[0], sheet.row_numbers[-1]
        for col in sorted(columns.fields):
            covering = sorted(m for m in sheet.merged if m.first_col <= col <= m.last_col)
            done = first - 1  # rows up to here are already reported for this column
            for merge in covering:  # overlapping ranges (hostile files) cost no extra rows
                start = max(merge.first_row, first, done + 1)
                for row in range(start, min(merge.last_row, last) + 1):
                    if (row, col) == (merge.first_row, merge.first_col):
                        continue  # the top-left cell holds the value
                    if sheet.rows[row - first][col].strip():
                        continue
                    found.setdefault(row, []).append(
                        f"{_cell_name(sheet, row, col)} is empty because it is part of the "
                        f"merged cells {merge.ref} (only the first cell holds the value); "
                        "unmerge them and fill the value down into every row"
                    )
                done = max(done, min(merge.last_row, last))
    for row, text in _under_merged_headers(sheet, columns).items():
        found.setdefault(row, []).append(text)
    merged = dict(sheet.row_problems)
    for row, texts in found.items():
        merged[row] = "; ".join([*([merged[row]] if row in merged else []), *texts])
    return merged


def _under_merged_headers(sheet: Sheet, columns: ColumnMap) -> dict[int, str]:
    """Values under a sent header merged over several columns ("Locations" over B:C): only
    the first column is sent, so a value in another one would be dropped without a word."""
    found: dict[int, str] = {}
    header, width = sheet.header_row, len(sheet.headers)
    under: dict[int, Merged] = {}  # unsent column -> the sent header merged over it
    for merge in sheet.merged:  # a hostile file may declare thousands: each column once
        # a header cell merged across columns ends on the header row (it may start above)
        if merge.last_row != header or merge.first_col not in columns.fields:
            continue
        for col in range(merge.first_col + 1, min(merge.last_col, width - 1) + 1):
            if col not in columns.fields:
                under.setdefault(col, merge)
    for col, merge in sorted(under.items()):
        first = column_label(merge.first_col)
        for i, text in enumerate(column_of(sheet.rows, col)):
            row = sheet.row_numbers[i]
            if text.strip() and row not in found:
                found[row] = (
                    f"cell {column_label(col)}{row} holds '{shown(text.strip())}' under the "
                    f"header '{header_label(sheet.headers, merge.first_col)}', which is merged "
                    f"over {merge.ref}: only column {first} is sent, so this value would be "
                    f"dropped; unmerge the header and put the values in column {first} "
                    f"separated by ';' (or give column {column_label(col)} a header of its own)"
                )
    return found


def _cell_name(sheet: Sheet, row: int, col: int) -> str:
    return f"cell {column_label(col)}{row} ({header_label(sheet.headers, col)})"
