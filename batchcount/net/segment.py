"""One segment counted: the client's call, the store's marks and the budget's books, turned
into an Outcome. Every failure the client can raise ends here as an Outcome (or a run stop);
none escapes to the worker.

The store (a `Recorder`) learns of every attempt before it leaves and of every answer. If
another run has the same request in flight, this one waits for that answer; if another run
answered it meanwhile, this one takes that answer instead of paying again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from batchcount.errors import EXIT_STOPPED, JournalError, StopRun
from batchcount.net.budget import Budget
from batchcount.net.client import CountAnswer, GenerectClient, RowFailed, UnusableAnswer
from batchcount.net.throttle import Cancelled
from batchcount.plan.estimate import money, request_json
from batchcount.store.recorder import AlreadyAnswered, InFlightElsewhere, Recorder


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
    receipt_missing: bool = False  # a 200 without a usable amount_charged: booked, flagged
    reused: bool = False  # answered by another run meanwhile: taken from the store, not paid


class SegmentCount:
    def __init__(
        self,
        client: GenerectClient,
        store: Recorder,
        mode: str,
        budget: Budget,
        stopping: Callable[[], bool],
        stop: Callable[[str, int], None],
        reason: Callable[[], str | None],
    ) -> None:
        self.client = client
        self.store = store
        self.mode = mode
        self.budget = budget
        self._stopping = stopping
        self.stop = stop  # stops the whole run (reason, exit code)
        self._reason = reason  # why the run is stopping, if it is
        self.on_notice: Callable[[str], None] = lambda line: None
        self._waiting_noted = False

    def _mark(self, write: Callable[[], None]) -> None:
        """A store write from a worker; if the store fails, the whole run stops."""
        try:
            write()
        except JournalError as exc:
            self.stop(exc.message, EXIT_STOPPED)

    def count(self, job: Job) -> Outcome:
        """Count one segment; if another run has it in flight, wait for that answer first."""
        while True:
            try:
                return self._count(job)
            except AlreadyAnswered as got:  # answered by another run since the plan was made
                self.budget.settle(0.0)
                record = got.record
                if record.results_count is None:  # billed there, its count unusable
                    message = "; ".join(
                        p for p in ("answered by another batchcount run", record.message) if p
                    )
                    return Outcome(job.fp, "failed", None, 0.0, message, reused=True)
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
                    self.store.wait_elsewhere(job.fp, self._stopping)
                except JournalError as exc:
                    self.budget.settle(0.0)
                    self.stop(exc.message, EXIT_STOPPED)
                    return Outcome(job.fp, "skipped", message=f"not sent: {exc.message}")
                if self._stopping():
                    self.budget.settle(0.0)
                    return Outcome(
                        job.fp, "skipped", message=f"not sent: {self._reason() or 'stopped'}"
                    )

    def _count(self, job: Job) -> Outcome:
        """Count one segment. The store learns of every attempt as it happens (sent; ended
        without a usable answer, possibly billed or not; answered), so a crash at any moment
        leaves it knowing what may have been billed. Final marks add nothing to `rebilled`.
        The `sent` mark is written only once the request is built and about to leave: a failure
        before that (a body that is not JSON) is never booked as possibly billed."""
        fp, mode = job.fp, self.mode
        on_wire = [False]  # an attempt left and has not ended: a failure now may be billed

        def before_send() -> None:
            self.store.mark_sent(fp, mode, request_json(job.body))
            on_wire[0] = True

        def after_attempt(unanswered: int) -> None:
            on_wire[0] = False
            self._mark(lambda: self.store.mark_retrying(fp, mode, unanswered))

        try:
            answer = self.client.count(
                mode,
                job.body,
                stopping=self._stopping,
                may_rebill=self.budget.may_rebill,
                before_send=before_send,
                after_attempt=after_attempt,
            )
        except (AlreadyAnswered, InFlightElsewhere):
            raise  # nothing left this machine: `count` takes the other run's answer or waits
        except Cancelled as exc:
            self.budget.settle(0.0)
            unanswered = exc.unanswered
            message = f"not {'counted' if unanswered else 'sent'}: {self._reason() or 'stopped'}"
            self._mark(lambda: self.store.mark_failed(fp, mode, message))
            return Outcome(fp, "skipped", message=message, rebilled=unanswered)
        except JournalError as exc:  # the write-ahead mark failed: this attempt did not go out
            self.budget.settle(0.0)
            self.stop(exc.message, EXIT_STOPPED)
            return Outcome(fp, "skipped", message=f"not sent: {exc.message}")
        except UnusableAnswer as exc:
            return self._unusable(fp, exc)
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
            # booked as possibly billed only if it happened while an attempt was on the wire
            maybe = int(on_wire[0] and mode == "realtime")
            if maybe:
                self.budget.may_rebill()
            message = f"internal error ({type(exc).__name__}); rerun to retry this row"
            self._mark(lambda: self.store.mark_failed(fp, mode, message, maybe))
            return Outcome(fp, "failed", message=message, rebilled=maybe)
        return self._answered(fp, answer)

    def _answered(self, fp: str, answer: CountAnswer) -> Outcome:
        booked = self.budget.settle(answer.amount_charged)
        message = ""
        if answer.receipt_problem:
            message = (
                f"receipt missing: {answer.receipt_problem}; booked at {money(booked)}, the "
                "highest price known (the count is good and is not sent again)"
            )
        self._mark(
            lambda: self.store.mark_done(
                fp, self.mode, answer.results_count, booked, 0, answer.test_mode, message or None
            )
        )
        # the Results message about possibly billed attempts is written from `rebilled`
        return Outcome(
            fp,
            "ok",
            answer.results_count,
            booked,
            message,
            answer.possibly_billed_twice,
            receipt_missing=bool(answer.receipt_problem),
        )

    def _unusable(self, fp: str, exc: UnusableAnswer) -> Outcome:
        """A billed 200 without a usable count: failed, booked, and kept as answered in the
        store so that no rerun pays for the same answer again."""
        booked = self.budget.settle(exc.amount)
        billed = (
            f"{exc.receipt_problem}, so it is booked at {money(booked)}, the highest price known"
            if exc.receipt_problem
            else f"receipt {money(booked)}"
        )
        message = (
            f"{exc.message}. The answer was billed ({billed}) and is not sent again "
            "automatically: a rerun keeps this answer (--fresh starts over and pays for every "
            "row again)"
        )
        test_mode = self.client.test_mode
        self._mark(lambda: self.store.mark_done(fp, self.mode, None, booked, 0, test_mode, message))
        missing = exc.receipt_problem is not None
        return Outcome(fp, "failed", None, booked, message, exc.unanswered, missing)
