"""What an OpenDocument sheet's content.xml says that calamine does not: error cells, formulas
without a saved value, merged (spanned/covered) cells, hidden or filtered-out rows, and the
displayed text of date, time, duration and percentage cells.

ODS stores the displayed text of every cell (<text:p>), so "as the analyst sees it" is read
from there for the kinds whose raw value differs from the display. ODS files are small (no
tool writes 100k-row ODS for this); one streaming parse of content.xml is enough.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from batchcount.read.overlay import NO_VALUE, Merged, Overlay, count_note, error_problem, merged_ref

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_T = f"{{{_TABLE}}}"
_SHOWN_TYPES = {"date", "time", "percentage"}
_MAX_REPEAT = 10_000  # repeated cells/rows beyond the data are padding, not content


def ods_overlay(path: Path, sheet_name: str, rows: Sequence[list[str]]) -> Overlay:
    return _scan(path, sheet_name, len(rows))[0]


def empty_sheet_reason(path: Path, sheet_name: str) -> str | None:
    """Words for an ODS sheet whose only cells are errors or formulas without saved values."""
    from batchcount.read.xlsx_parts import describe_unreadable

    _, errors, missing = _scan(path, sheet_name, _MAX_REPEAT * 10)
    return describe_unreadable(len(errors), sorted(set(errors.values())), missing)


def _scan(
    path: Path, sheet_name: str, height: int
) -> tuple[Overlay, dict[tuple[int, int], str], int]:
    overlay = Overlay()
    errors: dict[tuple[int, int], str] = {}
    missing = 0
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
            table = _find_table(stream, sheet_name)
            if table is None:
                return overlay, errors, missing
            column = 0
            for element in table.iter(f"{_T}table-column"):
                repeat = _int(element.get(f"{_T}number-columns-repeated"), 1)
                if element.get(f"{_T}visibility") in {"collapse", "filter"}:
                    overlay.hidden_columns.update(range(column, column + min(repeat, 1000)))
                column += repeat
            row = 0
            for element in table.iter(f"{_T}table-row"):
                repeat = _int(element.get(f"{_T}number-rows-repeated"), 1)
                if element.get(f"{_T}visibility") in {"collapse", "filter"}:
                    overlay.hidden.update(range(row, min(row + repeat, height)))
                    overlay.filtered |= element.get(f"{_T}visibility") == "filter"
                # LibreOffice writes identical consecutive rows once, with a repeat count
                for each in range(row, min(row + repeat, height)):
                    missing += _cells(element, each, overlay, errors)
                row += repeat
    except (KeyError, OSError, zipfile.BadZipFile, etree.LxmlError):
        return overlay, errors, missing
    for where, text in errors.items():
        overlay.display[where] = text
        overlay.problems[where] = error_problem(text, "LibreOffice")
    if errors:
        kinds = ", ".join(sorted(set(errors.values())))
        cells = count_note(len(errors), "1 cell shows", "{count} cells show")
        overlay.notes.append(f"{cells} an error ({kinds}); fix them and save again")
    if missing:
        cells = count_note(missing, "1 formula cell", "{count} formula cells")
        overlay.notes.append(f"{cells} had no saved value; open and save the file again")
    return overlay, errors, missing


def _find_table(stream: object, sheet_name: str) -> etree._Element | None:
    for _, element in etree.iterparse(
        stream, events=("end",), tag=f"{_T}table", resolve_entities=False, no_network=True
    ):
        if element.get(f"{_T}name") == sheet_name:
            return element
        element.clear()
    return None


def _cells(
    element: etree._Element, row: int, overlay: Overlay, errors: dict[tuple[int, int], str]
) -> int:
    """Record this row's special cells; return how many formulas had no saved value."""
    col = 0
    missing = 0
    for cell in element:
        tag = cell.tag
        if tag not in (f"{_T}table-cell", f"{_T}covered-table-cell"):
            continue
        repeat = min(_int(cell.get(f"{_T}number-columns-repeated"), 1), _MAX_REPEAT)
        if tag == f"{_T}covered-table-cell":
            # hidden under a merged cell: the sheet shows the merged value, not this text
            for offset in range(repeat):
                overlay.display[(row, col + offset)] = ""
            col += repeat
            continue
        spans = (
            _int(cell.get(f"{_T}number-rows-spanned"), 1),
            _int(cell.get(f"{_T}number-columns-spanned"), 1),
        )
        if spans != (1, 1):
            last_row, last_col = row + spans[0] - 1, col + spans[1] - 1
            overlay.merged.append(
                Merged(row, col, last_row, last_col, merged_ref(row, col, last_row, last_col))
            )
        kind = cell.get(f"{{{_OFFICE}}}value-type")
        if cell.get(f"{{{_CALCEXT}}}value-type") == "error":
            errors[(row, col)] = _text(cell) or "#ERROR"
        elif cell.get(f"{_T}formula") is not None and kind is None:
            overlay.problems[(row, col)] = NO_VALUE
            missing += 1
        elif kind in _SHOWN_TYPES:
            text = _text(cell)
            for offset in range(repeat):
                overlay.display[(row, col + offset)] = text
        col += repeat
    return missing


def _text(cell: etree._Element) -> str:
    """The cell's displayed text: its paragraphs joined by line breaks, <text:s/> as spaces."""
    lines = []
    for paragraph in cell.iter(f"{{{_TEXT}}}p"):
        parts = [paragraph.text or ""]
        for child in paragraph:
            if child.tag == f"{{{_TEXT}}}s":
                parts.append(" " * _int(child.get(f"{{{_TEXT}}}c"), 1))
            elif child.tag == f"{{{_TEXT}}}tab":
                parts.append("\t")
            else:
                parts.append("".join(child.itertext()))
            parts.append(child.tail or "")
        lines.append("".join(parts))
    return "\n".join(lines)


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value)) if value is not None else default
    except ValueError:
        return default
