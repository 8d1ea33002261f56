"""`check --fix OUT.xlsx`: a copy of the input with the safe fixes applied (green, listed on a
`Fixes` sheet) and every cell that needs a person highlighted with its message as a comment
(red: the row is not sent; yellow: sent, worth a look).

An .xlsx/.xlsm input is loaded whole with openpyxl (other sheets, formats, formulas, widths
kept); any other input (CSV, XLS, ODS) becomes a new .xlsx with the same rows at the same
row numbers. The input itself is never opened for writing.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from batchcount.errors import UsageError
from batchcount.output.atomic import atomic_output
from batchcount.output.style import HEADER_FONT, INPUT_HEADER_FILL, WRAP, excel_text
from batchcount.plan.fixes import FixPlan
from batchcount.plan.mapping import header_label
from batchcount.read.sheet import Sheet, read_records

FIXED_FILL = PatternFill("solid", fgColor="C6EFCE")  # green: changed by batchcount
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")  # red: the row is not sent until fixed
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")  # yellow: sent, but look at it
AUTHOR = "batchcount"
FIXES_HEADERS = ("row", "column", "before", "after", "why", "cell")
TEXT_FORMAT = "@"  # a fixed bucket typed as text stays text: Excel cannot date-mangle it again
_KEEPS_FORMATTING = ("xlsx", "xlsm")
_LOST_PARTS = (("xl/charts/", "charts"), ("xl/media/", "images"), ("xl/pivotTables/", "pivots"))


@dataclass
class FixCopy:
    path: Path
    fixed: int
    needs_you: int
    notes: list[str] = field(default_factory=list)


def check_fix_path(out: Path, source: Path) -> None:
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"--fix {out}: the fixed copy is an Excel workbook; name it *.xlsx.")
    try:
        same = out.exists() and out.resolve() == source.resolve()
    except OSError:
        same = False
    if same:
        raise UsageError(
            f"--fix {out} is the input file; the input is never changed. Choose another name."
        )
    if not out.parent.is_dir():
        raise UsageError(f"--fix {out}: the folder {out.parent} does not exist.")


def write_fixed_copy(sheet: Sheet, plan: FixPlan, out: Path) -> FixCopy:
    """Write the copy atomically; the input is only read."""
    notes: list[str] = []
    wb, ws = None, None
    if sheet.format in _KEEPS_FORMATTING:
        try:
            wb = openpyxl.load_workbook(sheet.path)  # not read-only: styles and sheets kept
            ws = wb[sheet.sheet_name] if sheet.sheet_name else wb.active
            notes += _lost_parts(sheet.path)
        except Exception:  # openpyxl is stricter than the reader that already read it
            notes.append(
                "its formatting could not be copied (openpyxl cannot open it): values only"
            )
            wb = None
    if wb is None or ws is None:
        wb, ws = _plain_copy(sheet)
        if sheet.format not in _KEEPS_FORMATTING:
            notes.append(
                f"the input is {sheet.format.upper()}: the fixed copy is a new .xlsx with the "
                "same rows at the same row numbers (open it in Excel; save as CSV if needed)"
            )
    first_col = next((i for i, h in enumerate(sheet.headers) if h.strip()), 0)
    marks: dict[tuple[int, int], _Mark] = {}
    for fix in plan.fixes:
        target = ws.cell(fix.row, fix.col + 1)
        if isinstance(target, MergedCell):
            continue
        target.value = excel_text(fix.after)
        target.data_type = "s"
        target.number_format = TEXT_FORMAT
        mark = marks.setdefault((fix.row, fix.col), _Mark())
        mark.texts.append(f"Fixed by batchcount: '{fix.before}' → '{fix.after}' ({fix.why})")
        mark.rank = max(mark.rank, 1)
    for problem in plan.problems:
        col = problem.col if problem.col is not None else first_col
        mark = marks.setdefault((problem.row, col), _Mark())
        mark.texts.extend(problem.messages)
        mark.rank = max(mark.rank, 3 if problem.severity == "error" else 2)
    for (row, col), mark in marks.items():
        _annotate(ws, row, col, mark)
    _fixes_sheet(wb, sheet, plan)
    buffer = io.BytesIO()
    wb.save(buffer)
    with atomic_output(out) as fh:
        fh.write(buffer.getvalue())
    needs_you = sum(1 for m in marks.values() if m.rank >= 2)
    return FixCopy(out, len(plan.fixes), needs_you, notes)


@dataclass
class _Mark:
    texts: list[str] = field(default_factory=list)
    rank: int = 0  # 1 fixed, 2 warning, 3 error: the strongest colour wins


_FILLS = {1: FIXED_FILL, 2: WARNING_FILL, 3: ERROR_FILL}


def _annotate(ws: Any, row: int, col: int, mark: _Mark) -> None:
    target = ws.cell(row, col + 1)
    if isinstance(target, MergedCell):  # only a range's top-left cell takes a comment
        for merged in ws.merged_cells.ranges:
            if target.coordinate in merged:
                target = ws.cell(merged.min_row, merged.min_col)
                break
    target.fill = _FILLS[mark.rank]
    text = "\n".join(excel_text(t) for t in mark.texts)
    if target.comment is not None and target.comment.author != AUTHOR:
        text = f"{target.comment.text}\n\n{text}"  # the analyst's own note stays
    comment = Comment(text[:30_000], AUTHOR)
    lines = sum(1 + len(t) // 50 for t in text.splitlines())
    comment.width = 360
    comment.height = min(600, 24 + 16 * lines)
    target.comment = comment


def _plain_copy(sheet: Sheet) -> tuple[Any, Any]:
    """A new workbook with every record at its own row number, all cells as text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = _sheet_title(sheet.sheet_name or sheet.path.stem)
    try:
        records: Sequence[Sequence[str]] = read_records(
            sheet.path, sheet=sheet.sheet_name, encoding=sheet.encoding
        )
    except Exception:  # read once already; if a second read fails, rebuild from the table
        records = [[]] * (sheet.header_row - 1) + [sheet.headers, *sheet.rows]
    for r, record in enumerate(records, 1):
        for c, value in enumerate(record, 1):
            if value:
                target = ws.cell(r, c)
                target.value = excel_text(value)
                target.data_type = "s"  # "=1+1" stays text, as in the input
    for index, header in enumerate(sheet.headers):
        if header.strip():
            target = ws.cell(sheet.header_row, index + 1)
            target.font = Font(bold=True)
            width = max(len(header), *(len(r[index]) for r in sheet.rows[:200] if index < len(r)))
            ws.column_dimensions[get_column_letter(index + 1)].width = min(50, width + 2)
    ws.freeze_panes = ws.cell(sheet.header_row + 1, 1).coordinate
    return wb, ws


def _sheet_title(name: str) -> str:
    cleaned = "".join(ch for ch in name if ch not in "[]:*?/\\").strip("'") or "Sheet1"
    return cleaned[:31]


def _lost_parts(path: Path) -> list[str]:
    """openpyxl drops charts, images and pivot tables when it copies a workbook: say so."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return []
    lost = [what for prefix, what in _LOST_PARTS if any(n.startswith(prefix) for n in names)]
    if not lost:
        return []
    return [f"the input's {', '.join(lost)} are not copied (openpyxl cannot keep them)"]


def _fixes_sheet(wb: Any, sheet: Sheet, plan: FixPlan) -> None:
    title = "Fixes"
    n = 2
    while title in wb.sheetnames:
        title = f"Fixes {n}"
        n += 1
    ws = wb.create_sheet(title)
    for c, name in enumerate(FIXES_HEADERS, 1):
        head = ws.cell(1, c, name)
        head.font = HEADER_FONT
        head.fill = INPUT_HEADER_FILL
    for r, fix in enumerate(plan.fixes, 2):
        values = [
            fix.row,
            header_label(sheet.headers, fix.col),
            fix.before,
            fix.after,
            fix.why,
            f"{get_column_letter(fix.col + 1)}{fix.row}",
        ]
        for c, value in enumerate(values, 1):
            target = ws.cell(r, c, excel_text(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                target.data_type = "s"
            if c == 5:
                target.alignment = WRAP
    if not plan.fixes:
        ws.cell(2, 1, "No automatic fixes were needed.")
    widths = (8, 24, 30, 30, 70, 8)
    for c, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    if plan.fixes:
        ws.auto_filter.ref = f"A1:F{len(plan.fixes) + 1}"
