"""Text blocks the CLI shows: what was read, the mapping, problems, the estimate, the outcome.

Pure functions returning lines, so they are testable and the CLI stays the only printer.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice

from batchcount.plan.estimate import Estimate, money
from batchcount.plan.planned import MessageKind
from batchcount.plan.prepare import Prepared

SHOWN_PROBLEMS = 10
SHOWN_COLUMNS = 20  # a sheet may have thousands of columns: name the first few


def input_lines(prepared: Prepared) -> list[str]:
    sheet = prepared.sheet
    lines = [f"Read {sheet.path}"]
    lines.extend(f"  {note}" for note in sheet.notes)
    lines.append("Columns sent:")
    lines.extend(f"  {line}" for line in prepared.columns.describe(sheet.headers))
    not_sent = prepared.columns.not_sent(sheet.headers)
    if not_sent:
        shown = ", ".join(not_sent[:SHOWN_COLUMNS])
        if len(not_sent) > SHOWN_COLUMNS:
            shown += f", ... ({len(not_sent)} columns in all)"
        lines.append(f"Not sent (kept in the output): {shown}")
    lines.extend(f"Hint: {hint}" for hint in prepared.columns.hints)
    lines.extend(f"Hint: {hint}" for hint in prepared.plan.hints)
    lines.extend(f"Note: {note}" for note in prepared.notes)
    return lines


_KINDS: tuple[tuple[str, MessageKind], ...] = (
    ("Problems (rows not sent)", "errors"),
    ("Warnings (sent anyway)", "warnings"),
    ("Repaired", "notes"),
)


def problem_lines(prepared: Prepared, limit: int = SHOWN_PROBLEMS) -> list[str]:
    plan = prepared.plan
    lines: list[str] = []
    skipped = prepared.skips.lines()
    if skipped:
        lines.append(f"Skipped (not counted): {plan.count('skipped')} rows")
        lines.extend(f"  {line}" for line in skipped)
    for title, kind in _KINDS:
        total = plan.message_count(kind)
        if not total:
            continue
        lines.append(f"{title}: {total}")
        lines.extend(f"  {item}" for item in islice(plan.messages(kind), limit))
        if total > limit:
            lines.append(
                f"  ... and {total - limit} more (see the message column of the report/output)"
            )
    return lines


def rows_line(estimate: Estimate) -> str:
    parts = [
        f"{estimate.rows} rows: {estimate.valid} valid",
        f"{estimate.invalid} invalid",
        f"{estimate.blank} blank",
    ]
    if estimate.skipped:
        parts.append(f"{estimate.skipped} skipped")
    line = ", ".join(parts)
    if estimate.duplicates:
        rows = "row" if estimate.duplicates == 1 else "rows"
        line += (
            f"; {estimate.duplicates} duplicate {rows} merged "
            f"({estimate.distinct} distinct segments)"
        )
    return line


def estimate_lines(
    estimate: Estimate,
    mode: str,
    balance: float | None,
    test_mode: bool,
    crashed: int = 0,
) -> list[str]:
    lines = [rows_line(estimate)]
    if estimate.already_done:
        lines.append(
            f"Already counted (journal): {estimate.already_done} segments, not sent again "
            f"(saves {money(estimate.saved_by_resuming)})"
        )
    if crashed:
        lines.append(
            f"{crashed} requests were in flight when the last run stopped: they will be sent "
            "again and may be billed twice"
        )
    lines.append(f"Billable requests: {estimate.billable} ({mode} mode)")
    lines.append(f"Price: {money(estimate.price)} per request ({estimate.price_source})")
    lines.append(f"Estimated cost: {money(estimate.cost)}")
    if balance is not None:
        warn = (
            "  <- less than the estimate: the run will stop when funds run out"
            if balance < estimate.cost
            else ""
        )
        lines.append(f"Balance: {money(balance)}{warn}")
    if test_mode:
        lines.append("TEST MODE: counts are fictional and nothing is charged")
    return lines


def outcome_lines(
    by_status: Mapping[str, int],
    leads: int,
    spent: float,
    spent_now: float,
    output: str,
    stop_reason: str | None,
    test_mode: bool,
) -> list[str]:
    shown = ", ".join(f"{n} {s}" for s, n in by_status.items() if n)
    lines = [
        f"Rows: {shown or 'none'}",
        f"Leads (sum of results_count): {leads:,}",
        f"Spent: {money(spent_now)} in this run, {money(spent)} for the whole workbook"
        + (" (test mode: nothing was really charged)" if test_mode else ""),
        f"Wrote {output}",
    ]
    if stop_reason:
        lines.append(f"Stopped early: {stop_reason}")
        lines.append("Rerun the same command to resume: answered segments are never sent again.")
    return lines
