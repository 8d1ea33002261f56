"""The main job, end to end: prepare, price, confirm, count, write the annotated workbook.

Plain code over an injected `UI` (the CLI supplies printing, the prompt and the progress bar),
so the whole job is testable without a terminal.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from batchcount.api.account import account, endpoint
from batchcount.api.finish import build_summary, finish
from batchcount.api.options import UI, RunOptions, check_options, default_output, output_path
from batchcount.api.preflight import skipped_outcomes
from batchcount.api.reuse import effective_max_age, open_store
from batchcount.api.session import StoreSession
from batchcount.errors import (
    EXIT_STOPPED,
)
from batchcount.net.client import (
    ClientConfig,
    GenerectClient,
)
from batchcount.net.runner import Job, Runner, RunReport
from batchcount.net.throttle import Throttle
from batchcount.output.report import estimate_lines, input_lines, problem_lines
from batchcount.plan.estimate import estimate, fallback_price
from batchcount.plan.prepare import Prepared, prepare
from batchcount.store.journal import exclusive

__all__ = ["UI", "RunOptions", "build_summary", "default_output", "run_job"]


def run_job(options: RunOptions, ui: UI) -> int:
    """The whole `run` command. Returns the exit code; raises BatchcountError for usage."""
    check_options(options)
    effective_max_age(options.max_age, options.fresh)  # a contradiction is a usage error
    started = datetime.now()
    output = output_path(options)
    prepared = prepare(options.inputs)
    for line in input_lines(prepared) + problem_lines(prepared, limit=5):
        ui.info(line)
    with exclusive(output), open_store(options.store) as db:
        assert db is not None
        session, notes = StoreSession.start(db, options, prepared, output)
        for line in notes:
            ui.info(line)
        try:
            return _run_with_store(options, ui, prepared, session, output, started)
        finally:
            session.abandon()


def _run_with_store(
    options: RunOptions,
    ui: UI,
    prepared: Prepared,
    session: StoreSession,
    output: Path,
    started: datetime,
) -> int:
    mode = prepared.mode
    plan = prepared.plan
    done = session.done
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
            skipped = session.preflight(client, ui.info)
            todo = [
                Job(fp, body)
                for fp, body in plan.requests.items()
                if fp not in done and fp not in skipped
            ]
            if todo:
                price, source, balance = account(client, mode, options.price, ui)
            else:
                price, source = fallback_price(mode, options.price)
                balance = None
            est = estimate(plan, price, source, done, skipped)
            for line in estimate_lines(
                est,
                mode,
                balance,
                client.test_mode,
                len(session.reuse.crashed),
                session.estimate_lines(est),
            ):
                ui.info(line)
            if todo and not options.yes and not ui.confirm(session.question(est)):
                ui.info("Nothing was sent.")
                return EXIT_STOPPED
            report = RunReport()
            if todo or done:
                session.begin()
            if todo and session.recorder is not None:
                runner = Runner(
                    client,
                    session.recorder,
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
            session.stop_recording()
            test_mode = client.test_mode or report.test_mode
        finally:
            client.close()
    report.outcomes.update(skipped_outcomes(skipped))
    code = finish(
        prepared,
        output,
        est,
        report,
        session.view(report),
        test_mode,
        started,
        ui,
        session.summary_extra(est),
    )
    for line in session.closing_lines(report):
        ui.info(line)
    session.end(code, report.outcomes, test_mode)
    return code
