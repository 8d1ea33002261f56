"""The main job, end to end: prepare, price, confirm, count, write the annotated workbook.

Plain code over an injected `UI` (the CLI supplies printing, the prompt and the progress bar),
so the whole job is testable without a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    journal_file,
    output_path,
)
from batchcount.api.preflight_output import check_output, write_failed
from batchcount.api.quote import Quote
from batchcount.api.resume import refuse_large_rows, resume_command
from batchcount.api.spending import nothing_sent, worst_price
from batchcount.errors import (
    EXIT_STOPPED,
    EXIT_USAGE,
    OutputFileError,
)
from batchcount.net.adaptive import make_throttle
from batchcount.net.client import (
    ClientConfig,
    GenerectClient,
)
from batchcount.net.endpoint import is_test_key
from batchcount.net.runner import Job, Runner, RunReport
from batchcount.output.money_lines import cap_lines
from batchcount.output.report import input_lines, problem_lines
from batchcount.plan.estimate import estimate, fallback_price
from batchcount.plan.prepare import Prepared, prepare
from batchcount.store.journal import Entry, Journal, exclusive, remove_journal

__all__ = ["UI", "RunOptions", "build_summary", "default_output", "run_job"]


def run_job(options: RunOptions, ui: UI) -> int:
    """The whole `run` command. Returns the exit code; raises BatchcountError for usage."""
    check_options(options)
    options = fit_to_machine(options, ui)  # open files, file size: before anything is read
    check_canary(options.canary)
    check_compare(options.compare)
    started = datetime.now()
    output = output_path(options) if options.workbook else None
    jpath = journal_file(options, output)
    if output is not None:
        check_output(output, jpath)  # a full disk or a folder as -o: refused before any cost
    prepared = prepare(options.inputs)
    for line in input_lines(prepared) + problem_lines(prepared, limit=5):
        ui.info(line)
    refuse_large_rows(prepared, options.yes)
    with exclusive(jpath):
        return _run_locked(options, ui, prepared, jpath, output, started)


def _run_locked(
    options: RunOptions,
    ui: UI,
    prepared: Prepared,
    jpath: Path,
    output: Path | None,
    started: datetime,
) -> int:
    if options.fresh and jpath.exists():
        if not (
            options.yes
            or ui.confirm(f"--fresh: forget the answers in {jpath.name} and pay for them again?")
        ):
            ui.info("Nothing was changed or sent.")
            return EXIT_STOPPED
        remove_journal(jpath)
    existed = jpath.exists()
    journal = Journal(jpath)
    interrupts = HeldSignals()  # from the first request on, a signal never cuts a write
    with interrupts:
        try:
            code = _run_with_journal(options, ui, prepared, journal, output, started, interrupts)
        finally:
            empty = journal.is_empty()
            journal.close()
            if empty and not existed:  # declined, unreachable, nothing to send: no clutter
                remove_journal(jpath)
    return interrupts.settle(code, ui.info)


def _run_with_journal(
    options: RunOptions,
    ui: UI,
    prepared: Prepared,
    journal: Journal,
    output: Path | None,
    started: datetime,
    interrupts: HeldSignals | None = None,
) -> int:
    interrupts = interrupts or HeldSignals()
    mode = prepared.mode
    comparison = load_comparison(options.compare, prepared)  # a bad file: exit 2, nothing sent
    # Requests a crash (or an abandoned stop) left in flight may have been billed: booked
    # as such now, once, and re-sent like failed ones.
    crashed = sum(1 for fp in journal.settle_unanswered(mode) if fp in prepared.plan.first_row)
    # Fictional test-mode answers must never stand in for paid live ones (nor the reverse):
    # a journal is reused only by runs of the same kind.
    test_run = options.sandbox or is_test_key(options.api_key or "")
    recorded = journal.entries(mode)
    entries = _same_kind(recorded, test_run)
    done = {fp for fp, e in entries.items() if e.state == "done"}
    other_kind = sum(
        1
        for fp, e in recorded.items()
        if e.state == "done" and fp not in entries and fp in prepared.plan.first_row
    )
    if other_kind:
        kind = "test mode (fictional counts)" if not test_run else "live mode"
        ui.info(
            f"{other_kind} answers in the journal came from {kind}; they are not reused by "
            "this run and will be counted again."
        )
    previous_input = journal.meta("input")
    if previous_input and previous_input != prepared.sheet.path.name:
        ui.info(
            f"The journal was started for {previous_input}; answers for segments that "
            "match are reused, the rest are counted."
        )
    other_modes = {m: n for m, n in journal.modes().items() if m != mode}
    if other_modes:
        held = ", ".join(f"{n} in {m} mode" for m, n in sorted(other_modes.items()))
        ui.info(
            f"The journal also holds answers from another mode ({held}); they are not "
            f"reused for this {mode} run (the modes count differently)."
        )
    journal.set_meta("input", prepared.sheet.path.name)
    plan = prepared.plan
    todo = [Job(fp, body) for fp, body in plan.request_items(skip=done)]

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
        spend_nothing = options.max_cost == 0  # --max-cost 0: write from the journal only
        try:
            if todo and not spend_nothing:
                price, source, balance = account(client, mode, options.price, ui)
            else:
                price, source = fallback_price(mode, options.price)
                balance = None
            est = estimate(plan, price, source, done)
            canary, notes = canary_size(options.canary, len(todo), options.yes, price)
            quote = Quote.of(
                est, mode, balance, client.test_mode, crashed, canary=0 if options.yes else canary
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
            if todo and spend_nothing:
                report = nothing_sent(len(todo))
            elif todo:
                report, not_reached = count_jobs(
                    todo,
                    canary,
                    lambda: Runner(
                        client,
                        journal,
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
            test_mode = client.test_mode or report.test_mode
        finally:
            client.close()
    entries = _same_kind(journal.entries(mode), test_run)
    command = resume_command(options, output) if output is not None else ""
    try:
        return finish(
            prepared,
            output,
            est,
            report,
            entries,
            test_mode,
            started,
            ui,
            command,
            journal=journal.path,
            sink=options.sink,
            compare=comparison,
            not_reached=not_reached,
        )
    except OutputFileError as exc:  # after the counting: the answers are in the journal
        if output is None:
            raise
        note = unrecorded_note(report, entries, journal.path)
        error = write_failed(options, output, journal.path, bool(report.sent), exc.message, note)
        if not report.sent:  # nothing went out in this run: the exit code says so
            error.exit_code = EXIT_USAGE
        raise error from exc


def _same_kind(entries: Mapping[str, Entry], test_run: bool) -> dict[str, Entry]:
    return {fp: e for fp, e in entries.items() if e.state != "done" or e.test_mode == test_run}
