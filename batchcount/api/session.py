"""A run's dealings with the count store, from the lookup before the estimate to the runs
table row at the end (so that `job` only wires the stages)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from batchcount.api.options import RunOptions
from batchcount.api.preflight import preflight, preflight_lines
from batchcount.api.reuse import (
    Reuse,
    cost_line,
    effective_max_age,
    find_reuse,
    notes,
    results_view,
    reuse_line,
    scope_for,
    take_over_journal,
)
from batchcount.net.client import GenerectClient
from batchcount.net.runner import Outcome, RunReport
from batchcount.output.style import COUNT_FORMAT, MONEY_FORMAT
from batchcount.plan.estimate import Estimate, money
from batchcount.plan.prepare import Prepared
from batchcount.store.age import describe_age
from batchcount.store.db import Database
from batchcount.store.recorder import Recorder
from batchcount.store.records import Record, lookup
from batchcount.store.runs import ActiveRun, begin_run


@dataclass
class StoreSession:
    db: Database
    options: RunOptions
    prepared: Prepared
    output: Path | None  # None: the Python API writes no file
    reuse: Reuse
    run: ActiveRun | None = None
    recorder: Recorder | None = None
    preflight_skipped: set[str] = field(default_factory=set)

    @classmethod
    def start(
        cls, db: Database, options: RunOptions, prepared: Prepared, output: Path | None
    ) -> tuple[StoreSession, list[str]]:
        """Take over an old journal (beside the output, and the one --journal names), settle
        what crashed runs left in flight, look the plan up. Returns the session and the lines
        to show before the estimate."""
        scope = scope_for(prepared.mode, options.sandbox, options.base_url, options.api_key)
        max_age = effective_max_age(options.max_age, options.fresh)
        imports = [
            take_over_journal(db, output, scope, journal)
            for journal in (options.journal, None)
            if journal is not None or output is not None
        ]
        reuse = find_reuse(db, prepared.plan, scope, max_age, output, settle=True)
        reuse.imports = [i for i in imports if i is not None]
        for imported in reuse.imports:
            reuse.crashed |= {fp for fp in imported.crashed if fp in prepared.plan.first_row}
        session = cls(db, options, prepared, output, reuse)
        return session, notes(reuse, db.path)

    def preflight(self, client: GenerectClient, say: Callable[[str], None]) -> set[str]:
        """--preflight: the segments about to be paid whose free database count is 0."""
        options = self.options
        if not options.preflight:
            return set()
        if self.prepared.mode != "realtime":
            say("--preflight has nothing to do in database mode: its counts are free.")
            return set()
        pending = dict(self.prepared.plan.request_items(skip=self.reuse.reused))
        # the free requests go out a few at a time ("auto" has no level yet)
        width = options.concurrency if isinstance(options.concurrency, int) else 10
        checked = preflight(client, self.db, self.reuse.scope, pending, self.reuse.cutoff, width)
        for line in preflight_lines(checked):
            say(line)
        self.preflight_skipped = checked.skipped
        return checked.skipped

    @property
    def done(self) -> set[str]:
        return set(self.reuse.reused)

    def estimate_lines(self, est: Estimate) -> list[str]:
        lines = [
            reuse_line(
                est.valid,
                est.distinct,
                self.reuse,
                est.billable,
                est.cost,
                est.preflight_skipped,
            )
        ]
        cost = cost_line(self.reuse, self.output) if self.output is not None else None
        if cost:
            lines.append(cost)
        return lines

    def question(self, est: Estimate) -> str:
        """The one prompt: the cost, and with --fresh what recounting gives up."""
        if self.options.fresh:
            stored = sum(1 for r in self.reuse.records.values() if r.results_count is not None)
            held = (
                f" ({stored} of them have stored counts that will not be reused)" if stored else ""
            )
            return (
                f"--fresh: recount all {est.billable} segments of this input{held} for about "
                f"{money(est.cost)}. Proceed?"
            )
        return "Proceed?"

    def begin(self) -> Recorder:
        """Register the run (from its first request on, others see it as running)."""
        reuse = self.reuse
        self.run = begin_run(self.db, reuse.scope, self.prepared.sheet.path, self.output)
        self.run.add(reused=len(reuse.reused), preflight_skipped=len(self.preflight_skipped))
        self.recorder = Recorder(self.db, reuse.scope, self.run.id, reuse.cutoff)
        return self.recorder

    def stop_recording(self) -> None:
        if self.recorder is not None:
            self.recorder.close()

    def view(self, report: RunReport) -> dict[str, Record]:
        return results_view(
            self.reuse,
            self.db,
            self.run.id if self.run else None,
            report.outcomes,
            self.output,
            self.prepared.plan.first_row,
        )

    def recorded(self, fps: Iterable[str]) -> dict[str, Record]:
        """What the store itself holds for these segments (not the Results view): answers
        that landed after the store was full are missing here, and must be said."""
        return lookup(self.db, self.reuse.scope, fps)

    def summary_extra(self, est: Estimate) -> list[tuple[str, object, str | None]]:
        rows: list[tuple[str, object, str | None]] = [
            ("Reused stored counts (segments)", est.already_done, COUNT_FORMAT),
            ("Reuse limit (--max-age)", describe_age(self.reuse.max_age), None),
            ("Count store", str(self.db.path), None),
        ]
        if self.options.preflight:
            rows.append(("Skipped by --preflight (segments)", est.preflight_skipped, COUNT_FORMAT))
            rows.append(("Saved by --preflight", est.saved_by_preflight, MONEY_FORMAT))
        return rows

    def closing_lines(self, report: RunReport) -> list[str]:
        """--fresh / --max-age 0 recounts everything each time: resuming needs another age."""
        if not report.stop_reason or self.reuse.max_age.total_seconds() > 0:
            return []
        flag = "--fresh" if self.options.fresh else "--max-age 0"
        return [
            f"This run used {flag}: the same command would count everything again. To resume "
            f"without paying again for what was counted, rerun without {flag} (or with "
            "--max-age 1d)."
        ]

    def end(self, exit_code: int, outcomes: Mapping[str, Outcome], test_mode: bool) -> None:
        self.stop_recording()
        if self.run is not None:
            failed = sum(1 for o in outcomes.values() if o.status == "failed")
            self.run.add(reused=sum(1 for o in outcomes.values() if o.reused))
            self.run.finish(exit_code, failed, test_mode)

    def abandon(self) -> None:
        """On an unexpected way out: stop writing and let other runs see this one ended."""
        self.stop_recording()
        if self.run is not None:
            self.run.release()
