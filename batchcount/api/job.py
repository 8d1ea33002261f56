"""The main job, end to end: prepare, price, confirm, count, write the annotated workbook.

Plain code over an injected `UI` (the CLI supplies printing, the prompt and the progress bar),
so the whole job is testable without a terminal. Counts are looked up in, and recorded to,
the per-user count store (`api.session`): nothing answered within --max-age is paid again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from batchcount.api.account import account, endpoint
from batchcount.api.canary import canary_size, check_canary, count_jobs
from batchcount.api.compare import check_compare, load_comparison
from batchcount.api.finish import build_summary, finish
from batchcount.api.interrupts import HeldSignals
from batchcount.api.limits import fit_to_machine, unrecorded_note
from batchcount.api.options import (
    UI,
    RunOptions,
    check_options,
    default_output,
    output_path,
)
from batchcount.api.preflight import skipped_outcomes
from batchcount.api.preflight_output import check_output, write_failed
from batchcount.api.quote import Quote
from batchcount.api.resume import refuse_large_rows, resume_command
from batchcount.api.reuse import effective_max_age, open_store
from batchcount.api.session import StoreSession
from batchcount.api.spending import nothing_sent, worst_price
from batchcount.errors import (
    EXIT_STOPPED,
    EXIT_USAGE,
    JournalError,
    OutputFileError,
)
from batchcount.net.adaptive import make_throttle
from batchcount.net.client import (
    ClientConfig,
    GenerectClient,
)
from batchcount.net.runner import Job, Runner, RunReport
from batchcount.output.money_lines import cap_lines
from batchcount.output.report import input_lines, problem_lines
from batchcount.plan.estimate import estimate, fallback_price
from batchcount.plan.prepare import Prepared, prepare
from batchcount.store.location import store_location
from batchcount.store.lock import exclusive

__all__ = ["UI", "RunOptions", "build_summary", "default_output", "run_job"]


def run_job(options: RunOptions, ui: UI) -> int:
    """The whole `run` command. Returns the exit code; raises BatchcountError for usage."""
    check_options(options)
    effective_max_age(options.max_age, options.fresh)  # a contradiction is a usage error
    options = fit_to_machine(options, ui)  # open files, file size: before anything is read
    check_canary(options.canary)
    check_compare(options.compare)
    started = datetime.now()
    output = output_path(options) if options.workbook else None
    if output is not None:
        # a full disk or a folder as -o: refused before any cost
        check_output(output, store_location(options.store))
    prepared = prepare(options.inputs)
    for line in input_lines(prepared) + problem_lines(prepared, limit=5):
        ui.info(line)
    refuse_large_rows(prepared, options.yes)
    # Two runs writing one output are refused (they would race for the file); runs without
    # an output (the Python API) share the store's claims only.
    lock = exclusive(output) if output is not None else contextlib.nullcontext()
    with lock, open_store(options.store) as db:
        assert db is not None
        session, notes = StoreSession.start(db, options, prepared, output)
        for line in notes:
            ui.info(line)
        interrupts = HeldSignals()  # from the first request on, a signal never cuts a write
        with interrupts:
            try:
                code = _run_with_store(options, ui, prepared, session, output, started, interrupts)
            finally:
                session.abandon()
    return interrupts.settle(code, ui.info)


def _run_with_store(
    options: RunOptions,
    ui: UI,
    prepared: Prepared,
    session: StoreSession,
    output: Path | None,
    started: datetime,
    interrupts: HeldSignals,
) -> int:
    mode = prepared.mode
    comparison = load_comparison(options.compare, prepared)  # a bad file: exit 2, nothing sent
    plan = prepared.plan
    done = session.done
    spend_nothing = options.max_cost == 0  # --max-cost 0: write from the store only

    with endpoint(options) as (base_url, key):
        throttle = make_throttle(options.concurrency, options.max_concurrency)
        client = GenerectClient(
            ClientConfig(
                base_url=base_url,
                api_key=key,
                timeout=options.timeout,
                connect_timeout=options.connect_timeout,
                max_retries=options.max_retries,
                max_retry_after=options.max_retry_after,
            ),
            throttle=throttle,
        )
        try:
            skipped = set() if spend_nothing else session.preflight(client, ui.info)
            # bodies only for what is sent: a rerun with everything answered builds none
            todo = [Job(fp, body) for fp, body in plan.request_items(skip={*done, *skipped})]
            if todo and not spend_nothing:
                price, source, balance = account(client, mode, options.price, ui)
            else:
                price, source = fallback_price(mode, options.price)
                balance = None
            est = estimate(plan, price, source, done, skipped)
            canary, notes = canary_size(options.canary, len(todo), options.yes, price)
            quote = Quote.of(
                est,
                mode,
                balance,
                client.test_mode,
                len(session.reuse.crashed),
                canary=0 if options.yes else canary,
                reuse_lines=tuple(session.estimate_lines(est)),
                question=session.question(est),
            )
            for line in quote.lines() + notes:
                ui.info(line)
            reserve_at = worst_price(mode, price, options.price)
            for line in cap_lines(options.max_cost, est.price or reserve_at, est.billable):
                ui.info(line)
            if todo and not spend_nothing and not options.yes and not ui.approve(quote):
                ui.info("Nothing was sent.")
                return EXIT_STOPPED
            interrupts.hold()  # signals are only recorded now: the runner and the write read them
            report, not_reached = RunReport(), None
            if todo or done:
                session.begin()
            recorder = session.recorder
            if todo and spend_nothing:
                report = nothing_sent(len(todo))
            elif todo and recorder is not None:
                report, not_reached = count_jobs(
                    todo,
                    canary,
                    lambda: Runner(
                        client,
                        recorder,
                        mode,
                        throttle.capacity,
                        reserve_at,
                        options.max_cost,
                        options.grace,
                        ui.progress,
                        on_notice=ui.info,
                        signals=interrupts.received,
                    ),
                    ui,
                    yes=options.yes,
                    prepared=prepared,
                    quote=quote,
                    test_mode=lambda: client.test_mode,
                    asking=interrupts.raising,
                )
            with _paid_means_stopped(report):
                session.stop_recording()
            test_mode = client.test_mode or report.test_mode
        finally:
            client.close()
    report.outcomes.update(skipped_outcomes(skipped))
    with _paid_means_stopped(report):
        entries = session.view(report)
    command = resume_command(options, output) if output is not None else ""
    try:
        code = finish(
            prepared,
            output,
            est,
            report,
            entries,
            test_mode,
            started,
            ui,
            command,
            sink=options.sink,
            compare=comparison,
            not_reached=not_reached,
            extra=session.summary_extra(est),
        )
    except OutputFileError as exc:  # after the counting: the answers are in the store
        if output is None:
            raise
        with contextlib.suppress(JournalError):  # the write failure is the news; the
            # store's own failure (a full disk) is in its message's advice already
            session.end(EXIT_STOPPED if report.sent else EXIT_USAGE, report.outcomes, test_mode)
        raise write_failed(
            options,
            output,
            session.db.path,
            exc.message,
            sent=bool(report.sent),  # exit 3; 2 if nothing went out in this run
            # the store holds answers for this input (this run's or earlier): give the $0 command
            held=bool(report.sent) or any(r.state == "done" for r in entries.values()),
            note=unrecorded_note(report, session.recorded(report.outcomes), session.db.path),
        ) from exc
    for line in session.closing_lines(report):
        ui.info(line)
    with _paid_means_stopped(report):
        session.end(code, report.outcomes, test_mode)
    return code


@contextlib.contextmanager
def _paid_means_stopped(report: RunReport) -> Iterator[None]:
    """A store that fails after requests went out (a full disk, `ulimit -f`): its error keeps
    its words, but exits 3 (stopped early), never 2, which would say nothing was sent."""
    try:
        yield
    except JournalError as exc:
        if report.sent and exc.exit_code == EXIT_USAGE:
            exc.exit_code = EXIT_STOPPED
        raise
