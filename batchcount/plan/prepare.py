"""The input side, wired: read -> map columns -> validate + canonicalise -> plan.

`check` and `run` share it, so what `check` approves is exactly what `run` sends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import cast

from batchcount.errors import UsageError
from batchcount.perf import gc_paused
from batchcount.plan.aliases import guess_field
from batchcount.plan.estimate import Plan, make_plan
from batchcount.plan.explode import DEFAULT_MAX_SEGMENTS, Explosion, resolve_columns
from batchcount.plan.explodeplan import plan_exploded
from batchcount.plan.mapping import (
    ColumnMap,
    MappingFile,
    header_label,
    load_mapping_file,
    map_columns,
    parse_map_options,
)
from batchcount.plan.row_problems import row_problems
from batchcount.plan.rows import Mode, RowCheck, RowOptions, constant_errors
from batchcount.plan.rows import check_rows as rows_checked
from batchcount.plan.separators import declared_separators, resolve_separators
from batchcount.plan.sheetplan import plan_sheet
from batchcount.plan.skips import Skips
from batchcount.read.frame import sheet_from_data
from batchcount.read.sheet import HEADERLESS, Sheet, read_sheet


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
    # An in-memory table (polars/pandas DataFrame, list of dicts) read instead of `path`,
    # which then only names it in messages (read.frame).
    data: object = None
    explode: Sequence[str] = ()  # --explode COLUMN (header or field), repeatable
    max_segments: int = DEFAULT_MAX_SEGMENTS  # rows above it are named (and refused with -y)
    header_row: int | None = None  # --header-row: 1-based sheet row of the header
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
    explosion: Explosion | None = None  # with --explode: the segments of every row
    max_segments: int = DEFAULT_MAX_SEGMENTS
    skips: Skips = field(default_factory=Skips)  # rows skipped for a reason (totals, hidden)

    @property
    def mode(self) -> str:
        return self.row_options.mode

    @property
    def result_cells(self) -> Sequence[Sequence[str]]:
        """The cells of each plan row (a segment's exploded cells hold its one value)."""
        return self.explosion.cells if self.explosion is not None else self.sheet.rows

    @property
    def large_rows(self) -> list[tuple[int, int]]:
        """(row number, segments) of rows that expand beyond --max-segments."""
        if self.explosion is None:
            return []
        return [(s.row_number, s.segments) for s in self.explosion.large_rows(self.max_segments)]


@gc_paused()  # ~1M long-lived objects on a 100k-row sheet: full GC passes cost a third
def prepare(options: InputOptions) -> Prepared:
    """Everything up to the plan. Raises UsageError / InputFileError; never sends anything."""
    overrides = parse_map_options(options.maps)  # option errors first: cheaper than reading
    if options.max_segments < 1:
        raise UsageError(f"--max-segments {options.max_segments}: use 1 or more.")
    mapping = load_mapping_file(options.mapping_file) if options.mapping_file else None
    sheet = read_input(options, overrides, mapping)
    try:
        columns = map_columns(sheet.headers, overrides, mapping, lambda i: _sample(sheet, i))
    except UsageError as exc:
        if sheet.header_row == 0:  # a one-column list without a header line
            raise UsageError(_headerless_message(sheet)) from None
        raise exc from None
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
    explosion = None
    if options.explode:  # small territory grids: segments checked row by row
        chosen = resolve_columns(options.explode, sheet.headers, columns)
        plan, skips, explosion = plan_exploded(
            sheet,
            columns,
            row_options,
            row_problems(sheet, columns),
            chosen,
            fill_down=options.fill_down,
            include_hidden=options.include_hidden,
        )
    else:
        plan, skips = plan_sheet(
            sheet,
            columns,
            row_options,
            row_problems(sheet, columns),
            fill_down=options.fill_down,
            include_hidden=options.include_hidden,
        )
    notes = [
        f"column '{header_label(sheet.headers, i)}' is split on '{sep}' as its header says"
        for i, sep in declared.items()
        if by_column.get(i) == sep  # an explicit --separator for the column wins
    ]
    return Prepared(
        sheet,
        columns,
        row_options,
        plan,
        mapping,
        notes,
        explosion=explosion,
        max_segments=options.max_segments,
        skips=skips,
    )


def read_input(
    options: InputOptions,
    overrides: dict[str, str | None] | None = None,
    mapping: MappingFile | None = None,
) -> Sheet:
    """The input as header + text rows: the in-memory table, or the file (its header found
    below a title block by the headers that map to fields)."""
    if options.data is not None:
        return sheet_from_data(options.data)
    if overrides is None:
        overrides = parse_map_options(options.maps)
        mapping = load_mapping_file(options.mapping_file) if options.mapping_file else None
    named = [*overrides, *(mapping.columns if mapping else {})]
    return read_sheet(
        options.path,
        sheet=options.sheet,
        encoding=options.encoding,
        header_score=header_scorer(named),
        header_row=options.header_row,
    )


def header_scorer(named: Sequence[str] = ()) -> Callable[[Sequence[str]], float]:
    """How much a row looks like a header: the cells that name a field (by name or alias) or
    a column given in --map / the mapping file. read uses it to find the header row and
    the sheet; it lives here because read must not know the field names."""
    names = {n.strip().casefold() for n in named}

    @cache  # the sheet choice and the header search look at the same first rows
    def names_field(text: str) -> bool:
        return text.casefold() in names or guess_field(text) is not None

    def score(cells: Sequence[str]) -> float:
        found = 0
        for cell in cells:
            text = cell.strip()
            if text and len(text) <= _HEADER_CELL_MAX and names_field(text):
                found += 1
        return float(found)

    return score


_HEADER_CELL_MAX = 80  # a header is a few words; a pasted paragraph is not looked up


def _headerless_message(sheet: Sheet) -> str:
    first = sheet.rows[0][0] if sheet.rows and sheet.rows[0] else ""
    shown = first if len(first) <= 40 else first[:39] + "…"
    return (
        f"{sheet.path} is a list with one value per line and no header: its first line "
        f"{shown!r} is not a field name. Add a first line naming the field (e.g. 'Job Titles', "
        f"'Locations', 'Company Industries'), or say which field the lines are with "
        f'--map "{HEADERLESS}=job_titles" (every line is then one segment). If {shown!r} is '
        f'the header, pass --map "{shown}=job_titles"'
    )


def check_rows(
    sheet: Sheet, columns: ColumnMap, options: RowOptions, explosion: Explosion | None = None
) -> list[RowCheck]:
    """Row by row (the reference the columnar check is tested against; no skips, no
    fill-down)."""
    problems = row_problems(sheet, columns)
    if explosion is None:
        return rows_checked(
            sheet.row_numbers, sheet.rows, sheet.headers, columns, options, problems
        )
    if explosion.too_many:
        problems = dict(problems)
        for row, text in explosion.too_many.items():
            problems[row] = "; ".join([*([problems[row]] if row in problems else []), text])
    return rows_checked(
        explosion.row_numbers, explosion.cells, sheet.headers, columns, options, problems
    )


def plan_one_by_one(sheet: Sheet, columns: ColumnMap, options: RowOptions) -> Plan:
    return make_plan(check_rows(sheet, columns, options), options.mode)


def _sample(sheet: Sheet, index: int, rows: int = 200, values: int = 20) -> list[str]:
    """A few distinct values of one column (for did-you-mean hints)."""
    found = dict.fromkeys(
        r[index] for r in sheet.rows[:rows] if index < len(r) and r[index].strip()
    )
    return list(found)[:values]
