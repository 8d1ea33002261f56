"""Number formats of an .xlsx sheet: which cell styles are dates, times or percentages, and
the text those cells show. Looked up only for the columns asked for (see `Overlay.later`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime

from batchcount.read import numfmt
from batchcount.read.overlay import col_index, col_letters


def display_styles(archive: zipfile.ZipFile) -> dict[int, str]:
    """Style index (the s="N" of a cell) -> format code, for the formats `numfmt` re-renders."""
    try:
        root = ET.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return {}
    codes = dict(numfmt.BUILTIN)
    for element in root.iter():
        if element.tag.endswith("}numFmt"):
            try:
                codes[int(element.get("numFmtId", ""))] = element.get("formatCode", "")
            except ValueError:
                continue
    xfs = next((e for e in root.iter() if e.tag.endswith("}cellXfs")), None)
    if xfs is None:
        return {}
    styles: dict[int, str] = {}
    for index, xf in enumerate(x for x in xfs if x.tag.endswith("}xf")):
        try:
            code = codes.get(int(xf.get("numFmtId", "0")), "")
        except ValueError:
            continue
        if numfmt.kind(code):
            styles[index] = code
    return styles


def is_date1904(archive: zipfile.ZipFile) -> bool:
    head = archive.read("xl/workbook.xml")[:4096]
    return re.search(rb'date1904="(1|true)"', head) is not None


# A styled numeric cell as Excel writes it: r first, then s and t, an optional formula, <v>.
_CELL_AT = re.compile(
    rb'<(?:\w+:)?c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>'
    rb"(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))?<(?:\w+:)?v>([^<]*)</"
)


def formatted_cells(
    xml: bytes, styles: dict[int, str], date1904: bool, columns: set[int]
) -> dict[tuple[int, int], str]:
    """(row, col) -> displayed text of numeric cells whose style is a date/percent format.

    Only the cells carrying one of those styles are looked at (a byte search for s="N"),
    then each style's values are rendered together (`numfmt.display_many`).
    """
    start = xml.find(b"sheetData")
    shown: dict[tuple[int, int], str] = {}
    letters = {col_letters(c).encode() for c in columns}
    for index, code in styles.items():
        mark = b' s="%d"' % index
        places: list[tuple[int, int]] = []
        values: list[float] = []
        at = xml.find(mark, start)
        while at >= 0:
            cell = _CELL_AT.match(xml, xml.rfind(b"<", 0, at))
            at = xml.find(mark, at + 1)
            if cell is None:
                continue  # another attribute order, a self-closing or text cell: not re-shown
            attrs = cell.group(3)
            if cell.group(1) not in letters:
                continue
            if b' t="' in attrs and not re.search(rb'\bt="[nd]"', attrs):
                continue  # text, error and boolean cells are shown as they are
            number = _number(cell.group(4), b"d" if b't="d"' in attrs else b"n")
            if number is not None:
                places.append((int(cell.group(2)) - 1, col_index(cell.group(1))))
                values.append(number)
        texts = numfmt.display_many(code, values, date1904=date1904)
        for where, text in zip(places, texts, strict=True):
            if text is not None:
                shown[where] = text
    return shown


def _number(raw: bytes, kind: bytes) -> float | None:
    try:
        if kind == b"d":  # ISO 8601 date (strict OOXML): back to an Excel serial
            moment = datetime.fromisoformat(raw.decode().strip().rstrip("Z"))
            return (moment - datetime(1899, 12, 30)).total_seconds() / 86400
        return float(raw)
    except ValueError:
        return None
