"""Report-style sheets that write a value once and leave the rows below it blank.

    Industry              Job Titles      Locations
    Software Development  CTO             Germany
                          CFO             France       <- meant: Software Development
    Banking               CTO             Germany

Sent as they are, the blank rows are counted with NO industry filter: a different question,
silently. `detect` finds the layout (a column whose value is followed, again and again, by
blanks in rows that are otherwise filled, never repeating the value just above); the rows are
sent with a warning that names them and the option, `--fill-down "Industry"`, which `fill`
implements: a blank cell takes the last value above it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl

from batchcount.plan.distinct import BLANK
from batchcount.plan.mapping import header_label
from batchcount.plan.sentcolumn import SentColumn
from batchcount.plan.separators import column_ref
from batchcount.shown import quoted, shown

__all__ = ["detect", "fill", "fill_option", "filled_down_columns", "gap_warnings"]


def fill_option(column: str) -> str:
    return f"--fill-down {quoted(column)}"


def fill(
    texts: Sequence[str],
    row_numbers: Sequence[int],
    column: str,
    label: str,
    never: Collection[int],
    others_filled: Sequence[bool],
) -> tuple[list[str], dict[int, str]]:
    """`texts` with each blank cell given the last value above it, and a note per filled row.

    Rows in `never` (blank, total, footnote rows) are neither filled nor used as the value;
    a row whose other sent cells are all empty is not filled (it would become a segment of
    this one filter).
    """
    out = list(texts)
    notes: dict[int, str] = {}
    last: tuple[str, int] | None = None
    for i, text in enumerate(texts):
        if i in never:
            continue
        if text.strip():
            last = (text, row_numbers[i])
        elif last is not None and others_filled[i]:
            out[i] = last[0]
            notes[i] = (
                f"row {row_numbers[i]}, {label}: empty; '{shown(last[0].strip())}' from row "
                f"{last[1]} used ({fill_option(column)})"
            )
    return out, notes


def detect(blank: pl.Series, ids: pl.Series, usable: pl.Series) -> bool:
    """Whether a column is laid out filled-down, from its blank flags and entry ids per row
    (equal ids: equal cells) over the `usable` rows (filled rows not skipped)."""
    where = usable.arg_true()
    if where.len() < 3:
        return False
    gaps = blank.gather(where)
    if gaps[0] or not gaps.any():
        return False  # the first row holds a value in such a layout
    starts = gaps & ~gaps.shift(1, fill_value=False)
    if int(starts.sum()) < 2:
        return False  # once is not a pattern
    values = ids.gather(where).filter(~gaps)
    # a value is written only when it changes: never the same as the one above it
    return not bool((values == values.shift(1)).fill_null(False).any())


def gap_warnings(
    texts: Sequence[str],
    row_numbers: Sequence[int],
    usable: Sequence[int],
    column: str,
    label: str,
) -> tuple[dict[int, str], str]:
    """A warning per blank row of a filled-down column (`usable`: row indexes, ascending),
    and a hint naming the rows and the option."""
    warnings: dict[int, str] = {}
    last: tuple[str, int] | None = None
    option = fill_option(column)
    for i in usable:
        text = texts[i]
        if text.strip():
            last = (text.strip(), row_numbers[i])
        elif last is not None:
            warnings[i] = (
                f"row {row_numbers[i]}, {label}: empty below '{shown(last[0])}' (row {last[1]}) "
                "in a column that looks filled down, so this row is counted with no "
                f"{label} filter; if it belongs with the value above, run with {option}"
            )
    gaps = sorted(row_numbers[i] for i in warnings)
    shown_rows = ", ".join(map(str, gaps[:8]))
    if len(gaps) > 8:
        shown_rows += f", ... ({len(gaps)} rows)"
    hint = (
        f"column '{label}' looks filled down (a value written once for the rows below it): "
        f"rows {shown_rows} are empty there and would be counted without that filter; "
        f"{option} copies the value above into them"
    )
    return warnings, hint


def filled_down_columns(
    cols: list[SentColumn], usable: pl.Series, headers: Sequence[str], row_numbers: Sequence[int]
) -> list[tuple[str, dict[int, str]]]:
    """(hint, warning per row) for each column laid out filled down. Such a column is a
    grouping key: it sits left of the first sent column filled on every row."""
    blanks = {
        c.index: c.spread([bool(e.flags & BLANK) for e in c.entries], pl.Boolean) for c in cols
    }
    dense = [c.index for c in cols if not blanks[c.index].filter(usable).any()]
    limit = min(dense, default=len(headers))
    out: list[tuple[str, dict[int, str]]] = []
    usable_rows: list[int] | None = None
    for c in cols:
        if c.index >= limit or not detect(blanks[c.index], c.id_series, usable):
            continue
        usable_rows = usable.arg_true().to_list() if usable_rows is None else usable_rows
        label = header_label(headers, c.index)
        ref = column_ref(headers, c.index)
        warnings, hint = gap_warnings(c.texts, row_numbers, usable_rows, ref, label)
        out.append((hint, warnings))
    return out
