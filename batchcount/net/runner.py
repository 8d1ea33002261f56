"""Bounded-concurrency execution of a plan, with budget and stop rules.

Worker threads take requests in input order; the main thread collects outcomes (so progress
and Ctrl-C live in one place). Every stop keeps what is done: the store already holds it.

The store (a `Recorder`) learns of every attempt before it leaves and of every answer. If
another run has the same request in flight, this one waits for that answer; if another run
answered it meanwhile, this one takes that answer instead of paying again.

Stopping: no new request goes out, and the requests already in flight are waited for, because
the API bills them whether or not we read the answer (an abandoned one is re-sent next run and
may be billed twice). How long we wait:
- stops decided by the API or the budget (funds, key, --max-cost) and a first Ctrl-C: up to
  the request timeout (`patience`); a second Ctrl-C stops waiting at once;
- SIGTERM (a service manager or `timeout` wants the process gone soon): `grace` seconds.
Both signals exit 130 ("interrupted"). Requests still in flight when we stop waiting stay
`sent` in the store: the next run re-sends them and reports them as possibly billed twice.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from batchcount.errors import EXIT_INTERRUPTED, EXIT_STOPPED, JournalError, StopRun
from batchcount.net.client import GenerectClient, RowFailed
from batchcount.net.throttle import Cancelled
from batchcount.plan.estimate import money, request_json
from batchcount.store.recorder import AlreadyAnswered, InFlightElsewhere, Recorder

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
    rebilled: int = 0  # attempts sent without an answer: may be billed beyond the receipts
    reused: bool = False  # answered by another run meanwhile: taken from the store, not paid


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
    stopping: bool = False  # a stop was decided: waiting for the requests in flight


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
    reused: int = 0  # answered by other runs while this one ran (taken, not paid again)


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
        """An attempt went out and got no answer: the server may have billed it, so it counts
        as spent whatever happens next. A retry is allowed if its reservation (still held)
        fits beside it."""
        with self._lock:
            self.spent += self.price
            return self.max_cost is None or self.spent + self.reserved <= self.max_cost + _EPS


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
    ) -> None:
        self.client = client
        self.store = store
        self.mode = mode
        self.concurrency = max(1, concurrency)
        self.budget = _Budget(max_cost, price)
        self.grace = grace  # after SIGTERM
        # after any other stop: long enough for every request in flight to be answered
        self.patience = (
            patience
            if patience is not None
            else client.config.timeout + client.config.connect_timeout + 5.0
        )
        self.on_progress = on_progress
        self.on_notice = on_notice
        self._waiting_noted = False
        self._signals: list[int] = []  # appended to by the signal handler (no locks there)
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

    def _mark(self, write: Callable[[], None]) -> None:
        """A store write from a worker; if the store fails, the whole run stops."""
        try:
            write()
        except JournalError as exc:
            self.stop(exc.message, EXIT_STOPPED)

    def _one(self, job: Job) -> Outcome:
        """Count one segment; if another run has it in flight, wait for that answer first."""
        while True:
            try:
                return self._count(job)
            except AlreadyAnswered as got:  # answered by another run since the plan was made
                self.budget.settle(0.0)
                record = got.record
                return Outcome(
                    job.fp,
                    "ok",
                    record.results_count,
                    0.0,
                    "answered meanwhile by another batchcount run; not charged again",
                    reused=True,
                )
            except InFlightElsewhere as busy:
                if not self._waiting_noted:
                    self._waiting_noted = True
                    self.on_notice(
                        f"Another batchcount run (#{busy.run_id}) is counting some of the same "
                        "segments right now: waiting for its answers instead of paying twice."
                    )
                try:
                    self.store.wait_elsewhere(job.fp, self._stop.is_set)
                except JournalError as exc:
                    self.budget.settle(0.0)
                    self.stop(exc.message, EXIT_STOPPED)
                    return Outcome(job.fp, "skipped", message=f"not sent: {exc.message}")
                if self._stop.is_set():
                    self.budget.settle(0.0)
                    message = f"not sent: {self._stop_reason or 'stopped'}"
                    return Outcome(job.fp, "skipped", message=message)

    def _count(self, job: Job) -> Outcome:
        """The store learns of every attempt as it happens (sent; ended without a usable
        answer, possibly billed or not; answered), so a crash at any moment leaves it knowing
        what may have been billed. Final marks add nothing to `rebilled`."""
        body_text = request_json(job.body)
        fp, mode = job.fp, self.mode
        try:
            answer = self.client.count(
                mode,
                job.body,
                stopping=self._stop.is_set,
                may_rebill=self.budget.may_rebill,
                before_send=lambda: self.store.mark_sent(fp, mode, body_text),
                after_attempt=lambda unanswered: self._mark(
                    lambda: self.store.mark_retrying(fp, mode, unanswered)
                ),
            )
        except (AlreadyAnswered, InFlightElsewhere):
            raise
        except Cancelled as exc:
            self.budget.settle(0.0)
            unanswered = exc.unanswered
            message = f"not {'counted' if unanswered else 'sent'}: {self._stop_reason or 'stopped'}"
            self._mark(lambda: self.store.mark_failed(fp, mode, message))
            return Outcome(fp, "skipped", message=message, rebilled=unanswered)
        except JournalError as exc:  # the write-ahead mark failed: this attempt did not go out
            self.budget.settle(0.0)
            self.stop(exc.message, EXIT_STOPPED)
            return Outcome(fp, "skipped", message=f"not sent: {exc.message}")
        except RowFailed as exc:
            self.budget.settle(0.0)
            message, unanswered = exc.message, exc.unanswered
            self._mark(lambda: self.store.mark_failed(fp, mode, message))
            return Outcome(fp, "failed", message=message, rebilled=unanswered)
        except StopRun as exc:
            self.budget.settle(0.0)
            self.stop(exc.message, exc.exit_code)
            message, unanswered = exc.message, int(getattr(exc, "unanswered", 0))
            self._mark(lambda: self.store.mark_failed(fp, mode, message))
            return Outcome(fp, "skipped", message=f"not counted: {message}", rebilled=unanswered)
        except Exception as exc:  # a bug must not lose the run: record it and go on
            self.budget.settle(0.0)
            # it may have gone out: count it as possibly billed rather than forget it
            message = f"internal error ({type(exc).__name__}); rerun to retry this row"
            self._mark(lambda: self.store.mark_failed(fp, mode, message, 1))
            return Outcome(fp, "failed", message=message, rebilled=1)
        self.budget.settle(answer.amount_charged)
        self._mark(
            lambda: self.store.mark_done(
                fp, mode, answer.results_count, answer.amount_charged, 0, answer.test_mode
            )
        )
        # the Results message about possibly billed attempts is written from `rebilled`
        return Outcome(
            fp,
            "ok",
            answer.results_count,
            answer.amount_charged,
            "",
            answer.possibly_billed_twice,
        )

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
            for wanted in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(ValueError, OSError):
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
        workers = [
            threading.Thread(target=self._work, args=(jobs,), name=f"count-{i}", daemon=True)
            for i in range(min(self.concurrency, len(jobs)))
        ]
        for worker in workers:
            worker.start()
        running = len(workers)
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
                    if signal.SIGTERM in new:
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
                    progress.test_mode = self.client.test_mode
                    self.on_progress(progress)
            except KeyboardInterrupt:  # no handler installed (not the main thread), or raised
                self._signals.append(signal.SIGINT)
        with self._lock:
            report.abandoned = sorted(self._in_flight)
        report.stop_reason = self._stop_reason
        report.exit_code = self._stop_exit
        report.rate_limited = self.client.throttle.rate_limited
        report.test_mode = self.client.test_mode
        return report

    def _interrupt(self, signums: Sequence[int]) -> None:
        name = "SIGTERM" if signal.SIGTERM in signums else "Ctrl-C"
        self.stop(f"interrupted ({name})", EXIT_INTERRUPTED)

    def _record(self, outcome: Outcome, report: RunReport, progress: Progress) -> None:
        with self._lock:
            self._in_flight.discard(outcome.fp)
        report.outcomes[outcome.fp] = outcome
        report.rebilled += outcome.rebilled
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
