"""What an .xlsx/.xlsm sheet's XML says that calamine does not: error cells, formulas without a
saved value, merged ranges, hidden or filtered-out rows, and date/percent formats.

One read of the sheet part serves every check; each check is a plain byte search that looks
only at the cells it needs (the usual sheet has none of them and costs one `find` each).
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from batchcount.read.overlay import (
    NO_VALUE,
    DisplayLater,
    Merged,
    Overlay,
    col_index,
    count_note,
    error_problem,
)
from batchcount.read.xlsx_formats import display_styles, formatted_cells, is_date1904


class SheetScan(NamedTuple):
    """What the sheet's XML says, before the rows are known (`scan_sheet`)."""

    missing: list[tuple[int, int] | None]
    errors: dict[tuple[int, int], str]
    merged: list[Merged]
    hidden: set[int]
    filtered: bool
    later: DisplayLater | None
    hidden_columns: set[int]


def scan_sheet(path: Path, sheet_name: str) -> SheetScan | None:
    """Scan sheet `sheet_name`; None if its parts cannot be found. Needs no rows: `workbook`
    runs it while calamine reads (`prescan`)."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet_name)
            xml = archive.read(part) if part else b""
            styles = display_styles(archive)
            date1904 = is_date1904(archive)
    except (KeyError, OSError, zipfile.BadZipFile, ET.ParseError, ValueError):
        return None
    missing, errors = scan_cells(xml)
    filtered = re.search(rb"<(\w+:)?autoFilter\b", xml[xml.rfind(b"sheetData>") :]) is not None
    start = xml.find(b"sheetData")
    used = {i: code for i, code in styles.items() if xml.find(b' s="%d"' % i, start) >= 0}
    later: DisplayLater | None = None
    if used:

        def later(columns: set[int]) -> dict[tuple[int, int], str]:
            return formatted_cells(xml, used, date1904, columns)

    merged, hidden = merged_ranges(xml), hidden_rows(xml)
    return SheetScan(missing, errors, merged, hidden, filtered, later, hidden_columns(xml))


def xlsx_overlay(
    path: Path, sheet_name: str, rows: Sequence[list[str]], scan: SheetScan | None = None
) -> Overlay:
    """The overlay of sheet `sheet_name` (from `scan` when given); an empty one if the parts
    cannot be found."""
    scan = scan or scan_sheet(path, sheet_name)
    if scan is None:
        return Overlay()
    overlay = Overlay()
    missing, errors = scan.missing, scan.errors
    for (row, col), text in errors.items():
        overlay.display[(row, col)] = text
        overlay.problems[(row, col)] = error_problem(text)
    for where in missing:
        if where is None:
            continue  # a cell without its r="A1" reference: counted in the note only
        row, col = where
        if row < len(rows) and col < len(rows[row]) and not rows[row][col]:
            overlay.problems[where] = NO_VALUE
    if errors:
        kinds = ", ".join(sorted(set(errors.values())))
        cells = count_note(len(errors), "1 cell shows", "{count} cells show")
        overlay.notes.append(f"{cells} an Excel error ({kinds}); fix them in Excel")
    if missing:
        cells = count_note(len(missing), "1 formula cell", "{count} formula cells")
        overlay.notes.append(f"{cells} had no saved value; open and save the file in Excel")
    overlay.merged, overlay.hidden, overlay.filtered = scan.merged, scan.hidden, scan.filtered
    overlay.later = scan.later
    overlay.hidden_columns = scan.hidden_columns
    return overlay


def sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
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


def empty_sheet_reason(path: Path, sheet_name: str) -> str | None:
    """Why a sheet calamine reads as empty is not really empty: only errors or unsaved formulas."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet_name)
            xml = archive.read(part) if part else b""
    except (KeyError, OSError, zipfile.BadZipFile, ET.ParseError, ValueError):
        return None
    missing, errors = scan_cells(xml)
    return describe_unreadable(len(errors), sorted(set(errors.values())), len(missing))


def describe_unreadable(errors: int, kinds: list[str], missing: int) -> str | None:
    """Words for a sheet whose only cells are errors and/or formulas without a saved value."""
    parts = []
    if errors:
        parts.append(
            count_note(errors, "1 error cell", "{count} error cells") + f" ({', '.join(kinds)})"
        )
    if missing:
        parts.append(
            count_note(missing, "1 formula", "{count} formulas") + " without a saved value"
        )
    if not parts:
        return None
    fix = []
    if errors:
        fix.append("fix the formulas that show errors")
    if missing:
        fix.append("open the file in Excel or LibreOffice and save it so the results are stored")
    return f"has only {' and '.join(parts)}; {'; then '.join(fix)}"


_MERGE_RE = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"'
)
_MAX_MERGED = 10_000  # a hostile sheet may declare millions; later ones are ignored


def merged_ranges(xml: bytes) -> list[Merged]:
    # <mergeCells> follows <sheetData>: search only the tail of the part
    at = xml.find(b"mergeCell", max(0, xml.rfind(b"sheetData>")))
    if at < 0:
        return []
    ranges: list[Merged] = []
    for match in _MERGE_RE.finditer(xml, max(0, at - 16)):
        col0, row0, col1, row1 = match.groups()
        c0, c1, r0, r1 = col_index(col0), col_index(col1), int(row0) - 1, int(row1) - 1
        ref = (col0 + row0 + b":" + col1 + row1).decode()
        ranges.append(Merged(min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1), ref))
        if len(ranges) >= _MAX_MERGED:
            break
    return ranges


_ROW_NUMBER = re.compile(rb'\br="([0-9]{1,7})"')


def hidden_rows(xml: bytes) -> set[int]:
    """0-based rows whose <row> element says hidden="1" (hidden by hand, or by an autofilter)."""
    start = xml.find(b"sheetData")  # <cols hidden="1"> before it are columns, not rows
    if start < 0:
        return set()
    found: set[int] = set()
    mark = b' hidden="'
    at = xml.find(mark, start)
    while at >= 0:
        value = xml[at + len(mark) : at + len(mark) + 5]
        if value.startswith((b'1"', b'true"')):
            tag = xml.rfind(b"<", 0, at)
            head = xml[tag : at + len(mark)]
            if re.match(rb"<(\w+:)?row\b", head) and b">" not in head:
                number = _ROW_NUMBER.search(head)
                if number:
                    found.add(int(number.group(1)) - 1)
        at = xml.find(mark, at + 1)
    return found


_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_COL_SPAN = re.compile(rb'\bmin="([0-9]{1,5})"|\bmax="([0-9]{1,5})"')
_MAX_COLUMNS = 16_384  # Excel's last column, XFD


def hidden_columns(xml: bytes) -> set[int]:
    """0-based columns a <col hidden="1"> of the <cols> block (before <sheetData>) hides."""
    end = xml.find(b"sheetData")
    cols = xml.find(b"cols", 0, end if end >= 0 else len(xml))
    found: set[int] = set()
    if cols < 0 or b"hidden=" not in xml[cols:end]:
        return found
    for match in _COL.finditer(xml, cols, end if end >= 0 else len(xml)):
        attrs = match.group(1)
        if not re.search(rb'\bhidden="(?:1|true)"', attrs):
            continue
        low = high = 0
        for lo, hi in _COL_SPAN.findall(attrs):
            low, high = int(lo or low), int(hi or high)
        if 1 <= low <= high:
            # "hide every unused column to the right" is one <col> up to XFD: keep it short
            found.update(range(low - 1, min(high, low + 1000, _MAX_COLUMNS)))
    return found


_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')


def scan_cells(
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
        where = (int(ref.group(2)) - 1, col_index(ref.group(1))) if ref else None
        if kind == b"e" and cached and cached.group(1) and where is not None:
            errors[where] = cached.group(1).decode("utf-8", "replace")
        if formula.search(body) and (cached is None or (not cached.group(1) and kind != b"str")):
            missing.append(where)
    return missing, errors
