"""What the workbook needs besides the Results rows: bar labels and the Matrix, from the
prepared input (label column, exploded columns). Shared by `run` and `check --report`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from batchcount.output.columns import ResultRow
from batchcount.output.labels import Labeller
from batchcount.output.matrix import MatrixData, MatrixSource, SegmentLog, build_matrix
from batchcount.plan.prepare import Prepared


@dataclass
class Presentation:
    prepared: Prepared
    labeller: Labeller
    log: SegmentLog = field(default_factory=SegmentLog)

    @classmethod
    def of(cls, prepared: Prepared) -> Presentation:
        sheet = prepared.sheet
        exploded = [c.index for c in prepared.explosion.columns] if prepared.explosion else []
        return cls(prepared, Labeller.of(sheet.headers, prepared.columns, sheet.rows, exploded))

    def watch(self, rows: Iterable[ResultRow]) -> Iterator[ResultRow]:
        """Pass the rows through, noting each outcome when a Matrix will need it."""
        if self.prepared.explosion is None:
            return iter(rows)
        return self.log.watch(rows)

    def chart_label(self, row: ResultRow) -> str:
        explosion = self.prepared.explosion
        segment: tuple[str, ...] = ()
        if explosion is not None:
            segment = tuple(
                row.cells[c.index] if c.index < len(row.cells) else "" for c in explosion.columns
            )
        return self.labeller.bar(row.row_number, row.cells, segment)

    def matrix(self, counted: bool) -> MatrixSource | None:
        """The Matrix, built after the rows streamed out (None without --explode)."""
        explosion = self.prepared.explosion
        if explosion is None:
            return None

        def build() -> MatrixData:
            outcomes = self.log.outcomes if counted else None
            prepared = self.prepared
            return build_matrix(
                explosion, prepared.plan, prepared.sheet.rows, self.labeller, outcomes
            )

        return build
