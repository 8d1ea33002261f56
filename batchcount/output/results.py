"""Plan + answers -> the Results rows and the Summary, in input order.

Answers come from this run's outcomes or from the count store (earlier runs, any output).
Totals are sums of the server's `amount_charged` receipts, never our own arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from batchcount.net.runner import Outcome
from batchcount.output.columns import ResultRow
from batchcount.plan.estimate import Plan, PlannedRow, request_json
from batchcount.plan.explode import segment_text
from batchcount.store.records import Record

TEST_PREFIX = "[test mode: fictional count, nothing charged] "
STATUSES = ("ok", "invalid", "failed", "skipped")


@dataclass
class Tally:
    """Filled while the rows stream out, for the Summary."""

    by_status: dict[str, int]
    leads: int = 0  # sum over distinct segments: a duplicate row is not counted again
    spent: float = 0.0
    possibly_billed: int = 0  # attempts sent without an answer: may be billed beyond receipts
    left: int = 0  # valid rows not counted yet (failed or not reached): a rerun finishes them

    @classmethod
    def empty(cls) -> Tally:
        return cls({s: 0 for s in STATUSES})


def same_as(planned: PlannedRow) -> str:
    """'row 5', or 'row 5 (Germany × VP)' for an exploded segment: the row that is sent."""
    where = f"row {planned.duplicate_of}"
    if planned.duplicate_segment:
        where += f" ({segment_text(planned.duplicate_segment)})"
    return where


def _messages(planned: PlannedRow) -> list[str]:
    check = planned.check
    return [*check.errors, *check.warnings, *check.notes]


def check_rows_out(plan: Plan, cells: Sequence[Sequence[str]], tally: Tally) -> Iterator[ResultRow]:
    """The Results layout for `check --report`: nothing was sent."""
    for planned, row_cells in zip(plan.rows, cells, strict=True):
        check = planned.check
        body = request_json(check.body) if check.body else ""
        if check.status == "blank":
            status, message = "skipped", "blank row"
        elif check.status == "skipped":  # a total, footnote or hidden row: never sent
            status, message = "skipped", "; ".join(check.notes)
        elif check.status == "invalid":
            status, message = "invalid", "; ".join(_messages(planned))
        else:
            status = "skipped"
            parts = ["valid; not sent (check makes no billable call)"]
            if planned.duplicate_of is not None:
                parts.append(f"same segment as {same_as(planned)}: it would be sent once")
            message = "; ".join(parts + _messages(planned))
        tally.by_status[status] += 1
        yield ResultRow(check.row_number, row_cells, None, status, None, message, body)


IN_FLIGHT = (
    "in flight when the run stopped: it may have been billed; rerun the same command to "
    "resume (it will be re-sent)"
)


def _unanswered_note(unanswered: int, status: str) -> str:
    if not unanswered:
        return ""
    attempts = f"{unanswered} attempt{'s' if unanswered > 1 else ''}"
    why = "got no answer (timeout, dropped connection, or in flight when a run stopped)"
    if status == "ok":
        return f"{attempts} {why} and it was re-sent: it may have been billed more than once"
    return f"{attempts} {why}: it may have been billed without a receipt"


def run_rows_out(
    plan: Plan,
    cells: Sequence[Sequence[str]],
    outcomes: Mapping[str, Outcome],
    journal: Mapping[str, Record],
    not_reached: str,
    test_mode: bool,
    tally: Tally,
) -> Iterator[ResultRow]:
    """The Results rows after a run. `journal` holds the stored answer per segment (read after
    the run): `done` ones are used, with their `message`; a `sent` one was abandoned in flight.

    Possibly billed attempts come from the journal (all runs) or, if it could not record
    them, from this run's outcomes; a request still `sent` (abandoned in flight) counts one.
    """
    prefix = TEST_PREFIX if test_mode else ""
    for planned, row_cells in zip(plan.rows, cells, strict=True):
        check = planned.check
        body = request_json(check.body) if check.body else ""
        extra = _messages(planned)
        count: int | None = None
        amount: float | None = None
        counted_at: datetime | None = None
        source = ""
        if check.status == "blank":
            status, message = "skipped", "blank row"
        elif check.status == "skipped":  # a total, footnote or hidden row: never sent
            status, message = "skipped", "; ".join(check.notes)
        elif check.status == "invalid":
            status, message = "invalid", "; ".join(extra) + "; nothing was sent"
        else:
            fp = planned.fingerprint or ""
            outcome = outcomes.get(fp)
            entry = journal.get(fp)
            in_flight = entry is not None and entry.state == "sent"
            unanswered = max(
                entry.rebilled if entry is not None else 0,
                outcome.rebilled if outcome is not None else 0,
            ) + int(in_flight)
            if outcome is not None and outcome.status != "skipped":
                status = outcome.status
                count, amount = outcome.results_count, outcome.amount_charged
                message = outcome.message
                source = ("reused" if outcome.reused else "new") if status == "ok" else ""
            elif entry is not None and entry.state == "done":
                # a done entry without a count: billed, but its count was unusable (kept so
                # that no rerun pays for the same answer again)
                status = "ok" if entry.results_count is not None else "failed"
                count, amount = entry.results_count, entry.amount
                message = entry.message or "answered in an earlier run; not charged again"
                source = "reused" if status == "ok" else ""
            else:
                status = "skipped"
                message = (
                    IN_FLIGHT
                    if in_flight
                    else (outcome.message if outcome is not None else not_reached)
                )
            if status == "ok" and entry is not None and entry.answered_at is not None:
                counted_at = datetime.fromtimestamp(entry.answered_at, UTC)
            if planned.duplicate_of is not None and status == "ok":
                amount = 0.0
                source = "duplicate"
                message = (
                    f"same segment as {same_as(planned)}: counted once there, not charged "
                    "again (not added to the total again)"
                )
            elif planned.duplicate_of is not None and status != "ok":
                message = f"same segment as {same_as(planned)}: {message}"
            else:
                tally.possibly_billed += unanswered
                note = "" if in_flight and unanswered == 1 else _unanswered_note(unanswered, status)
                message = "; ".join(p for p in [message, note] if p)
            message = "; ".join(p for p in [message, *extra] if p)
        if status == "ok" and planned.duplicate_of is None:
            tally.leads += count or 0  # a duplicate's count is its first row's: once only
        if check.status == "valid" and status != "ok":
            tally.left += 1
        if prefix:
            message = prefix + message if message else prefix.rstrip()
        tally.by_status[status] += 1
        tally.spent += amount or 0.0
        yield ResultRow(
            check.row_number, row_cells, count, status, amount, message, body, counted_at, source
        )
