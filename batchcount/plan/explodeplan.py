"""The plan with `--explode`: rows skipped for a reason (hidden, totals, footnotes) and
`--fill-down` are settled on the source rows first, then the rest explode into segments
(each exploded column split on its own separator) that are checked row by row.

Explode is for small territory grids, so the row-by-row check (`rows.check_rows`) is used
instead of the columnar one; the plan has the same interface (`planned.Plan`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import polars as pl

from batchcount.plan.explode import ExplodeColumn, Explosion, explode
from batchcount.plan.filldown import detect, gap_warnings
from batchcount.plan.mapping import ColumnMap, header_label
from batchcount.plan.planned import Plan, make_plan
from batchcount.plan.rows import RowCheck, RowOptions, check_rows
from batchcount.plan.separators import column_ref
from batchcount.plan.sheetplan import fill_texts, labelled
from batchcount.plan.skips import (
    Skips,
    find_skips,
    is_number,
    is_total_label,
    looks_like_footnote,
    not_segment,
)
from batchcount.plan.subtotals import Subtotals, group_total, looks_like_subtotal
from batchcount.read.grid import column_of
from batchcount.read.sheet import Sheet


def plan_exploded(
    sheet: Sheet,
    columns: ColumnMap,
    options: RowOptions,
    problems: Mapping[int, str],
    chosen: Sequence[ExplodeColumn],
    *,
    fill_down: Sequence[str] = (),
    include_hidden: bool = False,
) -> tuple[Plan, Skips, Explosion]:
    rows, numbers = sheet.rows, sheet.row_numbers
    sent = set(columns.fields)
    skips = find_skips(rows, numbers, sent, sheet.hidden_rows, include_hidden)
    texts, fill_notes = fill_texts(sheet, sent, skips, fill_down)
    filled = _filled(rows, texts)
    reasons = dict(skips.reasons)
    asked = set(labelled(filled, sent))
    subtotals = Subtotals(filled, sent)
    for i, cells in enumerate(filled):
        if i in reasons or not any(c.strip() for c in cells):
            continue
        if i not in asked and not _may_not_be_segment(cells, sent):
            continue
        found = not_segment(cells, numbers[i], sent) or group_total(subtotals, i, numbers[i])
        if found is not None:
            kind, why = found
            (skips.totals if kind == "total" else skips.footnotes).append(numbers[i])
            reasons[i] = why
    explosion = explode(
        filled,
        numbers,
        chosen,
        options.separator,
        dict(options.column_separators),
        keep=reasons,
    )
    hints, gap = _filled_down_hints(filled, numbers, sheet.headers, columns, reasons)
    checks = _checks(sheet, columns, options, problems, explosion, reasons)
    extra = {i: (fill_notes.get(i, ()), gap.get(i, ())) for i in {*fill_notes, *gap}}
    if extra:
        for n, origin in enumerate(explosion.origin):
            if origin in extra and checks[n].status in ("valid", "invalid"):
                notes, warnings = extra[origin]
                check = checks[n]
                checks[n] = replace(
                    check, notes=(*check.notes, *notes), warnings=(*check.warnings, *warnings)
                )
    plan = make_plan(checks, options.mode, explosion.segment)
    plan.hints = hints
    return plan, skips, explosion


def _filled(rows: Sequence[Sequence[str]], texts: Mapping[int, Sequence[str]]) -> list[list[str]]:
    if not texts:
        return [list(r) for r in rows]
    width = max(texts) + 1
    out: list[list[str]] = []
    for i, row in enumerate(rows):
        cells = list(row) + [""] * max(0, width - len(row))
        for index, column in texts.items():
            cells[index] = column[i]
        out.append(cells)
    return out


def _may_not_be_segment(cells: Sequence[str], sent: set[int]) -> bool:
    """The rows the columnar check asks `not_segment` about: no sent cell filled, or only
    numbers, a lone cell that starts like a footnote, a total label in a sent cell, or one
    text cell that reads like a group total."""
    filled = [cells[i] for i in sent if i < len(cells) and cells[i].strip()]
    text = [c for c in filled if not is_number(c)]
    return (
        not filled
        or not text
        or (len(filled) == 1 and looks_like_footnote(filled[0]))
        or any(is_total_label(c) for c in filled)
        or (len(text) == 1 and looks_like_subtotal(text[0]))
    )


def _checks(
    sheet: Sheet,
    columns: ColumnMap,
    options: RowOptions,
    problems: Mapping[int, str],
    explosion: Explosion,
    reasons: Mapping[int, str],
) -> list[RowCheck]:
    """One check per segment; a skipped source row is one skipped check with its reason."""
    if explosion.too_many:
        problems = dict(problems)
        for row, text in explosion.too_many.items():
            problems[row] = "; ".join([*([problems[row]] if row in problems else []), text])
    todo = [n for n, origin in enumerate(explosion.origin) if origin not in reasons]
    found = check_rows(
        [explosion.row_numbers[n] for n in todo],
        [explosion.cells[n] for n in todo],
        sheet.headers,
        columns,
        options,
        problems,
    )
    checked = dict(zip(todo, found, strict=True))
    return [
        checked[n]
        if n in checked
        else RowCheck(explosion.row_numbers[n], "skipped", None, notes=(reasons[origin],))
        for n, origin in enumerate(explosion.origin)
    ]


def _filled_down_hints(
    rows: Sequence[Sequence[str]],
    numbers: Sequence[int],
    headers: Sequence[str],
    columns: ColumnMap,
    skipped: Mapping[int, str],
) -> tuple[list[str], dict[int, tuple[str, ...]]]:
    """As `filldown.filled_down_columns`, from the source rows' texts: (hints, warnings per
    source row) for sent columns laid out filled down (left of the first dense one)."""
    sent = sorted(columns.fields)
    if len(rows) < 3 or not sent:
        return [], {}
    texts = {c: column_of(rows, c) for c in sent}
    blanks = {c: pl.Series([not t.strip() for t in texts[c]], dtype=pl.Boolean) for c in sent}
    usable = pl.Series(
        [i not in skipped and any(not blanks[c][i] for c in sent) for i in range(len(rows))],
        dtype=pl.Boolean,
    )
    dense = [c for c in sent if not blanks[c].filter(usable).any()]
    limit = min(dense, default=len(headers))
    hints: list[str] = []
    warnings: dict[int, tuple[str, ...]] = {}
    usable_rows = usable.arg_true().to_list()
    for c in sent:
        ids: dict[str, int] = {}
        id_series = pl.Series([ids.setdefault(t, len(ids)) for t in texts[c]], dtype=pl.UInt32)
        if c >= limit or not detect(blanks[c], id_series, usable):
            continue
        label = header_label(headers, c)
        found, hint = gap_warnings(texts[c], numbers, usable_rows, column_ref(headers, c), label)
        hints.append(hint)
        for i, warning in found.items():
            warnings[i] = (*warnings.get(i, ()), warning)
    return hints, warnings
