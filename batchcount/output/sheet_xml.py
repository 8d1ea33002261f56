"""The streamed Results sheet as raw XML: cells written as text (never formulas), Excel
date-times, the optional extra columns, and the splice of the rows into the openpyxl package.

Kept apart from the workbook's layout (`workbook.py`): this is the part that makes 100k rows
fast and memory-flat, and it knows the file format, not the sheet's meaning.
"""

from __future__ import annotations

import io
import math
import shutil
import time
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any

from batchcount.output.columns import ExtraColumn
from batchcount.output.style import COUNT_FORMAT, excel_text
from batchcount.output.style import cell as _cell

__all__ = ["PERCENT_FORMAT", "ExtraCells", "excel_serial", "splice", "xml_text"]

XLSX_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PERCENT_FORMAT = "+0.0%;-0.0%;0.0%"


class ExtraCells:
    """The cells of the extra columns (`ExtraColumn`): numbers, percentages and date-times
    with their formats, text as inline strings; None (or a non-finite number) leaves it blank."""

    def __init__(self, ws: Any, columns: Sequence[ExtraColumn], time_style: int) -> None:
        self.columns = list(columns)
        formats = {"count": COUNT_FORMAT, "percent": PERCENT_FORMAT}
        self.styles = [
            time_style
            if c.kind == "datetime"
            else _cell(ws, 0.0, formats[c.kind]).style_id
            if c.kind in formats
            else 0
            for c in self.columns
        ]

    def xml(self, letters: Sequence[str], r: str, values: Sequence[Any]) -> list[str]:
        parts: list[str] = []
        for letter, style, value in zip(letters, self.styles, values, strict=False):
            ref = letter + r
            if isinstance(value, datetime):
                parts.append(f'<c r="{ref}" s="{style}"><v>{excel_serial(value)!r}</v></c>')
            elif isinstance(value, str):
                if value:
                    parts.append(xml_text(ref, value))
            elif (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
            ):
                parts.append(f'<c r="{ref}" s="{style}"><v>{value!r}</v></c>')
        return parts

    def shown(self, values: Sequence[Any]) -> list[str]:
        """Roughly what each cell displays, for the column widths."""
        texts = []
        for column, value in zip(self.columns, values, strict=False):
            if value is None:
                texts.append("")
            elif column.kind == "datetime":
                texts.append("yyyy-mm-dd hh:mm:ss")
            elif column.kind == "percent":
                texts.append("+100.0%")
            elif column.kind == "count" and isinstance(value, (int, float)):
                texts.append(f"{value:,.0f}")
            else:
                texts.append(str(value))
        return texts + [""] * (len(self.columns) - len(texts))


_EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_serial(when: datetime) -> float:
    """An Excel date-time serial in UTC (Excel has no zones: the header says UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return round((when - _EXCEL_EPOCH).total_seconds() / 86400, 8)


def xml_text(ref: str, value: str, style: int | None = None) -> str:
    """An inline-string cell: `t="inlineStr"` is text to Excel, never a formula or error."""
    text = excel_text(value)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r", "&#13;")  # a raw CR would be normalised away by XML parsers
    styled = f' s="{style}"' if style is not None else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def splice(
    shell: io.BytesIO, sheet_part: str, body: IO[bytes], out: IO[bytes], *, macro_enabled: bool
) -> None:
    """Copy the openpyxl package to `out`, inserting the streamed rows after the header row."""
    shell.seek(0)
    with (
        zipfile.ZipFile(shell) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            if name == "[Content_Types].xml" and macro_enabled:
                # Excel refuses an .xlsm typed as .xlsx; the type alone is enough (no macros).
                data = data.replace(XLSX_MAIN_TYPE, XLSM_MAIN_TYPE)
            if name != sheet_part:
                target.writestr(name, data)
                continue
            head, end_tag, tail = data.partition(b"</sheetData>")
            if not end_tag:
                raise RuntimeError(f"openpyxl wrote {sheet_part} without sheetData")
            info = zipfile.ZipInfo(name, time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(info, "w", force_zip64=True) as dest:
                dest.write(head)
                body.seek(0)
                shutil.copyfileobj(body, dest, 1 << 20)
                dest.write(end_tag + tail)
