"""Text blocks the CLI shows: what was read, the mapping, problems, the estimate, the outcome.

Pure functions returning lines, so they are testable and the CLI stays the only printer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice

from batchcount.plan.estimate import Estimate, money
from batchcount.plan.planned import MessageKind
from batchcount.plan.prepare import Prepared
from batchcount.plan.separators import column_ref, separator_advice
from batchcount.read.grid import column_of
from batchcount.read.sheet import column_label
from batchcount.shown import quoted, shown

SHOWN_PROBLEMS = 10
SHOWN_COLUMNS = 20  # a sheet may have thousands of columns: name the first few


def input_lines(prepared: Prepared) -> list[str]:
    sheet = prepared.sheet
    lines = [f"Read {sheet.path}"]
    lines.extend(f"  {note}" for note in sheet.notes)
    lines.append("Columns sent:")
    lines.extend(f"  {line}" for line in prepared.columns.describe(sheet.headers))
    lines.extend(hidden_column_lines(prepared))
    not_sent = prepared.columns.not_sent(sheet.headers)
    if not_sent:
        shown = ", ".join(not_sent[:SHOWN_COLUMNS])
        if len(not_sent) > SHOWN_COLUMNS:
            shown += f", ... ({len(not_sent)} columns in all)"
        lines.append(f"Not sent (kept in the output): {shown}")
    lines.extend(f"Hint: {hint}" for hint in prepared.columns.hints)
    lines.extend(f"Hint: {hint}" for hint in unnamed_column_hints(prepared))
    lines.extend(f"Hint: {hint}" for hint in prepared.plan.hints)
    lines.extend(f"Note: {note}" for note in prepared.notes)
    return lines + explode_lines(prepared)


def unnamed_column_hints(prepared: Prepared) -> list[str]:
    """Columns without a header that hold values: never sent, and easy to miss."""
    sheet, fields = prepared.sheet, prepared.columns.fields
    hints = []
    for index, header in enumerate(sheet.headers):
        if header.strip() or index in fields:
            continue
        filled = [i for i, c in enumerate(column_of(sheet.rows, index)) if c.strip()]
        if filled:
            first = sheet.row_numbers[filled[0]]
            many = len(filled) != 1
            hints.append(
                f"column {column_label(index)} has no header but holds {len(filled)} "
                f"value{'s' * many} (first in row {first}); {'they are' if many else 'it is'} "
                "not sent: give the column a header (a field name such as 'Locations') to send "
                f"{'them' if many else 'it'}"
            )
    return hints


def hidden_column_lines(prepared: Prepared) -> list[str]:
    """Sent columns hidden in the sheet: the analyst does not see them, so say they count."""
    sheet, fields = prepared.sheet, prepared.columns.fields
    lines = []
    for index in sorted(i for i in fields if i in sheet.hidden_columns):
        header = sheet.headers[index]
        lines.append(
            f"Warning: column {column_label(index)} ({shown(header)!r}) is hidden in the sheet "
            f"but is sent as {fields[index]}, so it narrows every row's count; to leave it out "
            f"add --map {quoted(header.strip() + '=')}"
        )
    return lines


def explode_text(prepared: Prepared) -> str | None:
    """'Locations × Seniorities: 3 rows → 18 segments', None without --explode."""
    explosion = prepared.explosion
    if explosion is None:
        return None
    rows = len(explosion.sources)
    segments = sum(s.segments for s in explosion.sources)
    return (
        f"{' × '.join(explosion.labels)}: {rows:,} row{'s' * (rows != 1)} → "
        f"{segments:,} segment{'s' * (segments != 1)}"
    )


def explode_lines(prepared: Prepared, limit: int = SHOWN_PROBLEMS) -> list[str]:
    """What --explode did, rows partly invalid, and rows above --max-segments (named)."""
    explosion = prepared.explosion
    if explosion is None:
        return []
    lines = [f"Exploded {explode_text(prepared)}"]
    mixed: dict[int, list[str]] = {}  # row -> statuses of its segments
    for planned in prepared.plan.rows:
        if planned.segment:
            mixed.setdefault(planned.check.row_number, []).append(planned.check.status)
    partly = [(r, s) for r, s in mixed.items() if "invalid" in s and "valid" in s]
    for row, statuses in partly[:limit]:
        bad = statuses.count("invalid")
        lines.append(
            f"  row {row}: {bad} of {len(statuses)} segments invalid (not sent); the other "
            f"{len(statuses) - bad} are still sent"
        )
    if len(partly) > limit:
        lines.append(f"  ... and {len(partly) - limit} more rows with some invalid segments")
    options, headers = prepared.row_options, prepared.sheet.headers
    single = [
        (source.row_number, column, values[0])
        for source in explosion.sources
        for column, values in zip(explosion.columns, source.values, strict=True)
        if len(values) == 1 and "," in values[0] and options.separator_at(column.index) != ","
    ]
    for row, column, value in single[:limit]:
        advice = separator_advice(column_ref(headers, column.index), ",")
        lines.append(
            f"  row {row}, {column.label}: '{value}' is one value, so one segment; if it lists "
            f"several, separate them with '{options.separator_at(column.index)}' (or run "
            f"with {advice})"
        )
    large = explosion.large_rows(prepared.max_segments)
    for source in large[:limit]:
        sizes = " × ".join(
            f"{len(v):,} {c.label}" for v, c in zip(source.values, explosion.columns, strict=True)
        )
        lines.append(
            f"Large: row {source.row_number} expands to {source.segments:,} segments ({sizes}), "
            f"more than --max-segments {prepared.max_segments:,}; each is a billable request"
        )
    if len(large) > limit:
        lines.append(f"Large: ... and {len(large) - limit} more rows above --max-segments")
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
        first: Iterable[str]
        if prepared.explosion is not None:
            # an exploded row's segments repeat the messages about its other cells
            items = list(dict.fromkeys(plan.messages(kind)))
            total, first = len(items), items[:limit]
        else:
            total, first = plan.message_count(kind), islice(plan.messages(kind), limit)
        if not total:
            continue
        lines.append(f"{title}: {total}")
        lines.extend(f"  {item}" for item in first)
        if total > limit:
            lines.append(
                f"  ... and {total - limit} more (see the message column of the report/output)"
            )
    return lines


def rows_line(estimate: Estimate) -> str:
    unit = "segments" if estimate.exploded else "rows"
    parts = [
        f"{estimate.rows} {unit}: {estimate.valid} valid",
        f"{estimate.invalid} invalid",
        f"{estimate.blank} blank",
    ]
    if estimate.skipped:
        parts.append(f"{estimate.skipped} skipped")
    line = ", ".join(parts)
    if estimate.duplicates:
        rows = unit[:-1] if estimate.duplicates == 1 else unit
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
    reuse: Sequence[str] = (),
) -> list[str]:
    """`reuse`: the lines on stored counts (reused, new, what this output has cost)."""
    lines = [rows_line(estimate), *reuse]
    if estimate.already_done and not reuse:
        lines.append(
            f"Already counted: {estimate.already_done} segments, not sent again "
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
    output: str | None,
    stop_reason: str | None,
    test_mode: bool,
) -> list[str]:
    """The closing lines; `output` None: no file was written (the Python API's default)."""
    shown = ", ".join(f"{n} {s}" for s, n in by_status.items() if n)
    lines = [
        f"Rows: {shown or 'none'}",
        f"Leads (each distinct segment once): {leads:,}",
        f"Spent: {money(spent_now)} in this run, {money(spent)} for the whole "
        + ("workbook" if output is not None else "table")
        + (" (test mode: nothing was really charged)" if test_mode else ""),
    ]
    if output is not None:
        lines.append(f"Wrote {output}")
    if stop_reason:
        lines.append(f"Stopped early: {stop_reason}")
        lines.append("Rerun the same command to resume: answered segments are never sent again.")
    return lines
