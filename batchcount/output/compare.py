"""`--compare PREVIOUS.xlsx`: this run's counts beside an earlier output's, matched by segment.

Rows are matched by their request body, canonicalised as for duplicate merging (field and list
order, case and spacing do not matter), never by row position: a re-sorted, re-cased or
extended sheet still lines up. Each Results row gets `previous_count`, `previous_counted_at`,
`change` and `change_pct` (after the fixed result columns, so those keep their places); a row
whose segment the previous output did not have says "new since previous"; segments the
previous output had and this input does not are "gone" (listed in the Summary). A previous row
that was not `ok` has no count to compare with: its rows say so and are left out of the
movers.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batchcount.output.columns import ExtraColumn, ResultRow
from batchcount.output.row_labels import clip, filters_text, request_body, row_label
from batchcount.plan.estimate import PlannedRow, fingerprint
from batchcount.read.previous import PreviousOutput, PreviousRow

COMPARE_COLUMNS = (
    ExtraColumn("previous_count", "count"),
    ExtraColumn("previous_counted_at", "datetime"),
    ExtraColumn("change", "count"),
    ExtraColumn("change_pct", "percent"),
)
NEW_SINCE = "new since previous"
TOP = 10  # movers and gone segments listed in the Summary
SHOWN = 3  # ... and on the terminal


@dataclass(frozen=True)
class Mover:
    row: int  # this input's row number (the first row of the segment)
    label: str
    previous: int
    now: int

    @property
    def change(self) -> int:
        return self.now - self.previous

    @property
    def pct(self) -> float | None:
        if self.previous == 0:
            return 0.0 if self.now == 0 else None
        return self.change / self.previous

    def text(self) -> str:
        pct = "" if self.pct is None else f", {self.pct:+.1%}"
        return f"{self.previous:,} -> {self.now:,} ({self.change:+,}{pct})"


@dataclass(frozen=True)
class Gone:
    row: int  # the previous output's input row (or its Results row)
    label: str
    previous: PreviousRow

    def text(self) -> str:
        prev = self.previous
        if prev.status != "ok" or prev.results_count is None:
            return f"was {prev.status or 'not counted'} there"
        when = f" (counted {prev.counted_at:%Y-%m-%d})" if prev.counted_at else ""
        return f"{prev.results_count:,}{when}"


class Comparison:
    """Built before the run (the previous output is read and indexed then); `annotate` wraps
    the Results rows as they stream out; the lines are complete once they have."""

    def __init__(
        self,
        previous: PreviousOutput,
        mode: str,
        planned: Sequence[PlannedRow],
        label_index: int | None,
    ) -> None:
        self.previous = previous
        self.mode = mode
        self.label_index = label_index
        self.unreadable = 0  # previous rows whose request is not a JSON object
        self.by_fp: dict[str, PreviousRow] = {}
        fps: dict[str, str | None] = {}  # request text -> fingerprint (duplicates parse once)
        for prev in previous.rows:
            if not prev.request:
                continue
            if prev.request not in fps:
                body = request_body(prev.request)
                fps[prev.request] = None if body is None else fingerprint(body, mode)
            fp = fps[prev.request]
            if fp is None:
                self.unreadable += 1
                continue
            held = self.by_fp.get(fp)
            if held is None or (held.status != "ok" and prev.status == "ok"):
                self.by_fp[fp] = prev  # an ok row wins over a failed one of the same segment
        dates = [r.counted_at for r in self.by_fp.values() if r.counted_at is not None]
        self.dates: tuple[datetime, datetime] | None = (min(dates), max(dates)) if dates else None
        current = {p.fingerprint for p in planned if p.fingerprint is not None}
        # What matching alone tells (before anything is counted; `check --compare` too).
        self.new_rows = sum(
            1 for p in planned if p.fingerprint is not None and p.fingerprint not in self.by_fp
        )
        matched = [self.by_fp[fp] for fp in current if fp in self.by_fp]
        self.matched = sum(1 for p in matched if _counted(p))  # distinct, with a count there
        self.not_compared = len(matched) - self.matched  # distinct, not ok there: no count
        # A previous `invalid` row was never a counted segment (its body lacks the bad
        # value): it cannot be gone.
        self.gone = [
            fp for fp, p in self.by_fp.items() if fp not in current and p.status != "invalid"
        ]
        self.compared = 0  # distinct segments with a count on both sides (after the run)
        self.changed = 0
        self._movers: list[Mover] = []
        self._seen: set[str] = set()

    # --- the rows ------------------------------------------------------------------------

    def annotate(
        self, planned: Iterable[PlannedRow], rows: Iterable[ResultRow]
    ) -> Iterator[ResultRow]:
        for plan_row, row in zip(planned, rows, strict=True):
            yield self._one(plan_row, row)

    def _one(self, planned: PlannedRow, row: ResultRow) -> ResultRow:
        fp = planned.fingerprint
        if fp is None:  # blank or invalid: no segment to compare
            return row
        first = fp not in self._seen
        self._seen.add(fp)
        prev = self.by_fp.get(fp)
        if prev is None:
            return dataclasses.replace(row, message=_joined(row.message, NEW_SINCE))
        if not _counted(prev) or prev.results_count is None:
            if prev.status == "ok":
                why = "has no readable count (edited?)"
            else:
                why = f"was {prev.status or 'not counted'}"
            note = f"not compared: the previous output's row {prev.line} {why}"
            return dataclasses.replace(row, message=_joined(row.message, note))
        values: list[Any] = [prev.results_count, prev.counted_at, None, None]
        if row.status == "ok" and row.results_count is not None:
            mover = Mover(
                row.row_number,
                row_label(row.cells, self.label_index, planned.check.body),
                prev.results_count,
                row.results_count,
            )
            values[2], values[3] = mover.change, mover.pct
            if first:
                self.compared += 1
                self.changed += mover.change != 0
                if mover.change:
                    self._movers.append(mover)
        return dataclasses.replace(row, extra=tuple(values))

    # --- what it found -------------------------------------------------------------------

    def by_change(self, n: int = TOP) -> list[Mover]:
        return heapq.nlargest(n, self._movers, key=lambda m: (abs(m.change), -m.row))

    def by_pct(self, n: int = TOP) -> list[Mover]:
        with_pct = [m for m in self._movers if m.pct is not None]
        return heapq.nlargest(n, with_pct, key=lambda m: (abs(m.pct or 0.0), -m.row))

    def gone_list(self, n: int = TOP) -> list[Gone]:
        def size(fp: str) -> int:
            prev = self.by_fp[fp]
            return prev.results_count if prev.status == "ok" and prev.results_count else -1

        largest = heapq.nlargest(n, self.gone, key=size)
        out = []
        for fp in largest:
            prev = self.by_fp[fp]
            label = prev.label or filters_text(request_body(prev.request), 40)
            out.append(Gone(prev.source_row or prev.line, clip(label, 40), prev))
        return out

    def warnings(self, test_mode: bool | None) -> list[str]:
        name = self.previous.path.name
        out = []
        if self.previous.mode and self.previous.mode != self.mode:
            out.append(
                f"{name} counted in {self.previous.mode} mode and this run in {self.mode} "
                "mode: the two modes count differently, so changes may come from that"
            )
        known = self.previous.test_mode is not None and test_mode is not None
        if known and self.previous.test_mode != test_mode:
            which = "fictional (test mode)" if self.previous.test_mode else "live"
            now = "fictional (test mode)" if test_mode else "live"
            out.append(f"{name} holds {which} counts and this run {now} ones: not comparable")
        if self.unreadable:
            out.append(
                f"{_n(self.unreadable, 'row')} of {name}: the request is not a JSON object "
                "(edited by hand?), left out of the comparison"
            )
        return out

    def totals(self) -> str:
        parts = [f"{_n(self.compared, 'segment')} compared ({self.changed:,} changed)"]
        if self.not_compared:
            parts.append(
                f"{self.not_compared:,} not compared (their previous row was not ok: no count)"
            )
        parts.append(f"{_n(self.new_rows, 'row')} new since previous")
        parts.append(f"{_n(len(self.gone), 'segment')} gone")
        return ", ".join(parts)

    def check_lines(self) -> list[str]:
        """For `check --compare`: what matched, before anything is counted."""
        parts = [f"{_n(self.matched, 'segment')} with a previous count"]
        if self.not_compared:
            parts.append(f"{self.not_compared:,} without one (not ok there)")
        parts.append(f"{_n(self.new_rows, 'row')} new since previous")
        parts.append(f"{_n(len(self.gone), 'segment')} gone")
        out = [f"Compared with {self.previous.path.name}: {', '.join(parts)}"]
        out += [f"  Warning: {w}" for w in self.warnings(None)]
        for gone in self.gone_list(SHOWN):
            out.append(f"  gone: row {gone.row} of the previous input, {gone.label}: {gone.text()}")
        return out

    def lines(self, test_mode: bool, in_summary: bool) -> list[str]:
        """For the terminal, after the run."""
        out = [f"Compared with {self.previous.path.name}: {self.totals()}"]
        out += [f"  Warning: {w}" for w in self.warnings(test_mode)]
        for mover in self.by_change(SHOWN):
            out.append(f"  moved: row {mover.row} {mover.label}: {mover.text()}")
        for gone in self.gone_list(SHOWN):
            out.append(f"  gone: row {gone.row} of the previous input, {gone.label}: {gone.text()}")
        if in_summary and (self._movers or self.gone):
            out.append(f"  (the {TOP} biggest movers and gone segments are in the Summary sheet)")
        return out

    def summary_lines(self, test_mode: bool | None, counted: bool = True) -> list[tuple[str, str]]:
        """Extra (label, value) lines for the Summary sheet; `counted` False (check): only
        what matching tells, no changes."""
        name = self.previous.path.name
        if self.dates is not None:
            first, last = (f"{d:%Y-%m-%d}" for d in self.dates)
            name += f" (counted {first})" if first == last else f" (counted {first} to {last})"
        lines: list[tuple[str, str]] = [("Compared with", name)]
        if counted:
            lines.append(("Segments compared", f"{self.compared:,}"))
            lines.append(("Segments changed", f"{self.changed:,}"))
        else:
            lines.append(("Segments with a previous count", f"{self.matched:,}"))
        lines += [
            ("Not compared (not ok in the previous output)", f"{self.not_compared:,}"),
            ("Rows new since previous", f"{self.new_rows:,}"),
            ("Segments gone since previous", f"{len(self.gone):,}"),
        ]
        lines += [("Comparison warning", w) for w in self.warnings(test_mode)]
        sections = (
            (
                ("Biggest movers by change", self.by_change()),
                ("Biggest movers by %", self.by_pct()),
            )
            if counted
            else ()
        )
        for title, movers in sections:
            lines.append((f"{title} (previous -> now)", "" if movers else "none"))
            lines += [(f"{i}. row {m.row}: {m.label}", m.text()) for i, m in enumerate(movers, 1)]
        gone = self.gone_list()
        if gone:
            more = f" (the {TOP} largest)" if len(self.gone) > TOP else ""
            lines.append((f"Gone since previous{more}: previous input row", "previous count"))
            lines += [(f"{i}. row {g.row}: {g.label}", g.text()) for i, g in enumerate(gone, 1)]
        return lines


def _counted(prev: PreviousRow) -> bool:
    return prev.status == "ok" and prev.results_count is not None


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _joined(message: str, note: str) -> str:
    return f"{message}; {note}" if message else note
