"""The `Matrix` sheet (with --explode): one block per input row, the first exploded column's
values down the side, the second's across the top, counts with a colour scale.

Blocks are never added to each other (rows usually overlap: same countries, other titles),
and a total appears only along an axis whose values cannot overlap (`plan.overlap`). A cell
that was not counted shows why (invalid, failed, not counted), never a 0.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from batchcount.output.columns import ResultRow
from batchcount.output.labels import Labeller
from batchcount.output.style import (
    BOLD,
    COUNT_FORMAT,
    HEADER_FONT,
    INPUT_HEADER_FILL,
    WRAP,
    cell,
)
from batchcount.plan.estimate import Plan
from batchcount.plan.explode import Explosion
from batchcount.plan.overlap import disjoint_reason

HEAD_WRAP = 16  # characters per line of a total column's header
LINE_HEIGHT = 15  # points per line of wrapped text
MAX_CELLS = 50_000  # a Matrix beyond this is cut (with a note): Results has every segment
ANY = "(any)"  # an empty exploded cell: no filter on that column
SCALE_LOW, SCALE_HIGH = "FFFFFF", "63BE7B"  # white to green, like Excel's own preset
TITLE_FONT = Font(bold=True, size=12, color="1F3864")
NOTE_FONT = Font(italic=True, color="595959")
MARKER_FONT = Font(italic=True, color="9C0006")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
CENTER = Alignment(horizontal="center")
INTRO = (
    "Leads per segment: one block per input row. Blocks are never added together (rows "
    "can share leads). Totals appear only along an axis whose values cannot overlap."
)
MARKERS = {
    "invalid": "invalid",  # not sent: the Results message says why
    "failed": "failed",  # the API refused it or retries ran out
    "skipped": "not counted",  # not reached (budget, funds, interruption): rerun to finish
    "valid": "valid",  # check --report: would be sent
}
LEGEND = (
    "Markers: invalid = not sent (see the message in Results); failed = the API refused it "
    "or retries ran out; not counted = the run stopped before it (rerun to finish); "
    "incomplete = a total with a cell that is not counted."
)
CHECK_LEGEND = "check --report: nothing is counted; each cell says whether it would be sent."

Outcome = tuple[str, int | None]  # (status, count)


@dataclass(frozen=True)
class Axis:
    name: str  # the column's header
    values: tuple[str, ...]  # input order
    disjoint: str | None  # why totals along it are sound, None when values may overlap


@dataclass(frozen=True)
class Block:
    title: str
    down: Axis
    across: Axis | None
    cells: dict[tuple[int, int], Outcome]  # (down index, across index) -> outcome


@dataclass
class MatrixData:
    blocks: list[Block]
    counted: bool = True  # False for check --report: markers only
    omitted: int = 0  # input rows left out (MAX_CELLS)


MatrixSource = Callable[[], MatrixData]


@dataclass
class SegmentLog:
    """Records each Results row's (status, count) as it streams past, for the Matrix."""

    outcomes: list[Outcome] = field(default_factory=list)

    def watch(self, rows: Iterable[ResultRow]) -> Iterator[ResultRow]:
        for row in rows:
            self.outcomes.append((row.status, row.results_count))
            yield row


def build_matrix(
    explosion: Explosion,
    plan: Plan,
    rows: Sequence[Sequence[str]],
    labeller: Labeller,
    outcomes: Sequence[Outcome] | None,
) -> MatrixData:
    """Blocks in input order. `outcomes`: per plan row, from `SegmentLog`; None for check
    (cells then say valid / invalid)."""
    by_source: dict[int, list[int]] = {}
    for n, origin in enumerate(explosion.origin):
        by_source.setdefault(origin, []).append(n)
    fields = [c.field for c in explosion.columns]
    names = explosion.labels
    data = MatrixData([], counted=outcomes is not None)
    used = 0
    for source in explosion.sources:
        values = [tuple(v or ANY for v in column) for column in source.values]
        size = source.segments
        if used + size > MAX_CELLS:
            data.omitted += 1
            continue
        used += size
        found: dict[tuple[str, ...], Outcome] = {}
        for n in by_source.get(source.index, []):
            segment = tuple(v or ANY for v in explosion.segment[n])
            if outcomes is not None:
                found[segment] = outcomes[n]
            else:
                found[segment] = (plan.rows[n].check.status, None)
        axes = [
            Axis(name, column, None if ANY in column else disjoint_reason(f, column))
            for name, column, f in zip(names, values, fields, strict=True)
        ]
        title = f"Row {source.row_number}: {labeller.title(source.row_number, rows[source.index])}"
        down, across, deeper = axes[0], (axes[1] if len(axes) > 1 else None), axes[2:]
        for rest in itertools.product(*[a.values for a in deeper]):
            cells: dict[tuple[int, int], Outcome] = {}
            for i, d in enumerate(down.values):
                for j, a in enumerate(across.values if across else ("",)):
                    key = (d, a, *rest) if across else (d,)
                    if key in found:
                        cells[(i, j)] = found[key]
            where = "; ".join(f"{a.name}: {v}" for a, v in zip(deeper, rest, strict=True))
            data.blocks.append(Block(f"{title} — {where}" if where else title, down, across, cells))
    return data


# --- writing -------------------------------------------------------------------------------


def _marker(outcome: Outcome | None) -> str:
    if outcome is None:
        return "—"
    status, _ = outcome
    return MARKERS.get(status, status)


def _width(values: Iterable[str], low: int, high: int) -> int:
    return min(high, max([low, *(len(v) + 2 for v in values)]))


def write_matrix(ws: Any, data: MatrixData) -> None:
    """Fill the write-only Matrix sheet (widths are set before any row, as write-only needs)."""
    down_names = [v for b in data.blocks for v in (*b.down.values, b.down.name)]
    down_names += [f"Total ({b.down.disjoint})" for b in data.blocks if _summable(b.down)]
    ws.column_dimensions["A"].width = _width(down_names, 16, 45)
    across = max((len(b.across.values) if b.across else 1 for b in data.blocks), default=1)
    heads = [v for b in data.blocks if b.across for v in b.across.values]
    column_width = _width(heads, HEAD_WRAP + 2, 28)
    for j in range(across + 1):  # +1: the total column
        ws.column_dimensions[get_column_letter(j + 2)].width = column_width
    row = 0

    def add(*cells: Any) -> None:
        nonlocal row
        ws.append(list(cells))
        row += 1

    add(cell(ws, INTRO, font=BOLD))
    add(cell(ws, LEGEND if data.counted else CHECK_LEGEND, font=NOTE_FONT))
    if data.omitted:
        add(
            cell(
                ws,
                f"{data.omitted} more input rows are not shown (the Matrix stops at "
                f"{MAX_CELLS:,} cells); every segment is in Results.",
                font=MARKER_FONT,
            )
        )
    for block in data.blocks:
        add()
        add(cell(ws, block.title, font=TITLE_FONT))
        first = _write_block(ws, block, data.counted, row, add)
        rows = len(block.down.values)
        cols = len(block.across.values) if block.across else 1
        if data.counted:
            span = f"B{first}:{get_column_letter(cols + 1)}{first + rows - 1}"
            ws.conditional_formatting.add(
                span,
                ColorScaleRule(
                    start_type="min", start_color=SCALE_LOW, end_type="max", end_color=SCALE_HIGH
                ),
            )


def _count_cell(ws: Any, outcome: Outcome | None, counted: bool) -> Any:
    if counted and outcome is not None and outcome[0] == "ok" and outcome[1] is not None:
        return cell(ws, outcome[1], COUNT_FORMAT)
    return cell(ws, _marker(outcome), font=MARKER_FONT, alignment=CENTER)


def _summable(axis: Axis) -> bool:
    return axis.disjoint is not None and len(axis.values) > 1


def _sum(outcomes: Sequence[Outcome | None]) -> int | None:
    total = 0
    for outcome in outcomes:
        if outcome is None or outcome[0] != "ok" or outcome[1] is None:
            return None
        total += outcome[1]
    return total


def _total_cell(ws: Any, total: int | None) -> Any:
    if total is None:
        return cell(ws, "incomplete", font=MARKER_FONT, fill=TOTAL_FILL, alignment=CENTER)
    return cell(ws, total, COUNT_FORMAT, font=BOLD, fill=TOTAL_FILL)


def _write_block(ws: Any, block: Block, counted: bool, row: int, add: Callable[..., None]) -> int:
    """Write one block's header, body and totals; return the sheet row of its first count."""
    down, across = block.down, block.across
    across_values = across.values if across else ("Leads" if counted else "Status",)
    # A total of one value would only repeat it; of overlapping values it would be wrong.
    right_total = counted and across is not None and _summable(across)
    down_total = counted and _summable(down)
    corner = f"{down.name} ↓   {across.name} →" if across else down.name
    head = [cell(ws, corner, font=HEADER_FONT, fill=INPUT_HEADER_FILL)]
    head += [
        cell(ws, v, font=HEADER_FONT, fill=INPUT_HEADER_FILL, alignment=CENTER)
        for v in across_values
    ]
    if right_total and across is not None:
        label = "\n".join(["Total", *textwrap.wrap(f"({across.disjoint})", HEAD_WRAP)])
        head.append(cell(ws, label, font=BOLD, fill=TOTAL_FILL, alignment=WRAP))
        # write-only rows take their height before they are written (no autofit on open)
        ws.row_dimensions[row + 1].height = LINE_HEIGHT * (label.count("\n") + 1) + 3
    add(*head)
    first = row + 2  # the header is row + 1
    for i, value in enumerate(down.values):
        line = [block.cells.get((i, j)) for j in range(len(across_values))]
        out = [cell(ws, value, font=BOLD)] + [_count_cell(ws, o, counted) for o in line]
        if right_total:
            out.append(_total_cell(ws, _sum(line)))
        add(*out)
    if down_total:
        totals = [
            _total_cell(ws, _sum([block.cells.get((i, j)) for i in range(len(down.values))]))
            for j in range(len(across_values))
        ]
        label = cell(ws, f"Total ({down.disjoint})", font=BOLD, fill=TOTAL_FILL)
        grand = []
        if right_total:
            every = [
                block.cells.get((i, j))
                for i in range(len(down.values))
                for j in range(len(across_values))
            ]
            grand = [_total_cell(ws, _sum(every))]
        add(label, *totals, *grand)
    return first
