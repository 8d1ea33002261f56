"""What every sheet of the output workbook shares: number formats, fonts, safe text, cells."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

MONEY_FORMAT = "$#,##0.00##"  # 4 decimals when needed: prices like $0.0125 stay exact
COUNT_FORMAT = "#,##0"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
EXCEL_CELL_LIMIT = 32_767  # characters (UTF-16 units) in one cell
TRUNCATION_MARKER = "…[truncated]"
FICTIONAL = "counts are fictional, nothing was charged"
TEST_MODE_BANNER = f"Test mode: {FICTIONAL}"

HEADER_FONT = Font(bold=True, color="FFFFFF")
INPUT_HEADER_FILL = PatternFill("solid", fgColor="305496")
RESULT_HEADER_FILL = PatternFill("solid", fgColor="548235")  # tells added columns apart
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
BANNER_FONT = Font(bold=True, color="9C0006", size=12)
BANNER_FILL = PatternFill("solid", fgColor="FFC7CE")
WRAP = Alignment(wrap_text=True, vertical="top")

# openpyxl's ILLEGAL_CHARACTERS_RE plus what UTF-8/XML 1.0 cannot carry (lone surrogates, U+FFFE/F)
_ILLEGAL_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def excel_text(value: str) -> str:
    """Make `value` storable in a cell: no XML-illegal characters, within Excel's length limit."""
    if _ILLEGAL_XML_RE.search(value):
        value = _ILLEGAL_XML_RE.sub("", value)
    if len(value) > EXCEL_CELL_LIMIT // 2:  # only then can the UTF-16 length exceed the limit
        units = value.encode("utf-16-le")
        if len(units) > 2 * EXCEL_CELL_LIMIT:
            keep = 2 * (EXCEL_CELL_LIMIT - len(TRUNCATION_MARKER))
            # errors="ignore" drops half of a surrogate pair cut at the boundary
            value = units[:keep].decode("utf-16-le", errors="ignore") + TRUNCATION_MARKER
    return value


def cell(ws: Any, value: Any, number_format: str | None = None, **style: Any) -> Any:
    """A write-only cell (`style`: font=..., fill=..., alignment=...); text stays text."""
    text = isinstance(value, str)
    out = WriteOnlyCell(ws, excel_text(value) if text else value)
    if text:
        # Set after the value: openpyxl infers "f" for "=..." and "e" for "#N/A"; "s" keeps text.
        out.data_type = "s"
    if number_format is not None:
        out.number_format = number_format
    for name, spec in style.items():
        setattr(out, name, spec)
    return out


def local_time(value: datetime) -> datetime:
    # Excel has no time zones: show aware times in the user's local zone.
    if value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value


def duration(started: datetime, finished: datetime) -> str:
    seconds = max(0, round((finished - started).total_seconds()))
    return str(timedelta(seconds=seconds))
