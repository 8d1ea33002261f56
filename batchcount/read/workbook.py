"""Excel workbooks (XLSX/XLSM/XLS, also XLSB/ODS) read through fastexcel (calamine).

Used by `batchcount.read.sheet`. Every cell is read as text (dtypes="string"): calamine's type
inference would turn text after row 1000 of a numeric column into null. Rows are loaded from
row 1 (skip_rows=0) and padded on the left, so a table starting at B3 keeps Excel's numbers.
What calamine does not say (error cells, merges, hidden rows, formats) comes from an
`Overlay` read from the file itself (`xlsx_parts`, `xls_parts`, `ods_parts`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from batchcount.errors import InputFileError, UsageError
from batchcount.read.choose import SheetSurvey, choose_sheet
from batchcount.read.grid import Grid
from batchcount.read.header import HeaderScore
from batchcount.read.overlay import DisplayLater, Merged
from batchcount.read.overlays import Prescan, empty_reason, overlay_for

# calamine logs warnings (e.g. "'chartsheet' not a valid worksheet") through Python logging;
# without a handler they would reach stderr via logging.lastResort and clutter the CLI.
logging.getLogger("calamine").addHandler(logging.NullHandler())

__all__ = ["Merged", "WorkbookTable", "read_workbook"]

_FORMAT_WORDS = {
    "xlsx": "an Excel workbook (.xlsx)",
    "xlsm": "an Excel macro-enabled workbook (.xlsm)",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "xlsb": "an Excel binary workbook (.xlsb)",
    "ods": "an OpenDocument spreadsheet (.ods)",
}
_SHOWN_SHEETS = 12


@dataclass(frozen=True)
class WorkbookTable:
    rows: Grid  # from spreadsheet row 1; column i is Excel column i
    blank: list[bool]  # per row: every cell empty or whitespace
    sheet: str
    sheets: list[str]
    notes: list[str]
    first_column: int  # 0-based Excel column of the used range (columns before it are "")
    # (row index, column) -> why the cell's text is not what Excel shows
    cell_problems: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[Merged] = field(default_factory=list)  # merged ranges
    hidden: frozenset[int] = frozenset()  # row indexes hidden or filtered out
    filtered: bool = False  # the sheet has an autofilter
    # dates and percentages as displayed, for the columns asked for (xlsx: see Overlay.later)
    display_later: DisplayLater | None = None
    hidden_columns: frozenset[int] = frozenset()  # Excel columns hidden in the sheet


def is_reader_failure(exc: BaseException) -> bool:
    """calamine's Rust panics arrive as pyo3's PanicException, a BaseException: a damaged
    file, not a reason to stop with a traceback. Ctrl-C and exits still propagate."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


@contextmanager
def _panics_muted() -> Iterator[None]:
    """A Rust panic writes its message (and a backtrace) straight to file descriptor 2 before
    it becomes a Python exception; the message is re-told in words, so fd 2 is muted."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def read_workbook(
    path: Path,
    name: str,
    fmt: str,
    sheet: str | None,
    *,
    read_bytes: bool,
    header_score: HeaderScore | None = None,
) -> WorkbookTable:
    """Read the chosen sheet (or the first visible sheet with a usable header) as text rows."""
    try:
        # Bytes let calamine detect the format from content when the extension is wrong.
        with _panics_muted():
            reader = fastexcel.read_excel(path.read_bytes() if read_bytes else path)
            names = list(reader.sheet_names)
    except BaseException as exc:
        if not is_reader_failure(exc):
            raise
        raise InputFileError(_unreadable(name, fmt, path.suffix.lower(), exc)) from None
    if not names:
        raise InputFileError(f"{name} has no sheets; save a sheet with the segments and retry")
    listing = _listing(names)
    notes = [_FORMAT_WORDS[fmt][0].upper() + _FORMAT_WORDS[fmt][1:]]
    guess = _match_sheet(sheet, names, name) if sheet is not None else names[0]
    prescan = Prescan(path, guess) if fmt in {"xlsx", "xlsm"} else None
    if sheet is not None:
        chosen = guess
        frame = _load(reader, chosen, name)
        if frame is None:
            reason = empty_reason(path, fmt, chosen)
            if reason:
                raise InputFileError(f"sheet {chosen!r} of {name} {reason}")
            others = [n for n in names if n != chosen and _has_data(reader, n, name)]
            hint = f"sheets with data: {_listing(others)}" if others else "every sheet is empty"
            raise InputFileError(
                f"sheet {chosen!r} in {name} is empty; choose another with --sheet ({hint})"
            )
    else:

        def survey(sheet_name: str) -> SheetSurvey:
            try:
                loaded = _load(reader, sheet_name, name)
            except InputFileError as exc:
                return SheetSurvey(sheet_name, None, True, failure=exc)
            if loaded is None:
                return SheetSurvey(
                    sheet_name, None, True, empty_reason=empty_reason(path, fmt, sheet_name)
                )
            return SheetSurvey(sheet_name, loaded[0], loaded[3], blank=loaded[1], frame=loaded)

        picked = choose_sheet(names, survey, header_score, name)
        chosen, frame = picked.name, picked.frame
        notes.extend(picked.notes)
    assert frame is not None
    notes.append(f"sheet {chosen!r} ({names.index(chosen) + 1} of {len(names)}: {listing})")
    rows, blank, offset, _, table = frame
    scan = prescan.take(chosen) if prescan is not None else None
    overlay = overlay_for(path, name, fmt, chosen, rows, scan)
    overlay.apply(rows, blank)
    notes.extend(overlay.notes)
    return WorkbookTable(
        rows,
        blank,
        chosen,
        names,
        notes,
        offset,
        overlay.problems,
        overlay.merged,
        frozenset(overlay.hidden),
        overlay.filtered,
        _only_numeric(overlay.later, table, offset) if overlay.later else None,
        frozenset(c for c in overlay.hidden_columns if c < rows.width),
    )


def _unreadable(name: str, fmt: str, ext: str, exc: BaseException) -> str:
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    if fmt == "xls" and ext in {".xlsx", ".xlsm"}:
        return (
            f"{name} is not a readable {ext} file: it is encrypted or an old .xls workbook "
            f"renamed ({detail}); open it in Excel, remove any password, and save it as .xlsx"
        )
    if fmt == "xls":
        return (
            f"{name} could not be read as an Excel 97-2003 workbook ({detail}); it may be "
            "damaged or password-protected: remove any password, then open it in Excel or "
            "LibreOffice, save it as .xlsx and retry"
        )
    return (
        f"{name} could not be read as {_FORMAT_WORDS[fmt]} ({detail}); it may be damaged: "
        "open it in Excel or LibreOffice, save it as .xlsx (or .csv) and retry"
    )


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN_SHEETS])
    return shown + (f", ... ({len(names)} sheets)" if len(names) > _SHOWN_SHEETS else "")


def _match_sheet(wanted: str, names: list[str], name: str) -> str:
    if wanted in names:
        return wanted
    folded = [n for n in names if n.strip().casefold() == wanted.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    if wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
        return names[int(wanted) - 1]  # --sheet 2 means the second sheet
    raise UsageError(
        f"{name} has no sheet named {wanted!r}; its sheets are: {', '.join(names)}. Pass "
        "one of these names to --sheet (quote names with spaces)"
    )


# rows, blank, column offset, visible, the frame as read (text)
_Frame = tuple[Grid, list[bool], int, bool, pl.DataFrame]
_NUMERIC = r"^\s*-?[0-9.]+([eE][-+]?[0-9]+)?\s*$|^[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _has_data(reader: fastexcel.ExcelReader, sheet_name: str, name: str) -> bool:
    try:
        return _load(reader, sheet_name, name) is not None
    except InputFileError:
        return False


def _load(reader: fastexcel.ExcelReader, sheet_name: str, name: str) -> _Frame | None:
    """Rows from spreadsheet row 1 as text, padded to Excel's columns; None if empty."""
    try:
        # skip_rows=0 keeps leading blank rows, so row i of the frame is spreadsheet row i + 1.
        with _panics_muted():
            ws = reader.load_sheet(sheet_name, header_row=None, dtypes="string", skip_rows=0)
            columns = ws.available_columns()
            offset = columns[0].absolute_index if columns else 0
            visible = ws.visible == "visible"
            frame = ws.to_polars()
    except BaseException as exc:  # calamine raises several types, and panics on some files
        if not is_reader_failure(exc):
            raise
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputFileError(
            f"sheet {sheet_name!r} of {name} could not be read; the file may be damaged "
            f"({detail}). Open it in Excel or LibreOffice, save it as .xlsx (or save that "
            "sheet as .csv) and retry"
        ) from None
    if frame.width == 0 or frame.height == 0:
        return None
    frame = frame.select(pl.all().cast(pl.String).fill_null(""))
    blank = (
        frame.select(pl.all_horizontal(pl.all().str.strip_chars() == "").alias("blank"))
        .to_series()
        .to_list()
    )
    if all(blank):
        return None
    # kept as columns (`grid`): rows are built only where asked
    cells: list[list[str]] = [[""] * frame.height for _ in range(offset)]
    cells.extend(s.to_list() for s in frame.get_columns())
    return Grid(cells), blank, offset, visible, frame


def _only_numeric(later: DisplayLater, frame: pl.DataFrame, offset: int) -> DisplayLater:
    """`later`, asked only for the columns holding a number or a date as calamine reads
    them: a column of text shows the same whatever its format, and costs no lookup."""

    def shown(columns: set[int]) -> dict[tuple[int, int], str]:
        names = [
            frame.columns[c - offset] for c in sorted(columns) if 0 <= c - offset < frame.width
        ]
        if not names:
            return {}
        found = frame.select(pl.col(names).str.contains(_NUMERIC).any()).row(0)
        numeric = {
            offset + frame.columns.index(n) for n, flag in zip(names, found, strict=True) if flag
        }
        return later(numeric) if numeric else {}

    return shown
