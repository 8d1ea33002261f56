"""Excel workbooks (XLSX/XLSM/XLS, also XLSB/ODS) read through fastexcel (calamine).

Used by `batchcount.read.sheet`. Every cell is read as text (dtypes="string"): calamine's type
inference would turn text after row 1000 of a numeric column into null. Rows are loaded from
row 1 (skip_rows=0) and padded on the left, so a table starting at B3 keeps Excel's numbers.
"""

from __future__ import annotations

import logging
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import fastexcel
import polars as pl

from batchcount.errors import InputFileError, UsageError

# calamine logs warnings (e.g. "'chartsheet' not a valid worksheet") through Python logging;
# without a handler they would reach stderr via logging.lastResort and clutter the CLI.
logging.getLogger("calamine").addHandler(logging.NullHandler())

_FORMAT_WORDS = {
    "xlsx": "an Excel workbook (.xlsx)",
    "xlsm": "an Excel macro-enabled workbook (.xlsm)",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "xlsb": "an Excel binary workbook (.xlsb)",
    "ods": "an OpenDocument spreadsheet (.ods)",
}
_SHOWN_SHEETS = 12


class Merged(NamedTuple):
    """A merged range, 0-based and inclusive: only its top-left cell holds the value."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int
    ref: str  # as Excel writes it, e.g. "A2:A5"


@dataclass(frozen=True)
class WorkbookTable:
    rows: list[list[str]]  # from spreadsheet row 1; column i is Excel column i
    blank: list[bool]  # per row: every cell empty or whitespace
    sheet: str
    sheets: list[str]
    notes: list[str]
    first_column: int  # 0-based Excel column of the used range (columns before it are "")
    # (row index, column) -> why the cell's text is not what Excel shows (xlsx/xlsm only)
    cell_problems: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[Merged] = field(default_factory=list)  # merged ranges (xlsx/xlsm only)


def read_workbook(
    path: Path, name: str, fmt: str, sheet: str | None, *, read_bytes: bool
) -> WorkbookTable:
    """Read the chosen sheet (or the first visible sheet with data) as text rows."""
    try:
        # Bytes let calamine detect the format from content when the extension is wrong.
        reader = fastexcel.read_excel(path.read_bytes() if read_bytes else path)
        names = list(reader.sheet_names)
    except Exception as exc:  # calamine raises several types; all mean "cannot read"
        raise InputFileError(_unreadable(name, fmt, path.suffix.lower(), exc)) from None
    if not names:
        raise InputFileError(f"{name} has no sheets; save a sheet with the segments and retry")
    listing = _listing(names)
    notes = [_FORMAT_WORDS[fmt][0].upper() + _FORMAT_WORDS[fmt][1:]]
    if sheet is not None:
        chosen = _match_sheet(sheet, names, name)
        frame = _load(reader, chosen, name)
        if frame is None:
            others = [n for n in names if n != chosen and _has_data(reader, n, name)]
            hint = f"sheets with data: {_listing(others)}" if others else "every sheet is empty"
            raise InputFileError(
                f"sheet {chosen!r} in {name} is empty; choose another with --sheet ({hint})"
            )
    else:
        chosen, frame = _first_with_data(reader, names, name, listing)
        if chosen != names[0]:
            notes.append(f"sheet {names[0]!r} has no data (or is hidden); read {chosen!r}")
    notes.append(f"sheet {chosen!r} ({names.index(chosen) + 1} of {len(names)}: {listing})")
    rows, blank, offset, _ = frame
    if fmt in {"xlsx", "xlsm"}:
        patched = _patch_formula_cells(path, chosen, rows, blank)
        notes.extend(patched.notes)
        return WorkbookTable(
            rows, blank, chosen, names, notes, offset, patched.problems, patched.merged
        )
    return WorkbookTable(rows, blank, chosen, names, notes, offset)


def _unreadable(name: str, fmt: str, ext: str, exc: Exception) -> str:
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    if fmt == "xls" and ext in {".xlsx", ".xlsm"}:
        return (
            f"{name} is not a readable {ext} file: it is encrypted or an old .xls workbook "
            f"renamed ({detail}); open it in Excel, remove any password, and save it as .xlsx"
        )
    if fmt == "xls":
        return (
            f"{name} could not be read as an Excel 97-2003 workbook ({detail}); if it is "
            "password-protected remove the password, then save it in Excel as .xlsx and retry"
        )
    return (
        f"{name} could not be read as {_FORMAT_WORDS[fmt]} ({detail}); it may be damaged: "
        "open it in Excel, save it again (or as .csv) and retry"
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


_Frame = tuple[list[list[str]], list[bool], int, bool]  # rows, blank, column offset, visible


def _first_with_data(
    reader: fastexcel.ExcelReader, names: list[str], name: str, listing: str
) -> tuple[str, _Frame]:
    hidden: tuple[str, _Frame] | None = None
    failure: InputFileError | None = None
    for sheet_name in names:
        try:
            frame = _load(reader, sheet_name, name)
        except InputFileError as exc:
            failure = failure or exc  # one odd sheet should not hide the others
            continue
        if frame is None:
            continue
        if frame[3]:
            return sheet_name, frame
        hidden = hidden or (sheet_name, frame)
    if hidden is not None:
        return hidden  # only hidden sheets have data: better than refusing
    if failure is not None:
        raise failure
    raise InputFileError(
        f"{name} has no data: its sheets ({listing}) are all empty; put the segments on a "
        "sheet with a header row and save again"
    )


def _has_data(reader: fastexcel.ExcelReader, sheet_name: str, name: str) -> bool:
    try:
        return _load(reader, sheet_name, name) is not None
    except InputFileError:
        return False


def _load(reader: fastexcel.ExcelReader, sheet_name: str, name: str) -> _Frame | None:
    """Rows from spreadsheet row 1 as text, padded to Excel's columns; None if empty."""
    try:
        # skip_rows=0 keeps leading blank rows, so row i of the frame is spreadsheet row i + 1.
        ws = reader.load_sheet(sheet_name, header_row=None, dtypes="string", skip_rows=0)
        columns = ws.available_columns()
        offset = columns[0].absolute_index if columns else 0
        visible = ws.visible == "visible"
        frame = ws.to_polars()
    except Exception as exc:  # calamine raises several types; all mean "cannot read"
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputFileError(
            f"sheet {sheet_name!r} of {name} could not be read ({detail}); open the file in "
            "Excel, save it again (or save that sheet as .csv) and retry"
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
    if offset:
        pads = [pl.lit("").alias(f"__pad{i}") for i in range(offset)]
        frame = frame.select([*pads, pl.all()])
    # column by column, then zipped: a third faster than frame.rows() on a 100k-row sheet
    rows = list(map(list, zip(*[s.to_list() for s in frame.get_columns()], strict=True)))
    return rows, blank, offset, visible


class _Patched(NamedTuple):
    notes: list[str]
    problems: dict[tuple[int, int], str]
    merged: list[Merged]


_NO_VALUE = (
    "is a formula with no saved value, so it reads as empty; open the file in Excel and save "
    "it (Excel stores the results), then retry"
)


def _patch_formula_cells(
    path: Path, sheet_name: str, rows: list[list[str]], blank: list[bool]
) -> _Patched:
    """Show error cells as Excel does (#N/A); find formulas without a saved value and merges.

    calamine reads all three as empty; an empty cell would silently drop a filter from a
    request, so each comes back as a cell problem (the row is refused if the column is sent).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet_name)
            xml = archive.read(part) if part else b""
    except (KeyError, OSError, zipfile.BadZipFile, ET.ParseError):
        return _Patched([], {}, [])
    missing, errors = _scan_cells(xml)
    problems: dict[tuple[int, int], str] = {}
    for (row, col), text in errors.items():
        if row < len(rows) and col < len(rows[row]) and not rows[row][col]:
            rows[row][col] = text
            blank[row] = False
        problems[(row, col)] = f"shows the Excel error {text}; fix the formula in Excel"
    for where in missing:
        if where is None:
            continue  # a cell without its r="A1" reference: counted in the note only
        row, col = where
        if row < len(rows) and col < len(rows[row]) and not rows[row][col]:
            problems[where] = _NO_VALUE
    notes = []
    if errors:
        kinds = ", ".join(sorted(set(errors.values())))
        cells = "1 cell shows" if len(errors) == 1 else f"{len(errors)} cells show"
        notes.append(f"{cells} an Excel error ({kinds}); fix them in Excel")
    if missing:
        cells = "1 formula cell" if len(missing) == 1 else f"{len(missing)} formula cells"
        notes.append(f"{cells} had no saved value; open and save the file in Excel")
    return _Patched(notes, problems, _merged_ranges(xml))


_MERGE_RE = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"'
)
_MAX_MERGED = 10_000  # a hostile sheet may declare millions; later ones are ignored


def _merged_ranges(xml: bytes) -> list[Merged]:
    # <mergeCells> follows <sheetData>: search only the tail of the part
    at = xml.find(b"mergeCell", max(0, xml.rfind(b"sheetData>")))
    if at < 0:
        return []
    ranges: list[Merged] = []
    for match in _MERGE_RE.finditer(xml, max(0, at - 16)):
        col0, row0, col1, row1 = match.groups()
        c0, c1, r0, r1 = _col(col0), _col(col1), int(row0) - 1, int(row1) - 1
        ref = (col0 + row0 + b":" + col1 + row1).decode()
        ranges.append(Merged(min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1), ref))
        if len(ranges) >= _MAX_MERGED:
            break
    return ranges


def _col(letters: bytes) -> int:
    """0-based column of Excel letters: b"A" -> 0."""
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    return col - 1


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    book = ET.fromstring(archive.read("xl/workbook.xml"))
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    rel_id = None
    for element in book.iter():
        if element.tag.endswith("}sheet") and element.get("name") == sheet_name:
            rel_id = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
    for element in rels.iter():
        if rel_id is not None and element.get("Id") == rel_id:
            target = element.get("Target") or ""
            if target.startswith("/"):
                return target[1:]
            return posixpath.normpath(posixpath.join("xl", target))
    return None


_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')


def _scan_cells(
    xml: bytes,
) -> tuple[list[tuple[int, int] | None], dict[tuple[int, int], str]]:
    """([(row0, col0) or None of formulas without a cached value], {(row0, col0): error})."""
    found = re.search(rb"<(\w+:)?sheetData\b", xml)
    if found is None:
        return [], {}
    raw_prefix = found.group(1) or b""
    if b"<" + raw_prefix + b"f" not in xml and b't="e"' not in xml:
        return [], {}  # the usual case: a plain literal search, no regex over the whole part
    prefix = re.escape(raw_prefix)
    formula = re.compile(b"<" + prefix + rb"f[\s>/]")
    value = re.compile(b"<" + prefix + rb"v(?:\s[^>]*)?>(.*?)</" + prefix + b"v>", re.S)
    cell_open = b"<" + raw_prefix + b"c "
    cell_close = b"</" + raw_prefix + b"c>"
    marks = [m.start() for m in formula.finditer(xml)]
    at = xml.find(b' t="e"')
    while at >= 0:
        marks.append(at)
        at = xml.find(b' t="e"', at + 1)
    missing: list[tuple[int, int] | None] = []
    errors: dict[tuple[int, int], str] = {}
    seen: set[int] = set()
    for mark in sorted(marks):
        start = xml.rfind(cell_open, 0, mark + 1)
        if start < 0 or start in seen:
            continue
        seen.add(start)
        head_end = xml.find(b">", start)
        end = xml.find(cell_close, start)
        if xml[head_end - 1 : head_end] == b"/" or end < mark:
            continue  # self-closing cell, or the mark is not inside this cell
        head, body = xml[start:head_end], xml[head_end + 1 : end]
        typed = _CELL_TYPE.search(head)
        kind = typed.group(1) if typed else b"n"
        cached = value.search(body)
        ref = _CELL_REF.search(head)  # optional in the format: other writers may omit it
        where = (int(ref.group(2)) - 1, _col(ref.group(1))) if ref else None
        if kind == b"e" and cached and cached.group(1) and where is not None:
            errors[where] = cached.group(1).decode("utf-8", "replace")
        if formula.search(body) and (cached is None or (not cached.group(1) and kind != b"str")):
            missing.append(where)
    return missing, errors
