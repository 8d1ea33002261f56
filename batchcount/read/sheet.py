"""Read a spreadsheet file into a header and rows of text cells, keeping its own row numbers.

Every cell comes back as text exactly as the spreadsheet shows it (no type inference), and
every data row keeps the row number Excel shows, so later messages can cite "row 7".
Text files (CSV/TSV/TXT) are decoded and split in `sheet_text`; workbooks (XLSX/XLSM/XLS)
are checked in `sheet_safety` and read through fastexcel (calamine) in `sheet_workbook`.
This module checks the file, chooses the reader and turns the raw grid into header + rows.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from batchcount.errors import InputFileError, UsageError
from batchcount.read.text import read_text

if TYPE_CHECKING:  # imported when a workbook is read: fastexcel + polars take ~0.1 s to load
    from batchcount.read.workbook import Merged

__all__ = ["Sheet", "column_label", "read_sheet"]

_TEXT_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "txt"}
_WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_EXTRA_SHOWN = 3


@dataclass(frozen=True)
class Sheet:
    path: Path
    format: str  # "xlsx", "xlsm", "xls", "csv", "tsv", "txt" (also "xlsb", "ods")
    sheet_name: str | None  # workbook sheet read; None for text files
    sheet_names: list[str]  # all sheet names (workbooks), [] for text
    encoding: str | None  # text files: "utf-8-sig", "utf-8", "utf-16", "cp1252", or --encoding
    delimiter: str | None  # text files: ",", ";", "\t"
    header_row: int  # spreadsheet row number of the header
    headers: list[str]  # header cells as written, "" for a blank header cell
    rows: list[list[str]]  # data rows, each exactly len(headers) cells; "" = empty cell
    row_numbers: list[int]  # spreadsheet row number of each data row
    row_problems: dict[int, str]  # row number -> problem that makes that row unusable
    notes: list[str]  # what was detected, in words (printed under "Detected")
    # (row number, column index) -> why the cell is not what Excel shows: a formula without a
    # saved value, an error (#N/A). The row is refused if that column is sent (workbooks only).
    cell_problems: dict[tuple[int, int], str] = field(default_factory=dict)
    # merged ranges with spreadsheet row numbers (columns 0-based): cells other than the
    # top-left one read as empty although Excel shows the value across the range
    merged: list[Merged] = field(default_factory=list)
    # sheet row numbers hidden or filtered out in Excel (xlsx): skipped unless --include-hidden
    hidden_rows: frozenset[int] = frozenset()


def column_label(index: int) -> str:
    """Excel column letters for a 0-based column index: 0 -> "A", 27 -> "AB"."""
    if index < 0:
        raise ValueError(f"column index must be >= 0, got {index}")
    label = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


def read_sheet(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
) -> Sheet:
    """Read `path` into header + text rows; raise InputFileError/UsageError with the fix.

    `is_header` lets the caller recognise the header row when a title or notes sit above it:
    the first of the first few non-blank rows it accepts is the header.
    """
    path = Path(path)
    if encoding is not None:
        _check_encoding_name(encoding)
    head = _read_head(path)
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        raw = _from_workbook(path, head, sheet, encoding)
    else:
        raw = _from_text(path, sheet, encoding)
    header_index, headers, rows, numbers, problems = _shape(raw.records, raw.blank, is_header)
    return Sheet(
        path=path,
        format=raw.format,
        sheet_name=raw.sheet_name,
        sheet_names=raw.sheet_names,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        header_row=header_index + 1,
        headers=headers,
        rows=rows,
        row_numbers=numbers,
        row_problems=problems,
        notes=raw.notes + _shape_notes(header_index, rows, numbers, problems),
        cell_problems={(r + 1, c): text for (r, c), text in raw.cell_problems.items()},
        merged=[m._replace(first_row=m.first_row + 1, last_row=m.last_row + 1) for m in raw.merged],
    )


class _Raw(NamedTuple):
    records: list[list[str]]  # record i is spreadsheet row i + 1
    blank: list[bool]
    format: str
    sheet_name: str | None
    sheet_names: list[str]
    encoding: str | None
    delimiter: str | None
    notes: list[str]
    cell_problems: dict[tuple[int, int], str]  # (record index, column) -> problem
    merged: list[Merged]  # rows as record indexes


def _from_workbook(path: Path, head: bytes, sheet: str | None, encoding: str | None) -> _Raw:
    from batchcount.read.safety import inspect_ole, inspect_zip
    from batchcount.read.workbook import read_workbook

    ext = path.suffix.lower()
    notes: list[str] = []
    if head.startswith(_OLE_MAGIC):
        fmt = inspect_ole(path, str(path), ext)
        matches = ext == ".xls"
    else:
        fmt = inspect_zip(path, str(path), ext)
        ooxml = {".xlsx", ".xlsm", ".xltx", ".xltm"}
        matches = ext in ooxml if fmt in {"xlsx", "xlsm"} else ext == f".{fmt}"
    if not matches:
        notes.append(_mismatch_note(path, ext, f"an Excel workbook ({fmt})"))
    if encoding is not None:
        notes.append("--encoding applies to text files only; ignored for this workbook")
    book = read_workbook(path, str(path), fmt, sheet, read_bytes=not matches)
    notes.extend(book.notes)
    if book.first_column:
        notes.append(
            f"the table starts in column {column_label(book.first_column)}; the columns "
            "before it are kept (empty) so column letters match Excel"
        )
    return _Raw(
        book.rows,
        book.blank,
        fmt,
        book.sheet,
        book.sheets,
        None,
        None,
        notes,
        book.cell_problems,
        book.merged,
    )


def _from_text(path: Path, sheet: str | None, encoding: str | None) -> _Raw:
    ext = path.suffix.lower()
    text = read_text(path, str(path), encoding, workbook_ext=ext in _WORKBOOK_EXTENSIONS)
    fmt = _TEXT_EXTENSIONS.get(ext) or ("tsv" if text.delimiter == "\t" else "csv")
    if ext in _TEXT_EXTENSIONS:
        notes = [f"{fmt.upper()} text file"]
    else:
        notes = [_mismatch_note(path, ext, "a text spreadsheet")]
    if sheet is not None:
        notes.append(f"--sheet {sheet!r} ignored: a text file has no sheets")
    notes.extend(text.notes)
    blank = [not any(c.strip() for c in record) for record in text.rows]
    if all(blank):
        raise InputFileError(
            f"{path} has no data (only blank lines); export the sheet again with its header row"
        )
    return _Raw(text.rows, blank, fmt, None, [], text.encoding, text.delimiter, notes, {}, [])


def _check_encoding_name(encoding: str) -> None:
    try:
        b"x".decode(encoding, "replace")  # unknown names and non-text codecs raise LookupError
    except LookupError:
        raise UsageError(
            f"unknown --encoding {encoding!r}; use a Python codec name such as utf-8, "
            "utf-8-sig, utf-16, cp1252 or latin-1 (or omit --encoding to detect it)"
        ) from None


def _read_head(path: Path) -> bytes:
    """Check the path is a readable, non-empty file and return its first bytes."""
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(_missing_message(path)) from None
    except OSError as exc:
        raise InputFileError(f"cannot open {name}: {exc.strerror or exc}; check the path") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(
            f"{name} is a folder, not a spreadsheet; give the path of the .xlsx or .csv file "
            "inside it"
        )
    if info.st_size == 0:
        raise InputFileError(
            f"{name} is empty (0 bytes); save the spreadsheet again and point to the saved file"
        )
    try:
        with path.open("rb") as handle:
            return handle.read(8)
    except PermissionError:
        raise InputFileError(
            f"cannot read {name}: permission denied; check the file's permissions, or close it "
            "in any program that locks it (Excel does on Windows) and try again"
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"cannot read {name}: {exc.strerror or exc}; copy the file to a local folder and "
            "try again"
        ) from None


def _missing_message(path: Path) -> str:
    message = f"{path} does not exist; check the spelling and the folder"
    parent = path.parent if str(path.parent) else Path(".")
    try:
        siblings = os.listdir(parent)
    except OSError:
        return message
    close = difflib.get_close_matches(path.name, siblings, n=3, cutoff=0.6)
    if close:
        message += " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    return message


def _mismatch_note(path: Path, ext: str, kind: str) -> str:
    what = f"extension {ext!r}" if ext else "no extension"
    return f"{path.name} has {what} but its content is {kind}; read it as such"


_HEADER_SEARCH = 10  # non-blank rows looked at for the header when a title sits above it


def _shape(
    records: list[list[str]],
    blank: list[bool],
    is_header: Callable[[list[str]], bool] | None = None,
) -> tuple[int, list[str], list[list[str]], list[int], dict[int, str]]:
    """Header = first non-blank record (or the first `is_header` accepts among the first few);
    data = the records after it, trailing blanks dropped.

    Returns (header index, headers, rows, row numbers, problems); record i is row i + 1.
    """
    header_index = blank.index(False)
    if is_header is not None and not is_header(records[header_index]):
        candidates = [i for i, b in enumerate(blank) if not b][:_HEADER_SEARCH]
        header_index = next((i for i in candidates if is_header(records[i])), header_index)
    last = len(blank) - 1 - blank[::-1].index(False)
    headers = list(records[header_index])
    width = _trimmed_width(records, blank, header_index, last, headers)
    headers = headers[:width]
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
    records: list[list[str]], blank: list[bool], header_index: int, last: int, headers: list[str]
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


def _shape_notes(
    header_index: int, rows: list[list[str]], numbers: list[int], problems: dict[int, str]
) -> list[str]:
    notes: list[str] = []
    if header_index:
        above = "row 1" if header_index == 1 else f"rows 1-{header_index}"
        notes.append(f"header on row {header_index + 1} ({above} above it not read as data)")
    if not rows:
        notes.append("no data rows below the header")
    else:
        blank_rows = sum(1 for r in rows if not any(r))
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
