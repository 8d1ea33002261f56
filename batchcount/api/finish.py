"""The end of a run: the Results rows, the Summary, the workbook and the closing lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from batchcount import __version__
from batchcount.api.options import UI
from batchcount.api.outcome import RunOutcome, RunSink
from batchcount.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
)
from batchcount.net.runner import RunReport
from batchcount.output.atomic import remove_stale_temp_files
from batchcount.output.columns import ExtraColumn, ResultRow
from batchcount.output.compare import COMPARE_COLUMNS, Comparison
from batchcount.output.report import outcome_lines
from batchcount.output.results import Tally, run_rows_out
from batchcount.output.workbook import Summary, write_output
from batchcount.plan.estimate import Estimate
from batchcount.plan.prepare import Prepared
from batchcount.store.journal import Entry, journal_path


def finish(
    prepared: Prepared,
    output: Path | None,
    est: Estimate,
    report: RunReport,
    entries: Mapping[str, Entry],
    test_mode: bool,
    started: datetime,
    ui: UI,
    *,
    journal: Path | None = None,
    sink: RunSink | None = None,
    compare: Comparison | None = None,
    not_reached: str | None = None,
) -> int:
    """Write the Results to `output` (None: no file, the Python API's default) and hand them
    to `sink`; `journal` is named in the Summary when it is not beside the output.
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
    rows = run_rows_out(
        prepared.plan, prepared.sheet.rows, report.outcomes, entries, not_reached, test_mode, tally
    )
    extra_columns: tuple[ExtraColumn, ...] = ()
    if compare is not None:
        rows = compare.annotate(prepared.plan.rows, rows)
        extra_columns = COMPARE_COLUMNS
    kept: list[ResultRow] = []
    if sink is not None:
        rows = _keeping(rows, kept)
    summary_extra = [
        ("Requests sent in this run", str(report.sent)),
        ("Spent in this run", f"${report.spent:,.4f}"),
        ("429 answers (slowed down)", str(report.rate_limited)),
        ("Output", output.name if output else ""),
        ("Journal", journal.name if journal else journal_path(output).name if output else ""),
    ]
    _results_out(
        output,
        prepared.sheet.headers,
        rows,
        lambda: build_summary(
            prepared,
            est,
            tally,
            test_mode,
            stop_reason,
            started,
            tally.possibly_billed,
            summary_extra + (compare.summary_lines(test_mode) if compare else []),
        ),
        extra_columns,
    )
    shown = None if output is None else str(output)
    for line in outcome_lines(
        tally.by_status, tally.leads, tally.spent, report.spent, shown, stop_reason, test_mode
    ):
        ui.info(line)
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


def _results_out(
    output: Path | None,
    headers: list[str],
    rows: Iterator[ResultRow],
    summary: Callable[[], Summary],
    extra_columns: Sequence[ExtraColumn] = (),
) -> None:
    if output is None:
        for _ in rows:  # no file: the rows still fill the tally (and the sink)
            pass
        return
    remove_stale_temp_files(output)
    write_output(output, headers, rows, summary, extra_columns)


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
    extra: Sequence[tuple[str, str]] = (),
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
    )
