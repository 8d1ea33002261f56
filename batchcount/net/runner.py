"""Bounded-concurrency execution of a plan, with budget and stop rules.

Worker threads take requests in input order; the main thread collects outcomes (so progress
and Ctrl-C live in one place). Every stop keeps what is done: the store already holds it.
Per-segment work (the store's marks, waiting for another run's answer, the budget) is in
`segment`.

Stopping: no new request goes out, and the requests already in flight are waited for, because
the API bills them whether or not we read the answer (an abandoned one is re-sent next run and
may be billed twice). How long we wait:
- stops decided by the API or the budget (funds, key, --max-cost) and a first Ctrl-C: up to
  the request timeout (`patience`); a second Ctrl-C stops waiting at once;
- SIGTERM (a service manager or `timeout` wants the process gone soon) and SIGHUP (the
  terminal closed): `grace` seconds.
All three exit 130 ("interrupted"); a signal ignored at start (`nohup`) stays ignored.
Requests still in flight when we stop waiting stay `sent` in the store: the next run
re-sends them and reports them as possibly billed twice.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from batchcount.errors import EXIT_INTERRUPTED, EXIT_STOPPED
from batchcount.net.budget import Budget
from batchcount.net.client import GenerectClient
from batchcount.net.report import Progress, RunReport
from batchcount.net.segment import Job, Outcome, SegmentCount
from batchcount.net.signals import HURRIED, STOP_SIGNALS, signal_name
from batchcount.plan.estimate import money
from batchcount.store.recorder import Recorder

__all__ = ["Job", "Outcome", "Progress", "RunReport", "Runner"]


class Runner:
    def __init__(
        self,
        client: GenerectClient,
        store: Recorder,
        mode: str,
        concurrency: int,
        price: float,
        max_cost: float | None = None,
        grace: float = 5.0,
        on_progress: Callable[[Progress], None] = lambda p: None,
        patience: float | None = None,
        on_notice: Callable[[str], None] = lambda line: None,
        signals: list[int] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.mode = mode
        self.concurrency = max(1, concurrency)
        self.budget = Budget(max_cost, price)
        self.grace = grace  # after SIGTERM
        # after any other stop: long enough for every request in flight to be answered
        self.patience = (
            patience
            if patience is not None
            else client.config.timeout + client.config.connect_timeout + 5.0
        )
        self.on_progress = on_progress
        self.on_notice = on_notice
        # appended to by the signal handler (no locks there); may be shared with the caller,
        # whose own handler records the signals that come before or after the run
        self._signals: list[int] = signals if signals is not None else []
        self._stop = threading.Event()
        self._stop_reason: str | None = None
        self._stop_exit: int | None = None
        self._lock = threading.Lock()
        self._next = 0
        self._workers = 0  # worker threads started
        self._in_flight: set[str] = set()
        self._results: queue.Queue[Outcome | None] = queue.Queue()
        self._segment = SegmentCount(
            client, store, mode, self.budget, self._stop.is_set, self.stop, self._reason
        )
        self._segment.on_notice = on_notice

    def share_budget(self, budget: Budget) -> None:
        """Count against another run's budget (a canary's rest: --max-cost is for the whole
        run, canary included)."""
        self.budget = budget
        self._segment.budget = budget

    def stop(self, reason: str, exit_code: int) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
                self._stop_exit = exit_code
        self._stop.set()

    def _reason(self) -> str | None:
        return self._stop_reason

    def _take(self, jobs: Sequence[Job]) -> Job | None:
        with self._lock:
            if self._stop.is_set() or self._next >= len(jobs):
                return None
            if not self.budget.reserve():
                limit = self.budget.max_cost or 0.0
                self._stop_reason = self._stop_reason or (
                    f"budget reached: --max-cost {money(limit)} would be exceeded by the next "
                    f"request (each request in flight is reserved at {money(self.budget.worst)}, "
                    "the highest price known)"
                )
                self._stop_exit = self._stop_exit or EXIT_STOPPED
                self._stop.set()
                return None
            job = jobs[self._next]
            self._next += 1
            self._in_flight.add(job.fp)
            return job

    def _work(self, jobs: Sequence[Job]) -> None:
        """One worker. `_one` turns every failure it knows into an Outcome; anything else is a
        bug, and still ends as a failed row or a stop, never as a row silently not done."""
        try:
            while (job := self._take(jobs)) is not None:
                try:
                    outcome = self._one(job)
                except Exception as exc:
                    self.budget.settle(0.0)
                    message = f"internal error ({type(exc).__name__}); rerun to retry this row"
                    outcome = Outcome(job.fp, "failed", message=message)
                self._results.put(outcome)
        except Exception as exc:  # taking the next request failed: stop rather than guess
            self.stop(
                f"internal error ({type(exc).__name__}) in batchcount; rerun the same "
                "command to resume",
                EXIT_STOPPED,
            )
        finally:
            self._results.put(None)

    def _one(self, job: Job) -> Outcome:
        return self._segment.count(job)

    @contextlib.contextmanager
    def _catch_signals(self) -> Iterator[None]:
        """Ctrl-C and SIGTERM only set a flag: the main loop turns it into a clean stop, and
        no KeyboardInterrupt can land in the middle of the bookkeeping."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous: dict[int, Any] = {}

        def handler(signum: int, frame: Any) -> None:
            self._signals.append(signum)

        try:
            for wanted in STOP_SIGNALS:
                with contextlib.suppress(ValueError, OSError):
                    if signal.getsignal(wanted) is not signal.SIG_IGN:
                        previous[wanted] = signal.signal(wanted, handler)
            yield
        finally:
            for signum, old in previous.items():
                with contextlib.suppress(ValueError, OSError):
                    signal.signal(signum, old)

    def run(self, jobs: Sequence[Job]) -> RunReport:
        with self._catch_signals():
            return self._run(jobs)

    def _run(self, jobs: Sequence[Job]) -> RunReport:
        report = RunReport()
        progress = Progress(total=len(jobs), test_mode=self.client.test_mode)
        if self._signals:  # a signal came just before the run: send nothing
            self._interrupt(self._signals)
        running = self._grow(jobs)
        deadline: float | None = None
        handled = 0
        last_tick = 0.0
        while running:
            try:
                try:
                    item = self._results.get(timeout=0.1)
                except queue.Empty:
                    item = _EMPTY
                if item is None:
                    running -= 1
                elif item is not _EMPTY:
                    self._record(item, report, progress)
                running += self._grow(jobs)
                now = time.monotonic()
                if len(self._signals) > handled:
                    new, handled = self._signals[handled:], len(self._signals)
                    if deadline is not None:  # already stopping: a second signal
                        self.on_notice(
                            "Stopped waiting: the requests still in flight stay 'sent' in the "
                            "store and will be re-sent (possibly billed twice) next run."
                        )
                        break
                    self._interrupt(new)
                    if HURRIED.intersection(new):
                        deadline = now + self.grace
                if self._stop.is_set() and deadline is None:
                    deadline = now + self.patience
                    progress.stopping = True
                    if self._in_flight:
                        self.on_notice(
                            f"Stopping ({self._stop_reason}): waiting for the "
                            f"{len(self._in_flight)} requests already sent, whose answers are "
                            "paid for. Press Ctrl-C to stop waiting now."
                        )
                if deadline is not None and now > deadline:
                    break  # in-flight answers did not land in time: the store says 'sent'
                if now - last_tick >= 0.5 or item is not _EMPTY:
                    last_tick = now
                    progress.in_flight = len(self._in_flight)
                    progress.rate_limited = self.client.throttle.rate_limited
                    progress.level = self.client.throttle.level
                    report.peak_level = max(report.peak_level, progress.level)
                    progress.test_mode = self.client.test_mode
                    self.on_progress(progress)
            except KeyboardInterrupt:  # no handler installed (not the main thread), or raised
                self._signals.append(signal.SIGINT)
        with self._lock:
            report.abandoned = sorted(self._in_flight)
        lost = len(jobs) - len(report.outcomes) - len(report.abandoned)
        if lost > 0 and self._stop_reason is None:  # a bug: never an exit 0 with rows not done
            self.stop(
                f"internal error: {lost} requests were never sent; rerun the same command to "
                "send them",
                EXIT_STOPPED,
            )
        report.stop_reason = self._stop_reason
        report.exit_code = self._stop_exit
        report.start_price = self.budget.start_price
        report.max_receipt = self.budget.max_receipt
        report.rate_limited = self.client.throttle.rate_limited
        report.peak_level = max(report.peak_level, self.client.throttle.level)
        report.test_mode = self.client.test_mode
        return report

    def _grow(self, jobs: Sequence[Job]) -> int:
        """Start workers until there are as many as the gate allows in flight (at most
        `concurrency`, never more than rows left). A fixed window starts them all at once;
        the adaptive level adds them as it grows. Workers never retire early: when the level
        drops, the extra ones wait at the gate. Returns how many were started."""
        with self._lock:
            want = min(self.client.throttle.level, self.concurrency) - self._workers
            want = min(want, len(jobs) - self._next)
            if want <= 0 or self._stop.is_set():
                return 0
            first = self._workers
            self._workers += want
        for i in range(first, first + want):
            worker = threading.Thread(target=self._work, args=(jobs,), name=f"count-{i}")
            worker.daemon = True
            worker.start()
        return want

    def _interrupt(self, signums: Sequence[int]) -> None:
        hurried = [s for s in signums if s in HURRIED]
        self.stop(f"interrupted ({signal_name((hurried or list(signums))[0])})", EXIT_INTERRUPTED)

    def _record(self, outcome: Outcome, report: RunReport, progress: Progress) -> None:
        with self._lock:
            self._in_flight.discard(outcome.fp)
        report.outcomes[outcome.fp] = outcome
        report.rebilled += outcome.rebilled
        report.receipts_missing += int(outcome.receipt_missing)
        if outcome.reused:
            report.reused += 1
        elif outcome.status != "skipped":
            report.sent += 1
        report.spent += outcome.amount_charged or 0.0
        progress.done += 1
        if outcome.status == "ok":
            progress.ok += 1
            progress.spent += outcome.amount_charged or 0.0
        elif outcome.status == "failed":
            progress.failed += 1


_EMPTY: Any = object()
