"""The input side, wired: read -> map columns -> validate + canonicalise -> plan.

`check` and `run` share it, so what `check` approves is exactly what `run` sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

from batchcount.errors import UsageError
from batchcount.perf import gc_paused
from batchcount.plan.estimate import Plan, make_plan
from batchcount.plan.mapping import (
    ColumnMap,
    MappingFile,
    guess_field,
    header_label,
    load_mapping_file,
    map_columns,
    parse_map_options,
)
from batchcount.plan.rows import Mode, RowCheck, RowOptions, constant_errors
from batchcount.plan.rows import check_rows as rows_checked
from batchcount.plan.separators import declared_separators, resolve_separators
from batchcount.plan.sheetplan import plan_sheet
from batchcount.plan.skips import Skips
from batchcount.read.sheet import Sheet, column_label, read_sheet


@dataclass(frozen=True)
class InputOptions:
    path: Path
    sheet: str | None = None
    encoding: str | None = None
    maps: Sequence[str] = ()
    mapping_file: Path | None = None
    separator: str | None = None
    mode: str | None = None
    allow_unknown: bool = False
    column_separators: Sequence[str] = ()  # --separator "COLUMN=TEXT" (one column each)
    fill_down: Sequence[str] = ()  # --fill-down COLUMN
    include_hidden: bool = False  # --include-hidden


@dataclass
class Prepared:
    sheet: Sheet
    columns: ColumnMap
    row_options: RowOptions
    plan: Plan
    mapping: MappingFile | None = None
    notes: list[str] = field(default_factory=list)
    skips: Skips = field(default_factory=Skips)  # rows skipped for a reason (totals, hidden)

    @property
    def mode(self) -> str:
        return self.row_options.mode


@gc_paused()  # ~1M long-lived objects on a 100k-row sheet: full GC passes cost a third
def prepare(options: InputOptions) -> Prepared:
    """Everything up to the plan. Raises UsageError / InputFileError; never sends anything."""
    overrides = parse_map_options(options.maps)  # option errors first: cheaper than reading
    mapping = load_mapping_file(options.mapping_file) if options.mapping_file else None
    named = {h.casefold() for h in [*overrides, *(mapping.columns if mapping else {})]}

    def is_header(cells: list[str]) -> bool:
        return any(guess_field(c) or c.strip().casefold() in named for c in cells if c)

    sheet = read_sheet(
        options.path, sheet=options.sheet, encoding=options.encoding, is_header=is_header
    )
    columns = map_columns(sheet.headers, overrides, mapping, lambda i: _sample(sheet, i))
    separator = options.separator or (mapping.separator if mapping else None) or ";"
    mode = cast(Mode, options.mode or (mapping.mode if mapping else None) or "realtime")
    row_options = RowOptions(separator=separator, mode=mode, allow_unknown=options.allow_unknown)
    by_column = resolve_separators(options.column_separators, sheet.headers, list(columns.fields))
    declared: dict[int, str] = {}
    if not options.separator and not (mapping and mapping.separator):
        declared = declared_separators(sheet.headers, columns)  # "Industries (comma-separated)"
        by_column = declared | by_column
    row_options = replace(row_options, column_separators=tuple(sorted(by_column.items())))
    problems = constant_errors(columns.constants, row_options)
    if problems:
        raise UsageError(f"--mapping {options.mapping_file}: {problems[0]}")
    plan, skips = plan_sheet(
        sheet,
        columns,
        row_options,
        _row_problems(sheet, columns),
        fill_down=options.fill_down,
        include_hidden=options.include_hidden,
    )
    notes = [
        f"column '{header_label(sheet.headers, i)}' is split on '{sep}' as its header says"
        for i, sep in declared.items()
        if by_column.get(i) == sep  # an explicit --separator for the column wins
    ]
    return Prepared(sheet, columns, row_options, plan, mapping, notes, skips)


def check_rows(sheet: Sheet, columns: ColumnMap, options: RowOptions) -> list[RowCheck]:
    """Row by row (the reference the columnar check is tested against)."""
    problems = _row_problems(sheet, columns)
    return rows_checked(sheet.row_numbers, sheet.rows, sheet.headers, columns, options, problems)


def plan_one_by_one(sheet: Sheet, columns: ColumnMap, options: RowOptions) -> Plan:
    return make_plan(check_rows(sheet, columns, options), options.mode)


def _row_problems(sheet: Sheet, columns: ColumnMap) -> dict[int, str]:
    """The reader's row problems, plus cells of sent columns that read as empty or as an
    error although Excel shows something (uncalculated formula, #N/A, merged cells): sending
    such a row would silently drop or garble a filter."""
    if not sheet.cell_problems and not sheet.merged:
        return sheet.row_problems
    found: dict[int, list[str]] = {}
    for (row, col), text in sorted(sheet.cell_problems.items()):
        if col in columns.fields:
            found.setdefault(row, []).append(f"{_cell_name(sheet, row, col)} {text}")
    if sheet.merged and sheet.row_numbers:
        first, last = sheet.row_numbers[0], sheet.row_numbers[-1]
        for col in sorted(columns.fields):
            covering = sorted(m for m in sheet.merged if m.first_col <= col <= m.last_col)
            done = first - 1  # rows up to here are already reported for this column
            for merge in covering:  # overlapping ranges (hostile files) cost no extra rows
                start = max(merge.first_row, first, done + 1)
                for row in range(start, min(merge.last_row, last) + 1):
                    if (row, col) == (merge.first_row, merge.first_col):
                        continue  # the top-left cell holds the value
                    if sheet.rows[row - first][col].strip():
                        continue
                    found.setdefault(row, []).append(
                        f"{_cell_name(sheet, row, col)} is empty because it is part of the "
                        f"merged cells {merge.ref} (only the first cell holds the value); "
                        "unmerge them in Excel and fill in every row"
                    )
                done = max(done, min(merge.last_row, last))
    merged = dict(sheet.row_problems)
    for row, texts in found.items():
        merged[row] = "; ".join([*([merged[row]] if row in merged else []), *texts])
    return merged


def _sample(sheet: Sheet, index: int, rows: int = 200, values: int = 20) -> list[str]:
    """A few distinct values of one column (for did-you-mean hints)."""
    found = dict.fromkeys(
        r[index] for r in sheet.rows[:rows] if index < len(r) and r[index].strip()
    )
    return list(found)[:values]


def _cell_name(sheet: Sheet, row: int, col: int) -> str:
    return f"cell {column_label(col)}{row} ({header_label(sheet.headers, col)})"
