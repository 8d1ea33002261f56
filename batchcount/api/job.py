"""The main job, end to end: prepare, price, confirm, count, write the annotated workbook.

Plain code over an injected `UI` (the CLI supplies printing, the prompt and the progress bar),
so the whole job is testable without a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from batchcount.api.account import account, endpoint
from batchcount.api.finish import build_summary, finish
from batchcount.api.options import UI, RunOptions, check_options, default_output, output_path
from batchcount.errors import (
    EXIT_STOPPED,
)
from batchcount.net.client import (
    ClientConfig,
    GenerectClient,
)
from batchcount.net.endpoint import is_test_key
from batchcount.net.runner import Job, Runner, RunReport
from batchcount.net.throttle import Throttle
from batchcount.output.report import estimate_lines, input_lines, problem_lines
from batchcount.plan.estimate import estimate, fallback_price
from batchcount.plan.prepare import Prepared, prepare
from batchcount.store.journal import Entry, Journal, exclusive, journal_path, remove_journal

__all__ = ["UI", "RunOptions", "build_summary", "default_output", "run_job"]


def run_job(options: RunOptions, ui: UI) -> int:
    """The whole `run` command. Returns the exit code; raises BatchcountError for usage."""
    check_options(options)
    started = datetime.now()
    output = output_path(options)
    prepared = prepare(options.inputs)
    for line in input_lines(prepared) + problem_lines(prepared, limit=5):
        ui.info(line)
    jpath = journal_path(output)
    with exclusive(jpath):
        return _run_locked(options, ui, prepared, jpath, output, started)


def _run_locked(
    options: RunOptions, ui: UI, prepared: Prepared, jpath: Path, output: Path, started: datetime
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
    try:
        return _run_with_journal(options, ui, prepared, journal, output, started)
    finally:
        empty = journal.is_empty()
        journal.close()
        if empty and not existed:  # declined, unreachable, nothing to send: leave no clutter
            remove_journal(jpath)


def _run_with_journal(
    options: RunOptions,
    ui: UI,
    prepared: Prepared,
    journal: Journal,
    output: Path,
    started: datetime,
) -> int:
    mode = prepared.mode
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
        throttle = Throttle(options.concurrency)
        client = GenerectClient(
            ClientConfig(
                base_url=base_url,
                api_key=key,
                timeout=options.timeout,
                connect_timeout=options.connect_timeout,
                max_retries=options.max_retries,
            ),
            throttle=throttle,
        )
        try:
            if todo:
                price, source, balance = account(client, mode, options.price, ui)
            else:
                price, source = fallback_price(mode, options.price)
                balance = None
            est = estimate(plan, price, source, done)
            for line in estimate_lines(est, mode, balance, client.test_mode, crashed):
                ui.info(line)
            if todo and not options.yes and not ui.confirm("Proceed?"):
                ui.info("Nothing was sent.")
                return EXIT_STOPPED
            report = RunReport()
            if todo:
                runner = Runner(
                    client,
                    journal,
                    mode,
                    options.concurrency,
                    price,
                    options.max_cost,
                    options.grace,
                    ui.progress,
                    on_notice=ui.info,
                )
                report = runner.run(todo)
                ui.progress_done()
            test_mode = client.test_mode or report.test_mode
        finally:
            client.close()
    entries = _same_kind(journal.entries(mode), test_run)
    return finish(prepared, output, est, report, entries, test_mode, started, ui)


def _same_kind(entries: Mapping[str, Entry], test_run: bool) -> dict[str, Entry]:
    return {fp: e for fp, e in entries.items() if e.state != "done" or e.test_mode == test_run}
