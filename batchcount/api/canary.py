"""`--canary N`: count the first N billable requests, show their answers, then ask again
before paying for the rest.

The two phases are two runners over the same count store and ONE budget (`--max-cost` caps
the whole run). Every canary answer is in the store as soon as it lands, so declining (or a
failed canary with --yes) leaves nothing to pay twice: rerunning the same command counts only
what is left (and, with --canary again, canaries the first N of that).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from batchcount.api.options import UI
from batchcount.api.quote import Quote
from batchcount.errors import EXIT_INTERRUPTED, EXIT_STOPPED, NotConfirmed, UsageError
from batchcount.net.runner import Job, Runner, RunReport
from batchcount.output.canary_table import CanaryRow, intro_lines, not_a_canary_line
from batchcount.output.row_labels import filters_text, label_column, row_label
from batchcount.plan.prepare import Prepared

__all__ = ["CANARY_DECLINED", "canary_size", "check_canary", "count_jobs"]

CANARY_DECLINED = "you stopped after the canary"
DECLINED_MESSAGE = (
    "not sent: you stopped after the canary; rerun the same command to count the rest"
)
INTERRUPTED_MESSAGE = (
    "not sent: interrupted after the canary; rerun the same command to count the rest"
)


def check_canary(size: int | None) -> None:
    if size is None:
        return
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise UsageError(f"--canary {size!r}: give a number of requests, 1 or more.")


def canary_size(size: int | None, billable: int, yes: bool, price: float) -> tuple[int, list[str]]:
    """(requests in the canary, 0 for none; lines to show under the estimate)."""
    if not size or not billable:
        return 0, []
    if size >= billable:
        return 0, [not_a_canary_line(size, billable)]
    return size, intro_lines(size, billable - size, price, yes) if yes else []


@dataclass
class _Context:
    prepared: Prepared
    quote: Quote  # the first question's quote (the whole run)
    test_mode: Callable[[], bool]  # the client learns it from answers too


def count_jobs(
    todo: Sequence[Job],
    size: int,
    make_runner: Callable[[], Runner],
    ui: UI,
    *,
    yes: bool,
    prepared: Prepared,
    quote: Quote,
    test_mode: Callable[[], bool],
    asking: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> tuple[RunReport, str | None]:
    """Send `todo`: at once, or (size > 0) the canary, its table, the second question and the
    rest. Returns the report and, when the rest was not sent because of the canary, the
    message for its rows."""
    if size <= 0:
        report = make_runner().run(todo)
        ui.progress_done()
        return report, None
    context = _Context(prepared, quote, test_mode)
    first_jobs, rest = list(todo[:size]), list(todo[size:])
    first = make_runner()
    canary = first.run(first_jobs)
    ui.progress_done()
    if canary.stop_reason:  # funds, key, --max-cost, Ctrl-C: an ordinary stop
        return canary, None
    rows = _canary_rows(first_jobs, canary, prepared)
    spent = canary.spent
    second_quote = _rest_quote(context, len(rest), rows, spent)
    for line in second_quote.lines():
        ui.info(line)
    failed = [r for r in rows if r.status != "ok"]
    if yes and failed:
        shown = failed[0]
        why = f"a canary request failed (row {shown.row}: {shown.message or shown.status})"
        ui.info(f"Stopping: {why}. The other {len(rest)} requests were not sent.")
        message = (
            f"not sent: a canary request failed (row {shown.row}); fix it and rerun the same "
            "command to count the rest"
        )
        return _stopped(canary, why), message
    try:
        with asking():  # Ctrl-C at the question stops at once (signals are held otherwise)
            go_on = yes or _approved(ui, second_quote)
    except KeyboardInterrupt:  # Ctrl-C at the question: keep the canary's workbook too
        ui.info("Interrupted at the question: the other requests were not sent.")
        stopped = _stopped(canary, "interrupted (Ctrl-C) after the canary", EXIT_INTERRUPTED)
        return stopped, INTERRUPTED_MESSAGE
    if not go_on:
        ui.info(
            f"The other {len(rest)} requests were not sent. Rerun the same command to count "
            "them: the canary's answers are kept and not paid for again."
        )
        return _stopped(canary, CANARY_DECLINED), DECLINED_MESSAGE
    second = make_runner()
    second.share_budget(first.budget)  # --max-cost is for the whole run, canary included
    report = second.run(rest)
    ui.progress_done()
    return _merged(canary, report), None


def _approved(ui: UI, quote: Quote) -> bool:
    try:
        return ui.approve(quote)
    except NotConfirmed:  # the Python API's declining callback: a decline like "N"
        return False


def _rest_quote(context: _Context, rest: int, rows: list[CanaryRow], spent: float) -> Quote:
    quote = context.quote
    test_mode = quote.test_mode or context.test_mode()
    balance = quote.balance
    if balance is not None and not test_mode:  # test-mode receipts are not really charged
        balance = round(balance - spent, 6)
    return dataclasses.replace(
        quote,
        billable=rest,
        cost=round(rest * quote.price, 6),
        balance=balance,
        test_mode=test_mode,
        crashed=0,  # re-sent (if at all) in the canary: said before the first question
        canary=0,
        canary_results=tuple(rows),
        canary_spent=spent,
    )


def _canary_rows(jobs: Sequence[Job], report: RunReport, prepared: Prepared) -> list[CanaryRow]:
    plan, sheet = prepared.plan, prepared.sheet
    wanted = {plan.first_row[job.fp]: job for job in jobs}
    cells_of: dict[int, Sequence[str]] = {}
    for planned, cells in zip(plan.rows, prepared.result_cells, strict=True):
        if planned.check.row_number in wanted:
            cells_of[planned.check.row_number] = cells
            if len(cells_of) == len(wanted):
                break
    label = label_column(sheet.headers, prepared.columns, sheet.rows)
    out = []
    for row, job in sorted(wanted.items()):
        outcome = report.outcomes.get(job.fp)
        out.append(
            CanaryRow(
                row=row,
                label=row_label(cells_of.get(row, ()), label, None) or f"row {row}",
                filters=filters_text(job.body),
                status=outcome.status if outcome is not None else "skipped",
                results_count=outcome.results_count if outcome is not None else None,
                message=outcome.message if outcome is not None else "not answered",
            )
        )
    return out


def _stopped(report: RunReport, reason: str, code: int = EXIT_STOPPED) -> RunReport:
    return dataclasses.replace(report, stop_reason=reason, exit_code=code)


def _merged(first: RunReport, second: RunReport) -> RunReport:
    return RunReport(
        outcomes={**first.outcomes, **second.outcomes},
        stop_reason=second.stop_reason,
        exit_code=second.exit_code,
        spent=first.spent + second.spent,
        sent=first.sent + second.sent,
        rebilled=first.rebilled + second.rebilled,
        rate_limited=max(first.rate_limited, second.rate_limited),  # the throttle's running total
        test_mode=first.test_mode or second.test_mode,
        abandoned=[*first.abandoned, *second.abandoned],
        peak_level=max(first.peak_level, second.peak_level),
        start_price=first.start_price,
        max_receipt=max(
            (r for r in (first.max_receipt, second.max_receipt) if r is not None), default=None
        ),
        receipts_missing=first.receipts_missing + second.receipts_missing,
        reused=first.reused + second.reused,
    )
