"""The end of a run: the Results rows, the Summary, the workbook and the closing lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from batchcount import __version__
from batchcount.api.options import UI
from batchcount.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
)
from batchcount.net.runner import RunReport
from batchcount.output.atomic import remove_stale_temp_files
from batchcount.output.report import outcome_lines
from batchcount.output.results import Tally, run_rows_out
from batchcount.output.workbook import Summary, write_output
from batchcount.plan.estimate import Estimate
from batchcount.plan.prepare import Prepared
from batchcount.store.records import Record


def finish(
    prepared: Prepared,
    output: Path,
    est: Estimate,
    report: RunReport,
    entries: Mapping[str, Record],
    test_mode: bool,
    started: datetime,
    ui: UI,
    extra: Sequence[tuple[str, str]] = (),
) -> int:
    stop_reason = report.stop_reason
    not_reached = (
        f"not sent: {stop_reason}; rerun the same command to resume" if stop_reason else "not sent"
    )
    tally = Tally.empty()
    rows = run_rows_out(
        prepared.plan, prepared.sheet.rows, report.outcomes, entries, not_reached, test_mode, tally
    )
    summary_extra = [
        ("Requests sent in this run", str(report.sent)),
        ("Spent in this run", f"${report.spent:,.4f}"),
        ("429 answers (slowed down)", str(report.rate_limited)),
        ("Output", output.name),
        *extra,
    ]
    remove_stale_temp_files(output)
    write_output(
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
            summary_extra,
        ),
    )
    for line in outcome_lines(
        tally.by_status, tally.leads, tally.spent, report.spent, str(output), stop_reason, test_mode
    ):
        ui.info(line)
    if report.exit_code is not None:
        return report.exit_code
    return EXIT_PROBLEMS if tally.by_status["invalid"] or tally.by_status["failed"] else EXIT_OK


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
