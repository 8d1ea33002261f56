"""`check`: read, map, validate and estimate, with no billable call.

`check_input` is what both `batchcount check` (which prints `lines()`) and
`batchcount.check()` (which returns the report) call, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchcount.errors import UsageError
from batchcount.output.compare import COMPARE_COLUMNS, Comparison
from batchcount.output.report import input_lines, problem_lines, rows_line
from batchcount.plan.estimate import Estimate, estimate, fallback_price, money
from batchcount.plan.mapping import header_label
from batchcount.plan.prepare import InputOptions, Prepared, prepare

if TYPE_CHECKING:  # polars loads in ~0.1 s: only when a frame is asked for
    import polars as pl

    from batchcount.api.options import RunOptions
    from batchcount.output.fix_copy import FixCopy

__all__ = ["CheckReport", "check_input"]

PROBLEM_COLUMNS = ("row", "column", "value", "severity", "message")


def check_input(
    inputs: InputOptions, price: float | None = None, store: RunOptions | None = None
) -> CheckReport:
    """Read, map, validate and estimate; raises UsageError / InputFileError; sends nothing.
    `store`: `run`'s options (store, --max-age, API, key kind, -o): the estimate then looks
    up the count store as `run` will, so both show the same cost to the cent."""
    # the store and the account are loaded only for a lookup: `batchcount.check(data)`, and
    # the package root that names it, stay clear of the network and sandbox layers
    from batchcount.api.check_estimate import check_estimate
    from batchcount.api.reuse import effective_max_age

    if price is not None and price < 0:
        raise UsageError(f"--price {price}: a price cannot be negative.")
    if store is not None:
        effective_max_age(store.max_age, store.fresh)  # a contradiction: usage error first
    prepared = prepare(inputs)
    if store is not None:
        checked = check_estimate(store, prepared)
        return CheckReport(prepared, checked.estimate, tuple(checked.lines))
    unit, source = fallback_price(prepared.mode, price)
    return CheckReport(prepared, estimate(prepared.plan, unit, source))


@dataclass(frozen=True, eq=False)
class CheckReport:
    """What `batchcount.check` found; nothing was sent.

    - `estimate`: rows, valid, invalid, blank, duplicates, distinct segments, billable
      requests, price (and where it came from), cost.
    - `valid_rows`, `invalid_rows`, `blank_rows`, `skipped_rows` (totals, footnotes, hidden
      rows): row numbers (the header is row 1, so the first row of a DataFrame is row 2).
    - `problems`: a polars DataFrame, one line per problem: row, column (the header, or None
      for a row-wide problem), value (that cell's text), severity (`error`: the row is not
      sent; `warning`: sent anyway; `note`: repaired), message (as the command line says it).
    - `results`: the Results table `check --report` writes (input columns, then
      results_count, status, amount_charged, message, request).
    - `columns`: header -> API field for every column sent; `notes`: what was detected.
    - `str(report)`: the text `batchcount check` prints; `write(path)`: the --report workbook.
    """

    prepared: Prepared
    estimate: Estimate
    store_lines: tuple[str, ...] = ()  # what the count store holds: reused, new, cost so far

    # --- counts and rows -----------------------------------------------------------------

    @property
    def ok(self) -> bool:
        """Every row is valid or blank (`batchcount check` would exit 0)."""
        return not self.estimate.invalid

    @property
    def mode(self) -> str:
        return self.prepared.mode

    @property
    def valid_rows(self) -> list[int]:
        return self._rows("valid")

    @property
    def invalid_rows(self) -> list[int]:
        return self._rows("invalid")

    @property
    def blank_rows(self) -> list[int]:
        return self._rows("blank")

    @property
    def skipped_rows(self) -> list[int]:
        """Rows skipped for a reason (totals, footnotes, hidden rows): never sent."""
        return self._rows("skipped")

    def _rows(self, status: str) -> list[int]:
        return [r.check.row_number for r in self.prepared.plan.rows if r.check.status == status]

    @property
    def columns(self) -> dict[str, str]:
        headers = self.prepared.sheet.headers
        fields = sorted(self.prepared.columns.fields.items())
        return {header_label(headers, i): name for i, name in fields}

    @property
    def notes(self) -> list[str]:
        return list(self.prepared.sheet.notes)

    # --- frames ----------------------------------------------------------------------------

    @cached_property
    def problems(self) -> pl.DataFrame:
        import polars as pl

        records = list(_problems(self.prepared))
        return pl.DataFrame(
            {name: [r[i] for r in records] for i, name in enumerate(PROBLEM_COLUMNS)},
            schema={
                "row": pl.Int64,
                "column": pl.String,
                "value": pl.String,
                "severity": pl.String,
                "message": pl.String,
            },
        )

    @cached_property
    def results(self) -> pl.DataFrame:
        from batchcount.output.frame import results_frame
        from batchcount.output.results import Tally, check_rows_out

        prepared = self.prepared
        rows = check_rows_out(prepared.plan, prepared.result_cells, Tally.empty())
        return results_frame(prepared.sheet.headers, rows)

    # --- text and the report file --------------------------------------------------------

    def lines(self) -> list[str]:
        """What `batchcount check` prints, line by line."""
        est = self.estimate
        return [
            *input_lines(self.prepared),
            rows_line(est),
            *problem_lines(self.prepared),
            *self.store_lines,
            f"Billable requests: {est.billable} x {money(est.price)} ({est.price_source}) = "
            f"estimated cost {money(est.cost)}",
        ]

    def write(self, path: str | Path, compare: Comparison | None = None) -> Path:
        """Write the Results layout with invalid/skipped rows and their messages (and a
        Summary), as `batchcount check --report` does. Returns the path written.
        `compare` (`check --compare`) adds the previous counts beside each row."""
        from batchcount.api.finish import build_summary
        from batchcount.output.presentation import Presentation
        from batchcount.output.results import Tally, check_rows_out
        from batchcount.output.workbook import write_output

        path = Path(path)
        prepared, est = self.prepared, self.estimate
        tally = Tally.empty()
        shown = Presentation.of(prepared)
        rows = shown.watch(check_rows_out(prepared.plan, prepared.result_cells, tally))
        if compare is not None:
            rows = compare.annotate(prepared.plan.rows, rows)
        started = datetime.now()
        write_output(
            path,
            prepared.sheet.headers,
            rows,
            lambda: build_summary(
                prepared,
                est,
                tally,
                False,
                "check only",
                started,
                extra=compare.summary_lines(None, counted=False) if compare else (),
            ),
            COMPARE_COLUMNS if compare is not None else (),
            chart_label=shown.chart_label,
            matrix=shown.matrix(counted=False),
        )
        return path

    def write_fixed_copy(self, path: str | Path) -> FixCopy:
        """`check --fix`: a copy of the input with the safe fixes applied (listed on a Fixes
        sheet) and every problem cell highlighted with its message. The input is untouched."""
        from batchcount.output.fix_copy import check_fix_path, write_fixed_copy
        from batchcount.plan.fixes import fixes_for

        path = Path(path)
        check_fix_path(path, self.prepared.sheet.path)
        return write_fixed_copy(self.prepared.sheet, fixes_for(self.prepared), path)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        est = self.estimate
        return (
            f"<CheckReport {rows_line(est)}; {est.billable} billable requests x "
            f"{money(est.price)} = {money(est.cost)}>"
        )


def _problems(prepared: Prepared) -> Any:
    """(row, column, value, severity, message) for every message of every row."""
    sheet = prepared.sheet
    labels = sorted(
        ((header_label(sheet.headers, i), i) for i in prepared.columns.fields),
        key=lambda item: -len(item[0]),  # "Company Size" before "Company"
    )
    constants = [f"mapping-file constant {name}" for name in prepared.columns.constants]
    position = {number: i for i, number in enumerate(sheet.row_numbers)}
    for planned in prepared.plan.rows:
        check = planned.check
        at = position.get(check.row_number)
        cells = sheet.rows[at] if at is not None else []
        for severity, messages in (
            ("error", check.errors),
            ("warning", check.warnings),
            ("note", check.notes),
        ):
            for message in messages:
                column, value = _where(message, check.row_number, labels, constants, cells)
                yield check.row_number, column, value, severity, message


def _where(
    message: str,
    row: int,
    labels: list[tuple[str, int]],
    constants: list[str],
    cells: list[str],
) -> tuple[str | None, str | None]:
    """The column a message names ("row 8, Company Industries: ...") and that cell's text."""
    prefix = f"row {row}, "
    if not message.startswith(prefix):
        return None, None  # a row-wide problem ("row 8: no filter is filled in ...")
    rest = message[len(prefix) :]
    for label, index in labels:
        if rest.startswith(label + ": "):
            return label, cells[index] if index < len(cells) else None
    for label in constants:
        if rest.startswith(label + ": "):
            return label, None
    return None, None
