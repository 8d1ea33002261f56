"""Run options and everything checkable before the input is read or a request sent."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from batchcount.errors import (
    UsageError,
)
from batchcount.net.endpoint import DEFAULT_BASE_URL, check_base_url
from batchcount.net.runner import Progress
from batchcount.plan.prepare import InputOptions


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
    fresh: bool = False  # recount every row of this input (--max-age 0); asks in the prompt
    grace: float = 5.0
    store: Path | None = None  # the count store; None: BATCHCOUNT_STORE, else the user folder
    max_age: timedelta | None = None  # reuse stored counts this young; None: 30 days
    preflight: bool = False  # skip segments whose free database count is 0


class UI(Protocol):
    def info(self, line: str) -> None: ...
    def confirm(self, question: str) -> bool: ...
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
