"""The raw grid of a sheet -> header + data rows with the sheet's own row numbers.

`header_index` picks the header row (first non-blank, best-scored below a title block,
`--header-row`, or none for a one-column list); `shape` cuts the grid into header and rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from batchcount.read.grid import Grid, set_cell
from batchcount.read.header import HeaderScore, best_header, forced_header, shorten
from batchcount.read.overlay import DisplayLater, Merged

HEADERLESS = "column A"  # the header given to a one-column list that has none
_MAX_EXTRA_SHOWN = 3


class Raw(NamedTuple):
    records: Sequence[list[str]]  # record i is spreadsheet row i + 1
    blank: list[bool]
    format: str
    sheet_name: str | None
    sheet_names: list[str]
    encoding: str | None
    delimiter: str | None
    notes: list[str]
    cell_problems: dict[tuple[int, int], str]  # (record index, column) -> problem
    merged: list[Merged]  # rows as record indexes
    hidden: frozenset[int] = frozenset()  # record indexes of hidden rows
    filtered: bool = False
    single_column: bool = False  # a text file with one value per line
    display_later: DisplayLater | None = None
    hidden_columns: frozenset[int] = frozenset()  # columns hidden in the sheet


def header_index(
    raw: Raw, score: HeaderScore | None, forced: int | None, name: str
) -> tuple[int, str]:
    """(record index of the header, how it was chosen); -1 for a one-column list without one."""
    if forced is not None:
        if forced == 0 and raw.single_column:
            return -1, "--header-row 0"
        return forced_header(raw.records, raw.blank, forced, name), "--header-row"
    first = raw.blank.index(False)
    if score is None:
        return first, "first"
    if raw.single_column and score(raw.records[first]) <= 0:
        return -1, "headerless"
    index, _ = best_header(raw.records, raw.blank, score)
    return index, ("scored" if index != first else "first")


def show_as_displayed(raw: Raw, header: int, score: HeaderScore | None) -> None:
    """Dates and percentages as the sheet shows them, in the columns that will be sent: the
    header cells the scorer recognises (all number columns without a scorer). Other columns
    keep calamine's text; finding formats costs a pass over the sheet's cells."""
    if raw.display_later is None:
        return
    columns = set(range(len(raw.records[0])))  # a workbook's rows all have the frame's width
    if score is not None and header >= 0:
        cells = raw.records[header]
        columns = {
            c for c in columns if c < len(cells) and cells[c].strip() and score([cells[c]]) > 0
        }
    if not columns:
        return
    for (row, col), text in raw.display_later(columns).items():
        if row < len(raw.records) and col < len(raw.records[row]):
            set_cell(raw.records, row, col, text)
            if text.strip():
                raw.blank[row] = False


def hidden_note(hidden: frozenset[int], filtered: bool) -> str:
    rows = sorted(hidden)
    shown = ", ".join(str(r) for r in rows[:8]) + (", ..." if len(rows) > 8 else "")
    what = "hidden or filtered out by the autofilter" if filtered else "hidden"
    many = len(rows) != 1
    verb = "are" if many else "is"
    return f"{len(rows)} data row{'s' * many} {verb} {what} (row{'s' * many} {shown})"


def shape(
    records: Sequence[list[str]], blank: list[bool], header_index: int
) -> tuple[int, list[str], Sequence[list[str]], list[int], dict[int, str]]:
    """Header = record `header_index` (-1: none, a one-column list); data = the records after
    it, trailing blanks dropped.

    Returns (header index, headers, rows, row numbers, problems); record i is row i + 1.
    """
    last = len(blank) - 1 - blank[::-1].index(False)
    headers = list(records[header_index]) if header_index >= 0 else [HEADERLESS]
    width = _trimmed_width(records, blank, header_index, last, headers)
    headers = headers[:width]
    if isinstance(records, Grid):  # a workbook: every record has the sheet's width
        return (
            header_index,
            headers,
            records.window(header_index + 1, last + 1, width),
            [i + 1 for i in range(header_index + 1, last + 1)],
            {},
        )
    rows: list[list[str]] = []
    numbers: list[int] = []
    problems: dict[int, str] = {}
    empty = [""] * width
    for i in range(header_index + 1, last + 1):
        record = records[i]
        size = len(record)
        if blank[i]:
            rows.append(list(empty))
        elif size == width:
            rows.append(record)
        elif size < width:
            rows.append(record + empty[size:])
        else:
            extra = [c for c in record[width:] if c.strip()]
            if extra:
                problems[i + 1] = _ragged_message(i + 1, record, width, extra)
            rows.append(record[:width])
        numbers.append(i + 1)
    return header_index, headers, rows, numbers, problems


def _trimmed_width(
    records: Sequence[list[str]],
    blank: list[bool],
    header_index: int,
    last: int,
    headers: list[str],
) -> int:
    """Drop trailing columns with a blank header and no data at all (e.g. "a,b,c," lines)."""
    width = len(headers)
    if width == 0 or headers[-1].strip():
        return width  # the common case costs nothing
    keep = width
    while keep > 0 and not headers[keep - 1].strip():
        keep -= 1
    for i in range(header_index + 1, last + 1):
        if blank[i]:
            continue
        record = records[i]
        end = min(len(record), width)
        while end > keep and not record[end - 1].strip():
            end -= 1
        keep = end
        if keep == width:
            break
    return keep


def _ragged_message(row: int, record: list[str], width: int, extra: list[str]) -> str:
    used = len(record)
    while used > width and not record[used - 1].strip():
        used -= 1
    shown = ", ".join(repr(c if len(c) <= 40 else c[:37] + "...") for c in extra[:_MAX_EXTRA_SHOWN])
    if len(extra) > _MAX_EXTRA_SHOWN:
        shown += ", ..."
    return (
        f"row {row} has {used} cells but the header has {width} (extra: {shown}); "
        "a list inside a cell may need quotes, or the delimiter is wrong"
    )


def shape_notes(
    header_index: int,
    how: str,
    raw: Raw,
    rows: Sequence[list[str]],
    numbers: list[int],
    problems: dict[int, str],
) -> list[str]:
    notes: list[str] = []
    above = "row 1" if header_index == 1 else f"rows 1-{header_index}"
    if header_index < 0:
        line = raw.records[raw.blank.index(False)]
        why = (
            "--header-row 0"
            if how.startswith("--")
            else f"its first line {shorten(line[0])} is not a field name"
        )
        notes.append(
            f"no header row ({why}): every line is a value of {HEADERLESS!r}; to name the "
            f'field add a first line such as "Job Titles", or pass --map "{HEADERLESS}=job_titles"'
        )
    elif how == "--header-row":
        notes.append(f"header: row {header_index + 1} (from --header-row)")
    elif how == "scored":
        notes.append(
            f"header: row {header_index + 1} ({above} {'is a' if header_index == 1 else 'are a'} "
            f"title block, not read as data; --header-row N chooses another row)"
        )
    elif header_index:
        notes.append(f"header on row {header_index + 1} ({above} above it not read as data)")
    else:
        notes.append("header: row 1")
    if not rows:
        notes.append("no data rows below the header")
    else:
        # rows of only empty or whitespace cells, as the plan counts them blank
        blank_rows = sum(raw.blank[header_index + 1 : header_index + 1 + len(rows)])
        span = f"row {numbers[0]}" if len(rows) == 1 else f"rows {numbers[0]}-{numbers[-1]}"
        text = f"{len(rows)} data row{'s' * (len(rows) != 1)} ({span})"
        if blank_rows:
            text += f", {blank_rows} of them blank"
        notes.append(text)
    if problems:
        first = ", ".join(str(r) for r in list(problems)[:5])
        more = ", ..." if len(problems) > 5 else ""
        many = len(problems) != 1
        notes.append(
            f"{len(problems)} row{'s' * many} {'have' if many else 'has'} more cells than the "
            f"header (row{'s' * many} {first}{more})"
        )
    return notes
