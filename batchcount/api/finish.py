"""The end of a run: the Results rows, the Summary, the workbook and the closing lines."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from batchcount import __version__
from batchcount.api.options import UI
from batchcount.api.outcome import RunOutcome, RunSink
from batchcount.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
    OutputFileError,
)
from batchcount.net.runner import RunReport
from batchcount.output.atomic import remove_stale_temp_files
from batchcount.output.columns import ExtraColumn, ResultRow
from batchcount.output.compare import COMPARE_COLUMNS, Comparison
from batchcount.output.money_lines import receipt_lines, receipt_rows
from batchcount.output.presentation import Presentation
from batchcount.output.report import explode_text, outcome_lines
from batchcount.output.results import Tally, run_rows_out
from batchcount.output.style import COUNT_FORMAT, MONEY_FORMAT
from batchcount.output.summary import Partial, Summary
from batchcount.output.workbook import write_output
from batchcount.plan.estimate import Estimate
from batchcount.plan.prepare import Prepared
from batchcount.store.records import Record

SummaryLine = tuple[str, object] | tuple[str, object, str | None]


def finish(
    prepared: Prepared,
    output: Path | None,
    est: Estimate,
    report: RunReport,
    entries: Mapping[str, Record],
    test_mode: bool,
    started: datetime,
    ui: UI,
    command: str = "",
    *,
    sink: RunSink | None = None,
    compare: Comparison | None = None,
    not_reached: str | None = None,
    extra: Sequence[SummaryLine] = (),
) -> int:
    """Write the Results to `output` (None: no file, the Python API's default) and hand them
    to `sink`; `extra`: more Summary lines (the count store's: reused, --max-age, where);
    `command`: the command line that resumes this run (shown when it stopped early);
    `compare` (--compare) adds its columns and Summary lines; `not_reached` is the message
    of rows not sent, when the stop needs other words than "rerun to resume"."""
    stop_reason = report.stop_reason
    if not_reached is None:
        not_reached = (
            f"not sent: {stop_reason}; rerun the same command to resume"
            if stop_reason
            else "not sent"
        )
    tally = Tally.empty()
    shown = Presentation.of(prepared)
    rows = shown.watch(
        run_rows_out(
            prepared.plan,
            prepared.result_cells,
            report.outcomes,
            entries,
            not_reached,
            test_mode,
            tally,
        )
    )
    extra_columns: tuple[ExtraColumn, ...] = ()
    if compare is not None:
        rows = compare.annotate(prepared.plan.rows, rows)
        extra_columns = COMPARE_COLUMNS
    kept: list[ResultRow] = []
    if sink is not None:
        rows = _keeping(rows, kept)
    summary_extra: list[SummaryLine] = [
        ("Requests sent in this run", report.sent, COUNT_FORMAT),
        ("Spent in this run", round(report.spent, 6), MONEY_FORMAT),
        ("429 answers (slowed down)", report.rate_limited, COUNT_FORMAT),
        ("Output", output.name if output else "", None),
        *extra,
        *receipt_rows(report, est),
    ]

    def summary() -> Summary:
        partial = None
        if stop_reason and tally.left:
            left = sum(
                1
                for fp in prepared.plan.first_row
                if not (fp in entries and entries[fp].state == "done")
            )
            partial = Partial(
                tally.left, left, command or "the same command again", round(left * est.price, 6)
            )
        return build_summary(
            prepared,
            est,
            tally,
            test_mode,
            stop_reason,
            started,
            tally.possibly_billed,
            [*summary_extra, *(compare.summary_lines(test_mode) if compare else [])],
            partial=partial,
        )

    if output is None:
        for _ in rows:  # no file: the rows still fill the tally (and the sink)
            pass
    else:
        remove_stale_temp_files(output)
        try:
            write_output(
                output,
                prepared.sheet.headers,
                rows,
                summary,
                extra_columns,
                chart_label=shown.chart_label,
                matrix=shown.matrix(counted=True),
            )
        except OSError as exc:  # e.g. a file-size limit or an I/O error while writing
            raise OutputFileError(f"Cannot write {output} ({exc.strerror or exc})") from None
    where = None if output is None else str(output)
    for line in outcome_lines(
        tally.by_status, tally.leads, tally.spent, report.spent, where, stop_reason, test_mode
    ):
        ui.info(line)
    for line in receipt_lines(report, est):
        ui.info(line)
    if prepared.explosion is not None and output is not None and output.suffix.lower() == ".csv":
        ui.info("A CSV holds the Results table only: write an .xlsx (-o) for the Matrix sheet.")
    if compare is not None:
        workbook = output is not None and output.suffix.lower() != ".csv"
        for line in compare.lines(test_mode, in_summary=workbook):
            ui.info(line)
    code = report.exit_code
    if code is None:
        code = EXIT_PROBLEMS if tally.by_status["invalid"] or tally.by_status["failed"] else EXIT_OK
    if sink is not None:
        headers = prepared.sheet.headers
        sink(RunOutcome(headers, kept, stop_reason, code, test_mode, report.spent, extra_columns))
    return code


def _keeping(rows: Iterator[ResultRow], kept: list[ResultRow]) -> Iterator[ResultRow]:
    for row in rows:
        kept.append(row)
        yield row


def build_summary(
    prepared: Prepared,
    est: Estimate,
    tally: Tally,
    test_mode: bool,
    stop_reason: str | None,
    started: datetime,
    rebilled: int = 0,
    extra: Sequence[tuple[str, object] | tuple[str, object, str | None]] = (),
    *,
    partial: Partial | None = None,
) -> Summary:
    """Call after the Results rows have streamed out: the tally is complete only then."""
    sheet = prepared.sheet
    name = sheet.path.name + (f" (sheet {sheet.sheet_name})" if sheet.sheet_name else "")
    return Summary(
        input_name=name,
        mode=prepared.mode,
        test_mode=test_mode,
        rows_by_status=dict(tally.by_status),
        total_leads=tally.leads,
        money_spent=round(tally.spent, 6),
        saved_by_merging=est.saved_by_merging,
        saved_by_resuming=est.saved_by_resuming,
        possibly_billed_twice=rebilled,
        started=started,
        finished=datetime.now(),
        version=__version__,
        stop_reason=stop_reason,
        price=est.price,
        price_source=est.price_source,
        extra=tuple(extra),
        constants=constant_lines(prepared),
        partial=partial,
        exploded=explode_text(prepared),
    )


def constant_lines(prepared: Prepared) -> list[tuple[str, str]]:
    """(field, values) of the mapping file's constants, as a reader would write them."""
    out: list[tuple[str, str]] = []
    for name, value in prepared.columns.constants.items():
        if isinstance(value, list):
            shown = "; ".join(str(v) for v in value)
        elif isinstance(value, dict):
            shown = json.dumps(value, ensure_ascii=False)
        else:
            shown = str(value)
        out.append((name, shown))
    return out
