"""Bounded-concurrency execution of a plan, with budget and stop rules.

Worker threads take requests in input order; the main thread collects outcomes (so progress
and Ctrl-C live in one place). Every stop keeps what is done: the journal already holds it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from batchcount.client import GenerectClient, RowFailed
from batchcount.errors import EXIT_INTERRUPTED, EXIT_STOPPED, StopRun
from batchcount.journal import Journal
from batchcount.plan import money, request_json
from batchcount.throttle import Cancelled

_EPS = 1e-9


@dataclass(frozen=True)
class Job:
    fp: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    fp: str
    status: Literal["ok", "failed", "skipped"]
    results_count: int | None = None
    amount_charged: float | None = None
    message: str = ""
    rebilled: int = 0  # attempts that may have been billed on top of the answer's receipt


@dataclass
class Progress:
    total: int
    done: int = 0
    ok: int = 0
    failed: int = 0
    spent: float = 0.0
    in_flight: int = 0
    rate_limited: int = 0
    test_mode: bool = False


@dataclass
class RunReport:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    stop_reason: str | None = None
    exit_code: int | None = None  # EXIT_STOPPED / EXIT_INTERRUPTED when stopped early
    spent: float = 0.0
    sent: int = 0
    rebilled: int = 0
    rate_limited: int = 0
    test_mode: bool = False
    abandoned: list[str] = field(default_factory=list)  # in flight when we stopped waiting


class _Budget:
    """--max-cost: in-flight requests count at their worst-case price, so the cap holds."""

    def __init__(self, max_cost: float | None, price: float) -> None:
        self.max_cost = max_cost
        self.price = price
        self.spent = 0.0
        self.reserved = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> bool:
        with self._lock:
            if self.max_cost is not None and (
                self.spent + self.reserved + self.price > self.max_cost + _EPS
            ):
                return False
            self.reserved += self.price
            return True

    def settle(self, charged: float) -> None:
        with self._lock:
            self.reserved -= self.price
            self.spent += charged

    def may_rebill(self) -> bool:
        """A retry after a timeout may be billed again: reserve one more price for it."""
        with self._lock:
            if self.max_cost is not None and (
                self.spent + self.reserved + self.price > self.max_cost + _EPS
            ):
                return False
            self.spent += self.price  # counted as spent: the server may have billed it
            return True


class Runner:
    def __init__(
        self,
        client: GenerectClient,
        journal: Journal,
        mode: str,
        concurrency: int,
        price: float,
        max_cost: float | None = None,
        grace: float = 5.0,
        on_progress: Callable[[Progress], None] = lambda p: None,
    ) -> None:
        self.client = client
        self.journal = journal
        self.mode = mode
        self.concurrency = max(1, concurrency)
        self.budget = _Budget(max_cost, price)
        self.grace = grace
        self.on_progress = on_progress
        self._stop = threading.Event()
        self._stop_reason: str | None = None
        self._stop_exit: int | None = None
        self._lock = threading.Lock()
        self._next = 0
        self._in_flight: set[str] = set()
        self._results: queue.Queue[Outcome | None] = queue.Queue()

    def stop(self, reason: str, exit_code: int) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
                self._stop_exit = exit_code
        self._stop.set()

    def _take(self, jobs: Sequence[Job]) -> Job | None:
        with self._lock:
            if self._stop.is_set() or self._next >= len(jobs):
                return None
            if not self.budget.reserve():
                limit = self.budget.max_cost or 0.0
                self._stop_reason = self._stop_reason or (
                    f"budget reached: --max-cost {money(limit)} would be exceeded by the next "
                    "request"
                )
                self._stop_exit = self._stop_exit or EXIT_STOPPED
                self._stop.set()
                return None
            job = jobs[self._next]
            self._next += 1
            self._in_flight.add(job.fp)
            return job

    def _work(self, jobs: Sequence[Job]) -> None:
        try:
            while (job := self._take(jobs)) is not None:
                self._results.put(self._one(job))
        finally:
            self._results.put(None)

    def _one(self, job: Job) -> Outcome:
        body_text = request_json(job.body)
        try:
            answer = self.client.count(
                self.mode,
                job.body,
                stopping=self._stop.is_set,
                may_rebill=self.budget.may_rebill,
                before_send=lambda: self.journal.mark_sent(job.fp, self.mode, body_text),
            )
        except Cancelled:
            self.budget.settle(0.0)
            return Outcome(job.fp, "skipped", message=f"not sent: {self._stop_reason or 'stopped'}")
        except RowFailed as exc:
            self.budget.settle(0.0)
            self.journal.mark_failed(job.fp, self.mode, exc.message)
            return Outcome(job.fp, "failed", message=exc.message)
        except StopRun as exc:
            self.budget.settle(0.0)
            self.stop(exc.message, exc.exit_code)
            self.journal.mark_failed(job.fp, self.mode, exc.message)
            return Outcome(job.fp, "skipped", message=f"not counted: {exc.message}")
        except Exception as exc:  # a bug must not lose the run: record it and go on
            self.budget.settle(0.0)
            message = f"internal error ({type(exc).__name__}); rerun to retry this row"
            self.journal.mark_failed(job.fp, self.mode, message)
            return Outcome(job.fp, "failed", message=message)
        self.budget.settle(answer.amount_charged)
        self.journal.mark_done(
            job.fp,
            self.mode,
            answer.results_count,
            answer.amount_charged,
            answer.possibly_billed_twice,
            answer.test_mode,
        )
        message = ""
        if answer.possibly_billed_twice:
            message = (
                f"timed out and was re-sent {answer.possibly_billed_twice} time(s): may have "
                "been billed more than once"
            )
        return Outcome(
            job.fp,
            "ok",
            answer.results_count,
            answer.amount_charged,
            message,
            answer.possibly_billed_twice,
        )

    def run(self, jobs: Sequence[Job]) -> RunReport:
        report = RunReport()
        progress = Progress(total=len(jobs), test_mode=self.client.test_mode)
        workers = [
            threading.Thread(target=self._work, args=(jobs,), name=f"count-{i}", daemon=True)
            for i in range(min(self.concurrency, len(jobs)))
        ]
        for worker in workers:
            worker.start()
        running = len(workers)
        deadline: float | None = None
        last_tick = 0.0
        while running:
            try:
                item = self._results.get(timeout=0.1)
            except queue.Empty:
                item = _EMPTY
            except KeyboardInterrupt:
                self.stop("interrupted (Ctrl-C)", EXIT_INTERRUPTED)
                continue
            if item is None:
                running -= 1
            elif item is not _EMPTY:
                self._record(item, report, progress)
            now = time.monotonic()
            if self._stop.is_set():
                if deadline is None:
                    deadline = now + self.grace
                elif now > deadline:
                    break  # in-flight answers did not land in time: the journal says 'sent'
            if now - last_tick >= 0.5 or item is not _EMPTY:
                last_tick = now
                progress.in_flight = len(self._in_flight)
                progress.rate_limited = self.client.throttle.rate_limited
                progress.test_mode = self.client.test_mode
                try:
                    self.on_progress(progress)
                except KeyboardInterrupt:
                    self.stop("interrupted (Ctrl-C)", EXIT_INTERRUPTED)
        with self._lock:
            report.abandoned = sorted(self._in_flight)
        report.stop_reason = self._stop_reason
        report.exit_code = self._stop_exit
        report.rate_limited = self.client.throttle.rate_limited
        report.test_mode = self.client.test_mode
        return report

    def _record(self, outcome: Outcome, report: RunReport, progress: Progress) -> None:
        with self._lock:
            self._in_flight.discard(outcome.fp)
        report.outcomes[outcome.fp] = outcome
        report.rebilled += outcome.rebilled
        if outcome.status != "skipped":
            report.sent += 1
        report.spent += outcome.amount_charged or 0.0
        progress.done += 1
        if outcome.status == "ok":
            progress.ok += 1
            progress.spent += outcome.amount_charged or 0.0
        elif outcome.status == "failed":
            progress.failed += 1


_EMPTY: Any = object()
