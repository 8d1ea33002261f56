"""The main job, end to end: prepare, price, confirm, count, write the annotated workbook.

Plain code over an injected `UI` (the CLI supplies printing, the prompt and the progress bar),
so the whole job is testable without a terminal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from batchcount import __version__
from batchcount.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_STOPPED,
    UsageError,
)
from batchcount.net.client import (
    ACCOUNT_PATH,
    TIER_PATH,
    ClientConfig,
    GenerectClient,
    RowFailed,
)
from batchcount.net.endpoint import check_base_url, is_test_key
from batchcount.net.runner import Job, Progress, Runner, RunReport
from batchcount.net.throttle import Throttle
from batchcount.output.atomic import remove_stale_temp_files
from batchcount.output.report import estimate_lines, input_lines, outcome_lines, problem_lines
from batchcount.output.results import Tally, run_rows_out
from batchcount.output.workbook import Summary, write_output
from batchcount.plan.estimate import Estimate, estimate, fallback_price
from batchcount.plan.prepare import InputOptions, Prepared, prepare
from batchcount.store.journal import Entry, Journal, exclusive, journal_path, remove_journal

DEFAULT_BASE_URL = "https://api.generect.com"


@dataclass(frozen=True)
class RunOptions:
    inputs: InputOptions
    output: Path | None = None
    yes: bool = False
    api_key: str | None = None
    base_url: str | None = None
    sandbox: bool = False
    concurrency: int = 10
    timeout: float = 300.0
    connect_timeout: float = 10.0
    max_retries: int = 5
    max_cost: float | None = None
    price: float | None = None
    fresh: bool = False
    grace: float = 5.0


class UI(Protocol):
    def info(self, line: str) -> None: ...
    def confirm(self, question: str) -> bool: ...
    def progress(self, progress: Progress) -> None: ...
    def progress_done(self) -> None: ...


def default_output(input_path: Path) -> Path:
    return input_path.with_name(f"{input_path.stem}.counted.xlsx")


def _check_options(options: RunOptions) -> None:
    if options.concurrency < 1 or options.concurrency > 500:
        raise UsageError(f"--concurrency {options.concurrency}: use 1 to 500 (default 10).")
    if options.timeout <= 0 or options.connect_timeout <= 0:
        raise UsageError(
            f"--timeout {options.timeout} / --connect-timeout {options.connect_timeout}: "
            "use a number of seconds above 0."
        )
    if options.max_retries < 0:
        raise UsageError(f"--max-retries {options.max_retries}: use 0 or more.")
    if options.max_cost is not None and options.max_cost < 0:
        raise UsageError(f"--max-cost {options.max_cost}: use an amount of dollars, 0 or more.")
    if options.price is not None and options.price < 0:
        raise UsageError(f"--price {options.price}: a price cannot be negative.")
    if not options.sandbox:
        # Before the input is read or the journal created: a refused key or URL leaves nothing.
        _api_key(options)
        check_base_url(options.base_url or DEFAULT_BASE_URL)


def _api_key(options: RunOptions) -> str:
    key = (options.api_key or "").strip()
    if not key:
        raise UsageError(
            "no API key: set GENERECT_API_KEY or pass --api-key (or try --sandbox to run "
            "against the built-in test server)."
        )
    return key


def _output_path(options: RunOptions) -> Path:
    source = options.inputs.path
    output = options.output or default_output(source)
    if output.suffix.lower() not in (".xlsx", ".xlsm", ".csv"):
        raise UsageError(f"-o {output}: the output must end in .xlsx or .csv.")
    with contextlib.suppress(OSError):
        if output.exists() and output.resolve() == source.resolve():
            raise UsageError(
                f"-o {output} is the input file; the input is never overwritten. "
                "Choose another output name."
            )
    if not output.parent.exists():
        raise UsageError(f"-o {output}: the folder {output.parent} does not exist.")
    return output


@contextlib.contextmanager
def _endpoint(options: RunOptions) -> Iterator[tuple[str, str]]:
    """(base URL, key): the embedded sandbox, or the real API."""
    if options.sandbox:
        from batchcount.sandbox.server import SANDBOX_KEY, SandboxConfig, start_sandbox

        server = start_sandbox(SandboxConfig())
        try:
            yield server.url, SANDBOX_KEY
        finally:
            server.stop()
        return
    yield (options.base_url or DEFAULT_BASE_URL), _api_key(options)


def _account(
    client: GenerectClient, mode: str, given: float | None, ui: UI
) -> tuple[float, str, float | None]:
    """(price, where it came from, balance). Free lookups; failures fall back, and say so."""
    balance: float | None = None
    try:
        data = client.get_json(ACCOUNT_PATH).get("data", {})
        balance = float(data.get("credits", {}).get("balance"))
    except (RowFailed, TypeError, ValueError, AttributeError) as exc:
        ui.info(f"Could not read the balance ({getattr(exc, 'message', 'unexpected answer')}).")
    if mode == "database":
        return 0.0, "database counts are free", balance
    try:
        prices = client.get_json(TIER_PATH)["current_tier"]["service_prices"]
        return float(prices["api_realtime"]), "your account's price tier", balance
    except (RowFailed, KeyError, TypeError, ValueError) as exc:
        reason = getattr(exc, "message", "unexpected answer")
        price, source = fallback_price(mode, given)
        shown = "--price" if source == "--price" else "the list price"
        ui.info(f"Could not read the account's price tier ({reason}); using {shown}.")
        return price, f"{source} (price tier unavailable)", balance


def run_job(options: RunOptions, ui: UI) -> int:
    """The whole `run` command. Returns the exit code; raises BatchcountError for usage."""
    _check_options(options)
    started = datetime.now()
    output = _output_path(options)
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
    crashed = sum(1 for fp in journal.settle_unanswered(mode) if fp in prepared.plan.requests)
    # Fictional test-mode answers must never stand in for paid live ones (nor the reverse):
    # a journal is reused only by runs of the same kind.
    test_run = options.sandbox or is_test_key(options.api_key or "")
    recorded = journal.entries(mode)
    entries = _same_kind(recorded, test_run)
    done = {fp for fp, e in entries.items() if e.state == "done"}
    other_kind = sum(
        1
        for fp, e in recorded.items()
        if e.state == "done" and fp not in entries and fp in prepared.plan.requests
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
    todo = [Job(fp, body) for fp, body in plan.requests.items() if fp not in done]

    with _endpoint(options) as (base_url, key):
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
                price, source, balance = _account(client, mode, options.price, ui)
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
    return _finish(prepared, output, est, report, entries, test_mode, started, ui)


def _finish(
    prepared: Prepared,
    output: Path,
    est: Estimate,
    report: RunReport,
    entries: Mapping[str, Entry],
    test_mode: bool,
    started: datetime,
    ui: UI,
) -> int:
    stop_reason = report.stop_reason
    not_reached = (
        f"not sent: {stop_reason}; rerun the same command to resume" if stop_reason else "not sent"
    )
    tally = Tally.empty()
    rows = run_rows_out(
        prepared.plan, prepared.sheet.rows, report.outcomes, entries, not_reached, test_mode, tally
    )
    summary_extra = [
        ("Requests sent in this run", str(report.sent)),
        ("Spent in this run", f"${report.spent:,.4f}"),
        ("429 answers (slowed down)", str(report.rate_limited)),
        ("Output", output.name),
        ("Journal", journal_path(output).name),
    ]
    remove_stale_temp_files(output)
    write_output(
        output,
        prepared.sheet.headers,
        rows,
        lambda: build_summary(
            prepared,
            est,
            tally,
            test_mode,
            stop_reason,
            started,
            tally.possibly_billed,
            summary_extra,
        ),
    )
    for line in outcome_lines(
        tally.by_status, tally.leads, tally.spent, report.spent, str(output), stop_reason, test_mode
    ):
        ui.info(line)
    if report.exit_code is not None:
        return report.exit_code
    return EXIT_PROBLEMS if tally.by_status["invalid"] or tally.by_status["failed"] else EXIT_OK


def _same_kind(entries: Mapping[str, Entry], test_run: bool) -> dict[str, Entry]:
    return {fp: e for fp, e in entries.items() if e.state != "done" or e.test_mode == test_run}


def build_summary(
    prepared: Prepared,
    est: Estimate,
    tally: Tally,
    test_mode: bool,
    stop_reason: str | None,
    started: datetime,
    rebilled: int = 0,
    extra: Sequence[tuple[str, str]] = (),
) -> Summary:
    """Call after the Results rows have streamed out: the tally is complete only then."""
    sheet = prepared.sheet
    name = sheet.path.name + (f" (sheet {sheet.sheet_name})" if sheet.sheet_name else "")
    return Summary(
        input_name=name,
        mode=prepared.mode,
        test_mode=test_mode,
        rows_by_status=dict(tally.by_status),
        total_leads=tally.leads,
        money_spent=round(tally.spent, 6),
        saved_by_merging=est.saved_by_merging,
        saved_by_resuming=est.saved_by_resuming,
        possibly_billed_twice=rebilled,
        started=started,
        finished=datetime.now(),
        version=__version__,
        stop_reason=stop_reason,
        price=est.price,
        price_source=est.price_source,
        extra=tuple(extra),
    )
