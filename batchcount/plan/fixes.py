"""`check --fix`: which cells can be repaired safely, and which need a person.

A safe fix is exactly what validation already does with a note: the canonical spelling of a
vocabulary value ('software development' -> 'Software Development'), the API's spelling of a
headcount bucket, Excel's date damage undone ('10-Jan' -> '1-10'), a country abbreviation
spelt out, a seniority label turned into its code, a repeated value dropped. The request a
fixed row makes is the one the original row made (checked row by row; a row whose request
would change keeps its cells). Everything else (errors, warnings) is left for a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from batchcount.plan.cells import split_list
from batchcount.plan.fields import all_fields
from batchcount.plan.mapping import ColumnMap, header_label
from batchcount.plan.prepare import Prepared
from batchcount.plan.row_problems import row_problems
from batchcount.plan.rows import RowOptions, check_cell, check_row
from batchcount.plan.separators import column_ref
from batchcount.plan.vocabulary import check_values, checked_fields


@dataclass(frozen=True)
class CellFix:
    row: int  # the spreadsheet's row number
    col: int  # 0-based column
    before: str
    after: str
    why: str


@dataclass(frozen=True)
class CellProblem:
    row: int
    col: int | None  # None: about the row as a whole (no filter, two company columns, ...)
    messages: tuple[str, ...]  # as `check` prints them: "row 7, Industry: ..."
    severity: str  # "error" (the row is not sent) or "warning" (sent, worth a look)


@dataclass
class FixPlan:
    fixes: list[CellFix] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # rows whose fixes would change the request


_WHY = {
    "company_headcounts": "the API's spelling of the headcount bucket",
    "exclude_company_headcounts": "the API's spelling of the headcount bucket",
    "seniorities": "the API's documented seniority code for this label",
    "company_types": "the exact company type name",
    "functions": "the exact job function name",
    "exclude_functions": "the exact job function name",
    "filter_empty_vars": "the exact value name",
}
_LOCATION_WHY = "country abbreviation spelt out (the API rejects abbreviations)"
_INDUSTRY_WHY = "the exact LinkedIn industry name (the API counts 0 for any other spelling)"


def _why(name: str, notes: Sequence[str]) -> str:
    """Why a cell was changed, in a reader's words (one reason per kind of change)."""
    reasons: dict[str, None] = {}
    for note in notes:
        if note.startswith("duplicate "):
            reasons["a repeated value is dropped"] = None
        elif "looks like Excel turned" in note:
            reasons["Excel had turned the bucket into a date; stored as text now"] = None
        elif name.endswith("locations"):
            reasons[_LOCATION_WHY] = None
        elif name.endswith("industries"):
            reasons[_INDUSTRY_WHY] = None
        else:
            reasons[_WHY.get(name, "the canonical spelling")] = None
    return "; ".join(reasons)


def _joiner(text: str, separator: str) -> str:
    """Join fixed values the way the cell joined them: '; ' or ';' or a line break."""
    if separator not in text and "\n" in text:
        return "\n"
    return f"{separator} " if f"{separator} " in text else separator


def fixed_text(
    name: str, text: str, options: RowOptions, index: int = -1
) -> tuple[str, tuple[str, ...]] | None:
    """(fixed cell text, why) when the cell has a safe fix, else None.

    `index` is the cell's column: a per-column `--separator` splits and joins it.
    """
    if name not in checked_fields() or all_fields()[name].kind != "str_list":
        return None
    result = check_cell(name, text, options, index)
    if not result.notes:
        return None
    separator = options.separator_at(index)
    values = split_list(text, separator)
    out: dict[str, None] = {}  # ordered set: a repeated value is dropped, as validation does
    for value in values:
        one = check_values(name, [value], allow_unknown=options.allow_unknown)
        if one.errors or one.warnings or not one.notes:
            out[value] = None  # a person decides (or nothing to change)
        else:
            out.update(dict.fromkeys(one.values))
    after = _joiner(text, separator).join(out)
    if list(out) == values and after == text:
        return None
    return after, result.notes


def plan_fixes(
    row_numbers: Sequence[int],
    rows: Sequence[Sequence[str]],
    headers: Sequence[str],
    columns: ColumnMap,
    options: RowOptions,
    row_problems: Mapping[int, str],
) -> FixPlan:
    plan = FixPlan()
    for number, cells in zip(row_numbers, rows, strict=True):
        original = check_row(number, cells, headers, columns, options, row_problems.get(number))
        if original.status == "blank":
            continue
        fixed = list(cells)
        row_fixes: list[CellFix] = []
        cell_messages: set[str] = set()
        for index, name in sorted(columns.fields.items()):
            text = cells[index] if index < len(cells) else ""
            if not text.strip():
                continue
            where = f"row {number}, {header_label(headers, index)}: "
            result = check_cell(name, text, options, index, column_ref(headers, index))
            errors = tuple(where + e for e in result.errors)
            warnings = tuple(where + w for w in result.warnings)
            cell_messages.update(errors + warnings + tuple(where + n for n in result.notes))
            if errors or warnings:
                severity = "error" if errors else "warning"
                plan.problems.append(CellProblem(number, index, errors + warnings, severity))
            fix = fixed_text(name, text, options, index)
            if fix is not None:
                fixed[index] = fix[0]
                row_fixes.append(CellFix(number, index, text, fix[0], _why(name, fix[1])))
        if row_fixes:
            again = check_row(number, fixed, headers, columns, options, row_problems.get(number))
            if again.body == original.body:
                plan.fixes.extend(row_fixes)
            else:  # never a fix that changes what is counted
                plan.kept.append(number)
        rest = [m for m in original.errors if m not in cell_messages]
        warned = [m for m in original.warnings if m not in cell_messages]
        if rest or warned:
            severity = "error" if rest else "warning"
            plan.problems.append(CellProblem(number, None, (*rest, *warned), severity))
    return plan


def fixes_for(prepared: Prepared) -> FixPlan:
    """The fix plan of a prepared input: its own cells (not its exploded segments)."""
    sheet = prepared.sheet
    problems = dict(row_problems(sheet, prepared.columns))
    if prepared.explosion is not None:
        for row, text in prepared.explosion.too_many.items():
            problems[row] = "; ".join([*([problems[row]] if row in problems else []), text])
    return plan_fixes(
        sheet.row_numbers,
        sheet.rows,
        sheet.headers,
        prepared.columns,
        prepared.row_options,
        problems,
    )
