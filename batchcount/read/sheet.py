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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from batchcount.errors import InputFileError, UsageError
from batchcount.read.header import HeaderScore
from batchcount.read.overlay import Merged
from batchcount.read.shape import (
    HEADERLESS,
    Raw,
    header_index,
    hidden_note,
    shape,
    shape_notes,
    show_as_displayed,
)
from batchcount.read.text import read_text

__all__ = ["HEADERLESS", "Sheet", "column_label", "read_records", "read_sheet"]

_TEXT_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "txt"}
_WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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
    rows: Sequence[list[str]]  # data rows, each exactly len(headers) cells; "" = empty cell
    row_numbers: list[int]  # spreadsheet row number of each data row
    row_problems: dict[int, str]  # row number -> problem that makes that row unusable
    notes: list[str]  # what was detected, in words (printed under "Detected")
    # (row number, column index) -> why the cell is not what Excel shows: a formula without a
    # saved value, an error (#N/A). The row is refused if that column is sent (workbooks only).
    cell_problems: dict[tuple[int, int], str] = field(default_factory=dict)
    # merged ranges with spreadsheet row numbers (columns 0-based): cells other than the
    # top-left one read as empty although Excel shows the value across the range
    merged: list[Merged] = field(default_factory=list)
    # sheet row numbers of data rows hidden, or filtered out by an autofilter (xlsx/xlsm/xls/ods):
    # skipped unless --include-hidden
    hidden_rows: frozenset[int] = frozenset()
    # columns (0-based) hidden in the sheet: sent all the same, and said (`report.input_lines`)
    hidden_columns: frozenset[int] = frozenset()


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
    header_score: HeaderScore | None = None,
    header_row: int | None = None,
) -> Sheet:
    """Read `path` into header + text rows; raise InputFileError/UsageError with the fix.

    `header_score` (injected by plan, which knows the field names) rates a row as a header:
    the sheet whose header names a filter is chosen, and within it the best-scoring of the
    first rows is the header (a title block may sit above it). `header_row` (1-based sheet
    row, `--header-row`) overrides. `is_header` is the older yes/no form of the scorer.
    """
    path = Path(path)
    if encoding is not None:
        _check_encoding_name(encoding)
    if header_score is None and is_header is not None:
        accepts = is_header

        def header_score(cells: Sequence[str]) -> float:
            return 1.0 if accepts(list(cells)) else 0.0

    head = _read_head(path)
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        raw = _from_workbook(path, head, sheet, encoding, header_score)
    else:
        raw = _from_text(path, sheet, encoding, header_score)
    index, how = header_index(raw, header_score, header_row, str(path))
    show_as_displayed(raw, index, header_score)
    index, headers, rows, numbers, problems = shape(raw.records, raw.blank, index)
    last = numbers[-1] if numbers else 0
    hidden = frozenset(r + 1 for r in raw.hidden if index < r and r + 1 <= last)
    notes = raw.notes + shape_notes(index, how, raw, rows, numbers, problems)
    if hidden:
        notes.append(hidden_note(hidden, raw.filtered))
    return Sheet(
        path=path,
        format=raw.format,
        sheet_name=raw.sheet_name,
        sheet_names=raw.sheet_names,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        header_row=index + 1,
        headers=headers,
        rows=rows,
        row_numbers=numbers,
        row_problems=problems,
        notes=notes,
        cell_problems={(r + 1, c): text for (r, c), text in raw.cell_problems.items()},
        merged=[m._replace(first_row=m.first_row + 1, last_row=m.last_row + 1) for m in raw.merged],
        hidden_rows=hidden,
        hidden_columns=frozenset(c for c in raw.hidden_columns if c < len(headers)),
    )


def read_records(
    path: Path, *, sheet: str | None = None, encoding: str | None = None
) -> Sequence[list[str]]:
    """Every record of the sheet `read_sheet` reads (record i is spreadsheet row i + 1),
    title rows above the header included: for copies that keep the sheet's row numbers."""
    path = Path(path)
    head = _read_head(path)
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        return _from_workbook(path, head, sheet, encoding, None).records
    return _from_text(path, sheet, encoding, None).records


def _from_workbook(
    path: Path, head: bytes, sheet: str | None, encoding: str | None, score: HeaderScore | None
) -> Raw:
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
    book = read_workbook(path, str(path), fmt, sheet, read_bytes=not matches, header_score=score)
    notes.extend(book.notes)
    if book.first_column:
        notes.append(
            f"the table starts in column {column_label(book.first_column)}; the columns "
            "before it are kept (empty) so column letters match Excel"
        )
    return Raw(
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
        book.hidden,
        book.filtered,
        display_later=book.display_later,
        hidden_columns=book.hidden_columns,
    )


def _from_text(
    path: Path, sheet: str | None, encoding: str | None, score: HeaderScore | None
) -> Raw:
    ext = path.suffix.lower()
    text = read_text(
        path, str(path), encoding, workbook_ext=ext in _WORKBOOK_EXTENSIONS, header_score=score
    )
    fmt = _TEXT_EXTENSIONS.get(ext) or ("tsv" if text.delimiter == "\t" else "csv")
    if ext in _TEXT_EXTENSIONS:
        notes = [f"{fmt.upper()} text file"]
    else:
        notes = [_mismatch_note(path, ext, "a text spreadsheet")]
    if sheet is not None:
        notes.append(f"--sheet {sheet!r} ignored: a text file has no sheets")
    notes.extend(text.notes)
    # in a one-value-per-line file a line of only commas is an empty row exported by Excel
    strip = " \t\n\r\x0b\x0c,;" if text.single_column else None
    blank = [not any(c.strip(strip) for c in record) for record in text.rows]
    if all(blank):
        raise InputFileError(
            f"{path} has no data (only blank lines); export the sheet again with its header row"
        )
    single = text.single_column
    return Raw(
        text.rows,
        blank,
        fmt,
        None,
        [],
        text.encoding,
        text.delimiter,
        notes,
        {},
        [],
        single_column=single,
    )


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
