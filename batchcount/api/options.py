"""Run options and everything checkable before the input is read or a request sent."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from batchcount.api.outcome import RunSink
from batchcount.api.quote import Quote
from batchcount.errors import (
    UsageError,
)
from batchcount.net.endpoint import DEFAULT_BASE_URL, check_base_url
from batchcount.net.runner import Progress
from batchcount.plan.prepare import InputOptions
from batchcount.store.journal import journal_path


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
    compare: Path | None = None  # --compare: an earlier output to set the counts beside
    canary: int | None = None  # --canary N: count N first, then ask again before the rest
    # The Python API: `workbook=False` writes no output file (`output` is then unused);
    # `journal` puts the journal there instead of beside the output; `sink` receives the
    # Results rows and how the run ended.
    workbook: bool = True
    journal: Path | None = None
    sink: RunSink | None = None


class UI(Protocol):
    def info(self, line: str) -> None: ...
    def confirm(self, question: str) -> bool: ...
    def approve(self, quote: Quote) -> bool: ...  # before spending: the CLI asks "Proceed?"
    def progress(self, progress: Progress) -> None: ...
    def progress_done(self) -> None: ...


def default_output(input_path: Path) -> Path:
    return input_path.with_name(f"{input_path.stem}.counted.xlsx")


def check_options(options: RunOptions) -> None:
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
        api_key(options)
        check_base_url(options.base_url or DEFAULT_BASE_URL)


def api_key(options: RunOptions) -> str:
    key = (options.api_key or "").strip()
    if not key:
        raise UsageError(
            "no API key: set GENERECT_API_KEY or pass --api-key (or try --sandbox to run "
            "against the built-in test server)."
        )
    return key


def output_path(options: RunOptions) -> Path:
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


def journal_file(options: RunOptions, output: Path | None) -> Path:
    """The journal: where the options put it (the Python API), else beside the output."""
    if options.journal is not None:
        return options.journal
    if output is None:
        raise ValueError("a run without an output file needs options.journal")
    return journal_path(output)
