"""The input side, wired: read -> map columns -> validate + canonicalise -> plan.

`check` and `run` share it, so what `check` approves is exactly what `run` sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from batchcount.errors import UsageError
from batchcount.mapping import (
    ColumnMap,
    MappingFile,
    guess_field,
    load_mapping_file,
    map_columns,
    parse_map_options,
)
from batchcount.plan import Plan, make_plan
from batchcount.rows import Mode, RowCheck, RowOptions, check_row, constant_errors
from batchcount.sheet import Sheet, read_sheet


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


@dataclass
class Prepared:
    sheet: Sheet
    columns: ColumnMap
    row_options: RowOptions
    plan: Plan
    mapping: MappingFile | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return self.row_options.mode


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
    columns = map_columns(sheet.headers, overrides, mapping)
    separator = options.separator or (mapping.separator if mapping else None) or ";"
    mode = cast(Mode, options.mode or (mapping.mode if mapping else None) or "realtime")
    row_options = RowOptions(separator=separator, mode=mode, allow_unknown=options.allow_unknown)
    problems = constant_errors(columns.constants, row_options)
    if problems:
        raise UsageError(f"--mapping {options.mapping_file}: {problems[0]}")
    checks = check_rows(sheet, columns, row_options)
    return Prepared(sheet, columns, row_options, make_plan(checks, mode), mapping)


def check_rows(sheet: Sheet, columns: ColumnMap, options: RowOptions) -> list[RowCheck]:
    problems = sheet.row_problems
    headers = sheet.headers
    return [
        check_row(number, cells, headers, columns, options, problems.get(number))
        for number, cells in zip(sheet.row_numbers, sheet.rows, strict=True)
    ]
