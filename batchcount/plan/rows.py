"""Validate one spreadsheet row and build its request body.

Every message names the spreadsheet row, the column header, the value and the fix. A row we
can tell is wrong is `invalid` and never sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from batchcount.plan.cells import Cell, constant_cell, parse_cell
from batchcount.plan.commas import (
    COMMA_LISTS,
    LOCATION_FIELDS,
    comma_title_warning,
    country_list_problems,
)
from batchcount.plan.fields import all_fields
from batchcount.plan.mapping import ColumnMap, header_label
from batchcount.plan.row_rules import structure_errors
from batchcount.plan.separators import column_ref
from batchcount.plan.vocabulary import check_values, checked_fields
from batchcount.shown import INVISIBLE, shown

Status = Literal["valid", "invalid", "blank", "skipped"]
Mode = Literal["realtime", "database"]


@dataclass(frozen=True)
class RowOptions:
    separator: str = ";"
    mode: Mode = "realtime"
    allow_unknown: bool = False
    column_separators: tuple[tuple[int, str], ...] = ()  # (column index, separator)

    def separator_at(self, index: int) -> str:
        for column, separator in self.column_separators:
            if column == index:
                return separator
        return self.separator


@dataclass(frozen=True)
class RowCheck:
    row_number: int
    status: Status
    body: dict[str, Any] | None  # the request body (valid rows; invalid rows: what we could build)
    notes: tuple[str, ...] = ()  # what we repaired or canonicalised
    warnings: tuple[str, ...] = ()  # sent anyway, worth a look
    errors: tuple[str, ...] = ()  # why the row is invalid


@dataclass(frozen=True)
class _FieldResult:
    value: Any
    errors: tuple[str, ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]


@lru_cache(maxsize=131072)
def _field_result(
    name: str, text: str, separator: str, allow_unknown: bool, column: str = ""
) -> _FieldResult:
    """One cell's outcome; `column` names the column in advice (`--separator "COLUMN=,"`)."""
    result = _from_cell(
        name, parse_cell(name, text, separator), allow_unknown, text, separator, column
    )
    if INVISIBLE.search(text):  # messages quote the cell: make NUL and the like visible
        return _FieldResult(
            result.value,
            tuple(map(shown, result.errors)),
            tuple(map(shown, result.notes)),
            tuple(map(shown, result.warnings)),
        )
    return result


def check_cell(
    name: str, text: str, options: RowOptions, index: int = -1, column: str = ""
) -> _FieldResult:
    """What `check_row` finds in one sent cell: its value, errors, notes (repairs), warnings.

    `index` picks the column's own separator (per-column `--separator`); `column` names the
    column in advice. Messages carry no row/column prefix; `check_row` adds "row N, Header: ".
    """
    return _field_result(name, text, options.separator_at(index), options.allow_unknown, column)


def _from_cell(
    name: str, cell: Cell, allow_unknown: bool, text: str, separator: str, column: str = ""
) -> _FieldResult:
    if cell.error:
        return _FieldResult(None, (cell.error,), (), ())
    value = cell.value
    if name in COMMA_LISTS and separator != "," and isinstance(value, tuple):
        warning = comma_title_warning(value, separator, column, text)
        if warning:
            return _FieldResult(value, (), (cell.note,) if cell.note else (), (warning,))
    if value is None or name not in checked_fields() or not isinstance(value, tuple):
        return _FieldResult(value, (), (cell.note,) if cell.note else (), ())
    check = check_values(name, value, allow_unknown=allow_unknown)
    errors, warnings = check.errors, check.warnings
    if name in LOCATION_FIELDS and separator != "," and "," in text:
        listed, listed_warnings = country_list_problems(
            value, separator, column, text, allow_unknown
        )
        if listed or listed_warnings:
            return _FieldResult(
                check.values or None,
                (*errors, *listed),
                check.notes,
                (*warnings, *listed_warnings),
            )
    if errors and separator != "," and "," in text:
        errors = (*errors, f"(several values in one cell are separated by '{separator}')")
    return _FieldResult(check.values or None, errors, check.notes, warnings)


def constant_errors(constants: dict[str, Any], options: RowOptions) -> list[str]:
    """Problems with mapping-file constants: checked once, before any row."""
    return [
        f"constants.{name}: {error}"
        for name, value in constants.items()
        for error in constant_result(name, value, options).errors
    ]


def constant_result(name: str, value: Any, options: RowOptions) -> _FieldResult:
    cell = constant_cell(name, value, options.separator)
    return _from_cell(name, cell, options.allow_unknown, "", options.separator)


_ORDER = {name: i for i, name in enumerate(all_fields())}


def check_row(
    row_number: int,
    cells: Sequence[str],
    headers: Sequence[str],
    columns: ColumnMap,
    options: RowOptions,
    problem: str | None = None,
) -> RowCheck:
    """Turn one row's cells into a request body, or say exactly why it cannot be sent."""
    if _blank(cells):
        return RowCheck(row_number, "blank", None)
    errors: list[str] = [_row_problem(row_number, problem)] if problem else []
    notes: list[str] = []
    warnings: list[str] = []
    body: dict[str, Any] = {}
    source: dict[str, str] = {}  # field -> column label, for messages

    for index, name in columns.fields.items():
        text = cells[index] if index < len(cells) else ""
        if not text:
            continue
        result = _field_result(
            name,
            text,
            options.separator_at(index),
            options.allow_unknown,
            column_ref(headers, index),
        )
        if not (result.errors or result.notes or result.warnings):
            if result.value is not None:
                body[name] = result.value
                source[name] = ""
            continue
        where = f"row {row_number}, {header_label(headers, index)}: "
        errors.extend(where + e for e in result.errors)
        notes.extend(where + n for n in result.notes)
        warnings.extend(where + w for w in result.warnings)
        if result.value is not None:
            body[name] = result.value
            source[name] = header_label(headers, index)

    for name, constant in columns.constants.items():
        if name in body:
            continue
        result = constant_result(name, constant, options)
        where = f"row {row_number}, mapping-file constant {name}: "
        errors.extend(where + e for e in result.errors)
        notes.extend(where + n for n in result.notes)
        warnings.extend(where + w for w in result.warnings)
        if result.value is not None:
            body[name] = result.value
            source[name] = f"constant {name}"

    errors.extend(structure_errors(row_number, body, source, headers, columns, options.mode))
    ordered = {
        k: list(v) if isinstance(v := body[k], tuple) else v  # tuples -> JSON lists
        for k in sorted(body, key=_ORDER.__getitem__)
    }
    status: Status = "invalid" if errors else "valid"
    return RowCheck(row_number, status, ordered, tuple(notes), tuple(warnings), tuple(errors))


def _blank(cells: Sequence[str]) -> bool:
    """Every cell empty or whitespace (the join is 10x faster than a per-cell test)."""
    try:
        return not "".join(cells).strip()
    except TypeError:  # not all text
        return not any(c and not c.isspace() for c in cells)


class _Reuse:
    """A checked row's result, reusable for another row with the same sent cells.

    Every message starts with "row N" (N = the row it was found on); only that prefix changes.
    """

    __slots__ = ("body", "errors", "notes", "status", "warnings")

    def __init__(self, check: RowCheck) -> None:
        cut = len(f"row {check.row_number}")
        self.status = check.status
        self.body = check.body
        self.notes = tuple(m[cut:] for m in check.notes)
        self.warnings = tuple(m[cut:] for m in check.warnings)
        self.errors = tuple(m[cut:] for m in check.errors)

    @staticmethod
    def of(check: RowCheck) -> _Reuse | None:
        prefix = f"row {check.row_number}"
        for message in (*check.notes, *check.warnings, *check.errors):
            if not message.startswith(prefix) or message[len(prefix) : len(prefix) + 1].isdigit():
                return None  # a message that does not start with its row: never reused
        return _Reuse(check)

    def at(self, row_number: int) -> RowCheck:
        if not (self.notes or self.warnings or self.errors):
            return RowCheck(row_number, self.status, self.body)
        prefix = f"row {row_number}"
        return RowCheck(
            row_number,
            self.status,
            self.body,
            tuple(prefix + m for m in self.notes),
            tuple(prefix + m for m in self.warnings),
            tuple(prefix + m for m in self.errors),
        )


_NEW: Any = object()


def check_rows(
    row_numbers: Sequence[int],
    rows: Sequence[Sequence[str]],
    headers: Sequence[str],
    columns: ColumnMap,
    options: RowOptions,
    problems: Mapping[int, str],
) -> list[RowCheck]:
    """`check_row` for every row, the same results, but a row whose sent cells repeat an
    earlier row's text (pasted rows: a quarter of bench/'s 100k-row sheet) reuses that row's
    result. Such rows share one body dict, which `make_plan` fingerprints once; bodies are
    read-only from here on.
    """
    indexes = sorted(columns.fields)
    width = indexes[-1] + 1 if indexes else 0
    # sent cells -> the first row's check, turned into a _Reuse (None: not reusable) on a repeat
    seen: dict[tuple[str, ...], RowCheck | _Reuse | None] = {}
    checks: list[RowCheck] = []
    for number, cells in zip(row_numbers, rows, strict=True):
        problem = problems.get(number)
        if problem or len(cells) < width:
            checks.append(check_row(number, cells, headers, columns, options, problem))
            continue
        key = tuple([cells[i] for i in indexes])
        earlier = seen.get(key, _NEW)
        if isinstance(earlier, RowCheck):
            earlier = seen[key] = _Reuse.of(earlier)
        if isinstance(earlier, _Reuse):
            checks.append(earlier.at(number))
            continue
        check = check_row(number, cells, headers, columns, options)
        # Sent cells all blank: the other cells decide between "blank" and "no filter".
        if earlier is _NEW and check.status != "blank" and not _blank(key):
            seen[key] = check
        checks.append(check)
    return checks


def _row_problem(row_number: int, problem: str) -> str:
    """The reader's problem text, prefixed with the row unless it already starts with it."""
    prefix = f"row {row_number}"
    if problem.startswith(prefix) and not problem[len(prefix) : len(prefix) + 1].isdigit():
        return problem
    return f"{prefix}: {problem}"
