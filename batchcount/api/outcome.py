"""What a finished run hands to the Python API: the Results rows and how the run ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from batchcount.output.columns import ExtraColumn, ResultRow

__all__ = ["RunOutcome", "RunSink"]


@dataclass(frozen=True)
class RunOutcome:
    headers: list[str]  # the input's header cells
    rows: list[ResultRow]  # the Results rows, in input order (what the workbook holds)
    stop_reason: str | None  # why the run stopped early, None if it ran to the end
    exit_code: int  # the command line's exit code for this run
    test_mode: bool
    spent: float  # receipts of this run
    extra_columns: tuple[ExtraColumn, ...] = ()  # after the result columns (--compare)


RunSink = Callable[[RunOutcome], None]
