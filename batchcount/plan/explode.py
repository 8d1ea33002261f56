"""`--explode COLUMN`: one segment per value of a list cell, crossed with the other exploded
columns ("Germany;France" × "VP;Director" is four segments, each with the row's other filters).

Explosion happens on the cells, before validation: each segment is the source row with every
exploded cell holding one value, so it is checked (and shown in Results) like any row, a bad
value makes only its own segments invalid, and duplicate merging sees every segment.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from batchcount.errors import UsageError
from batchcount.plan.aliases import normalise_header
from batchcount.plan.cells import split_list
from batchcount.plan.fields import all_fields
from batchcount.plan.mapping import ColumnMap, header_label

# A row above this many segments is named in `check` and before the prompt; with -y (nobody
# is asked) the run refuses it unless --max-segments is raised (money is at stake).
DEFAULT_MAX_SEGMENTS = 1000
# Never expanded at all (memory): such a row is invalid, with the arithmetic in its message.
HARD_LIMIT = 100_000
EXPLODABLE_KINDS = ("str_list", "int_list")


@dataclass(frozen=True)
class ExplodeColumn:
    index: int  # 0-based column in the sheet
    field: str  # the API field it feeds
    label: str  # its header, as messages name it


@dataclass(frozen=True)
class SourceRow:
    """One input row and the values each exploded column gave it (input order)."""

    index: int  # position in Sheet.rows
    row_number: int  # the spreadsheet's own row number
    values: tuple[tuple[str, ...], ...]  # per exploded column; ("",) when the cell is empty

    @property
    def segments(self) -> int:
        return math.prod(len(v) for v in self.values)


@dataclass
class Explosion:
    columns: tuple[ExplodeColumn, ...]
    sources: list[SourceRow]  # non-blank source rows that were expanded, input order
    # Per segment (one per plan row, input order): the source row's position in Sheet.rows
    # and its exploded values (() for a blank or unexpanded row).
    origin: list[int] = field(default_factory=list)
    segment: list[tuple[str, ...]] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)  # the segment's cells
    row_numbers: list[int] = field(default_factory=list)
    too_many: dict[int, str] = field(default_factory=dict)  # row number -> why not expanded

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.columns]

    def large_rows(self, limit: int) -> list[SourceRow]:
        """Rows that expand to more than `limit` segments."""
        return [s for s in self.sources if s.segments > limit]


def resolve_columns(
    names: Sequence[str], headers: Sequence[str], columns: ColumnMap
) -> tuple[ExplodeColumn, ...]:
    """`--explode` arguments -> sent list columns: a header (exact, then ignoring case, spaces
    and `-`/`_`) or the API field a column is sent as."""
    chosen: list[ExplodeColumn] = []
    for name in names:
        index = _find(name, headers, columns)
        field_name = columns.fields.get(index)
        label = header_label(headers, index)
        if field_name is None:
            raise UsageError(
                f"--explode {name}: column '{label}' is not sent as a filter, so there is "
                "nothing to explode; explode a filter column (e.g. Locations, Seniorities), or "
                f'send this one with --map "{label}=FIELD"'
            )
        if all_fields()[field_name].kind not in EXPLODABLE_KINDS:
            raise UsageError(
                f"--explode {name}: column '{label}' ({field_name}) holds one value, not a "
                "list; only list columns (job titles, locations, seniorities, headcounts, ...) "
                "can be exploded"
            )
        if any(c.index == index for c in chosen):
            raise UsageError(f"--explode {name}: column '{label}' is given twice; give it once")
        chosen.append(ExplodeColumn(index, field_name, label))
    return tuple(chosen)


def _find(name: str, headers: Sequence[str], columns: ColumnMap) -> int:
    wanted = name.strip()
    for matches in (
        [i for i, h in enumerate(headers) if h.strip() == wanted],
        [i for i, h in enumerate(headers) if h.strip().casefold() == wanted.casefold()],
        [i for i, h in enumerate(headers) if normalise_header(h) == normalise_header(wanted)],
        [i for i, f in columns.fields.items() if f == wanted],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(
                f"--explode {name}: {len(matches)} columns match; rename the headers so they differ"
            )
    named = [f"'{header_label(headers, i)}'" for i in sorted(columns.fields)]
    raise UsageError(
        f"--explode {name}: no such column; give a header or field of a sent column: "
        f"{', '.join(named) or '(none)'}"
    )


def explode(
    rows: Sequence[Sequence[str]],
    row_numbers: Sequence[int],
    columns: Sequence[ExplodeColumn],
    separator: str,
    column_separators: Mapping[int, str] | None = None,
    keep: Collection[int] = (),
) -> Explosion:
    """Expand every non-blank row into its segments, in input order (the first exploded
    column varies slowest). A column in `column_separators` (per-column `--separator`) is
    split on its own separator; rows at the indexes in `keep` (skipped: totals, footnotes,
    hidden rows) stay whole."""
    out = Explosion(tuple(columns), [])
    splits = [(column_separators or {}).get(c.index, separator) for c in columns]
    for index, (cells, number) in enumerate(zip(rows, row_numbers, strict=True)):
        if index in keep or not any(c.strip() for c in cells):
            _add(out, index, number, list(cells), ())
            continue
        values = tuple(
            tuple(split_list(cells[c.index], sep) or [""]) if c.index < len(cells) else ("",)
            for c, sep in zip(columns, splits, strict=True)
        )
        source = SourceRow(index, number, values)
        if source.segments > HARD_LIMIT:
            sizes = " × ".join(
                f"{len(v):,} {c.label}" for v, c in zip(values, columns, strict=True)
            )
            out.too_many[number] = (
                f"row {number}: --explode would make {source.segments:,} segments of it "
                f"({sizes}); the limit is {HARD_LIMIT:,} per row: split the lists over "
                "several rows"
            )
            _add(out, index, number, list(cells), ())
            continue
        out.sources.append(source)
        for combo in itertools.product(*values):
            segment_cells = list(cells)
            for column, value in zip(columns, combo, strict=True):
                if column.index < len(segment_cells):
                    segment_cells[column.index] = value
            _add(out, index, number, segment_cells, combo)
    return out


def _add(out: Explosion, index: int, number: int, cells: list[str], combo: tuple[str, ...]) -> None:
    out.origin.append(index)
    out.segment.append(combo)
    out.cells.append(cells)
    out.row_numbers.append(number)


def segment_text(values: Sequence[str]) -> str:
    """How messages name a segment: 'Germany × VP'; an empty cell is '(any)'."""
    return " × ".join(v or "(any)" for v in values)
