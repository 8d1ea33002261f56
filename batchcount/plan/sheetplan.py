"""A read sheet + its column map -> the plan: rows skipped for a reason, columns filled down
(`--fill-down`), every row checked (`columnar.check_table`), footnotes recognised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from batchcount.errors import UsageError
from batchcount.plan import filldown
from batchcount.plan.columnar import check_table
from batchcount.plan.mapping import ColumnMap, header_label
from batchcount.plan.planned import Plan
from batchcount.plan.rows import RowOptions
from batchcount.plan.separators import column_ref, find_column
from batchcount.plan.skips import (
    Skips,
    find_skips,
    footnote,
    is_total_label,
    maybe_total_labels,
    not_segment,
    total_label,
)
from batchcount.plan.subtotals import Subtotals, group_total
from batchcount.read.grid import column_of
from batchcount.read.sheet import Sheet
from batchcount.shown import quoted, shown


def plan_sheet(
    sheet: Sheet,
    columns: ColumnMap,
    options: RowOptions,
    problems: Mapping[int, str],
    *,
    fill_down: Sequence[str] = (),
    include_hidden: bool = False,
) -> tuple[Plan, Skips]:
    rows, numbers = sheet.rows, sheet.row_numbers
    sent = set(columns.fields)
    skips = find_skips(rows, numbers, sent, sheet.hidden_rows, include_hidden)
    texts, notes = fill_texts(sheet, sent, skips, fill_down)

    subtotals = Subtotals(rows, sent)

    def is_not_segment(i: int) -> str | None:
        found = not_segment(rows[i], numbers[i], sent) or group_total(subtotals, i, numbers[i])
        if found is None:
            return None
        kind, why = found
        (skips.totals if kind == "total" else skips.footnotes).append(numbers[i])
        return why

    plan = check_table(
        rows,
        numbers,
        sheet.headers,
        columns,
        options,
        problems,
        texts=texts,
        skipped=skips.reasons,
        extra_notes=notes,
        not_segment=is_not_segment,
        watch_fill_down=True,
        ask=labelled(rows, sent),
    )
    skips.footnotes.sort()
    skips.totals.sort()
    return plan, skips


def fill_texts(
    sheet: Sheet, sent: set[int], skips: Skips, fill_down: Sequence[str]
) -> tuple[dict[int, list[str]], dict[int, tuple[str, ...]]]:
    """`--fill-down`: (column index -> its cells filled down, row index -> fill notes)."""
    rows, numbers = sheet.rows, sheet.row_numbers
    texts: dict[int, list[str]] = {}
    notes: dict[int, tuple[str, ...]] = {}
    if not fill_down:
        return texts, notes
    never = {i for i, r in enumerate(rows) if not any(c.strip() for c in r)}
    never.update(i for i in skips.reasons if numbers[i] not in sheet.hidden_rows)
    never.update(i for i, r in enumerate(rows) if total_label(r, sent) is not None)
    for name in dict.fromkeys(fill_down):
        index = _fill_column(name, sheet.headers, sent)
        others = [i for i in sent if i != index]
        others_filled = [
            any(i < len(r) and r[i].strip() for i in others)
            and footnote(r, 0) is None  # a footnote row stays as it is
            for r in rows
        ]
        cells = column_of(rows, index)
        label = header_label(sheet.headers, index)
        ref = column_ref(sheet.headers, index)
        texts[index], found = filldown.fill(cells, numbers, ref, label, never, others_filled)
        for i, note in found.items():
            notes[i] = (*notes.get(i, ()), note)
    return texts, notes


def labelled(rows: Sequence[Sequence[str]], sent: set[int]) -> list[int]:
    """Rows whose first or second cell, not sent, is a total label ("Total", "Grand total"):
    where reports put it. (Labels in sent cells, and rows whose sent cells are all empty or
    numbers, are found while checking.)"""
    found: set[int] = set()
    for index in (0, 1):
        if index in sent:
            continue
        column = column_of(rows, index)
        maybe = maybe_total_labels(pl.Series(column, dtype=pl.String))
        found.update(i for i in maybe if is_total_label(column[i]))
    return sorted(found)


def _fill_column(name: str, headers: Sequence[str], sent: set[int]) -> int:
    option = f"--fill-down {quoted(name)}"
    index = find_column(option, name, headers)
    if index not in sent:
        raise UsageError(
            f"{option}: column '{shown(column_ref(headers, index))}' is not sent, so filling it "
            'changes nothing; name a sent column, or add --map "HEADER=field" to send it'
        )
    return index
