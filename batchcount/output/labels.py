"""How a segment is named where a reader looks for it (Summary chart bars, Matrix blocks).

The label column is the first text column that is not sent as a filter ("Segment", "Name"):
analysts name their rows there. Without one (or with that cell empty) a row is named by its
filter values, never by an arbitrary first cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from batchcount.output.row_labels import clip, label_column
from batchcount.plan.explode import segment_text
from batchcount.plan.mapping import ColumnMap

LABEL_LIMIT = 60


def _clip(text: str, limit: int = LABEL_LIMIT) -> str:
    return clip(text, limit)


@dataclass(frozen=True)
class Labeller:
    """Names rows and segments from their cells."""

    label_index: int | None
    filter_indexes: tuple[int, ...]  # sent columns, in sheet order
    exploded: tuple[int, ...] = ()  # exploded columns (left out of a block's title)

    @classmethod
    def of(
        cls,
        headers: Sequence[str],
        columns: ColumnMap,
        rows: Sequence[Sequence[str]],
        exploded: Sequence[int] = (),
    ) -> Labeller:
        return cls(
            label_column(headers, columns, rows), tuple(sorted(columns.fields)), tuple(exploded)
        )

    def _filters(self, cells: Sequence[str], skip: Sequence[int]) -> str:
        parts = [cells[i].strip() for i in self.filter_indexes if i not in skip and i < len(cells)]
        return "; ".join(p for p in parts if p)

    def title(self, row_number: int, cells: Sequence[str]) -> str:
        """A row's name without its exploded values: the label cell, else its other filters."""
        if self.label_index is not None and self.label_index < len(cells):
            text = cells[self.label_index].strip()
            if text:
                return _clip(text)
        return _clip(self._filters(cells, self.exploded)) or f"row {row_number}"

    def bar(self, row_number: int, cells: Sequence[str], segment: Sequence[str] = ()) -> str:
        """A chart bar: 'row 2: EMEA leaders (Germany × VP)', or the row's filter values."""
        label = ""
        if self.label_index is not None and self.label_index < len(cells):
            label = cells[self.label_index].strip()
        if label and segment:
            label = f"{_clip(label, 30)} ({segment_text(segment)})"
        elif not label:
            label = self._filters(cells, ())
        return _clip(f"row {row_number}: {label}" if label else f"row {row_number}")
