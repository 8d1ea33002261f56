"""Run options and everything checkable before the input is read or a request sent."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal, Protocol

from batchcount.api.keycheck import check_key
from batchcount.api.outcome import RunSink
from batchcount.api.quote import Quote
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
    # "auto": find the API's limit (starts at 10, grows up to max_concurrency, backs off on
    # 429s and timeouts); a number: at most that many in flight, halved on 429 bursts
    concurrency: int | Literal["auto"] = "auto"
    max_concurrency: int = 50
    timeout: float = 300.0
    connect_timeout: float = 10.0
    max_retries: int = 5
    max_cost: float | None = None
    price: float | None = None
    fresh: bool = False  # recount every row of this input (--max-age 0); asks in the prompt
    grace: float = 5.0
    compare: Path | None = None  # --compare: an earlier output to set the counts beside
    canary: int | None = None  # --canary N: count N first, then ask again before the rest
    max_retry_after: float = 120.0  # a longer Retry-After stops the run (exit 3, resume later)
    # --journal: a journal of an earlier batchcount (before the count store) to take over
    # into the store before the run, as the one beside the output is
    journal: Path | None = None
    # what the user typed that shapes the requests (input, sheet, mapping, mode, ...), minus
    # -o, --journal, --max-cost, --fresh, --max-age and the key: to give back a command that
    # works
    command: tuple[str, ...] = ()
    key_on_command_line: bool = False  # --api-key was typed (it is never repeated back)
    # The Python API: `workbook=False` writes no output file (`output` is then unused);
    # `sink` receives the Results rows and how the run ended.
    workbook: bool = True
    sink: RunSink | None = None
    store: Path | None = None  # the count store; None: BATCHCOUNT_STORE, else the user folder
    max_age: timedelta | None = None  # reuse stored counts this young; None: 30 days
    preflight: bool = False  # skip segments whose free database count is 0


class UI(Protocol):
    def info(self, line: str) -> None: ...
    def confirm(self, question: str) -> bool: ...
    def approve(self, quote: Quote) -> bool: ...  # before spending: the CLI asks "Proceed?"
    def progress(self, progress: Progress) -> None: ...
    def progress_done(self) -> None: ...


def default_output(input_path: Path) -> Path:
    return input_path.with_name(f"{input_path.stem}.counted.xlsx")


def check_options(options: RunOptions) -> None:
    check_concurrency(options.concurrency, options.max_concurrency)
    _number("--timeout", options.timeout, "a number of seconds above 0, up to 3600", 0, 3600)
    _number("--connect-timeout", options.connect_timeout, "seconds above 0, up to 600", 0, 600)
    if options.max_retries < 0:
        raise UsageError(f"--max-retries {options.max_retries}: use 0 or more.")
    if options.max_cost is not None:
        _number("--max-cost", options.max_cost, "an amount of dollars, 0 or more", 0, zero=True)
    if options.price is not None:
        _number("--price", options.price, "a price above $0, up to $100", 0, 100)
    _number("--max-retry-after", options.max_retry_after, "seconds, 0 or more", 0, zero=True)
    if not options.sandbox:
        # Before the input is read or the journal created: a refused key or URL leaves nothing.
        api_key(options)
        check_base_url(options.base_url or DEFAULT_BASE_URL)


def _number(
    flag: str, value: float, use: str, low: float, high: float | None = None, zero: bool = False
) -> None:
    """nan, inf, out of range and (unless `zero`) a meaningless `low` itself are refused."""
    ok = math.isfinite(value) and (value >= low if zero else value > low)
    if not ok or (high is not None and value > high):
        raise UsageError(f"{flag} {value}: use {use}. Nothing was sent.")


def check_concurrency(concurrency: object, max_concurrency: object) -> None:
    if concurrency != "auto" and not (
        isinstance(concurrency, int)
        and not isinstance(concurrency, bool)
        and 1 <= concurrency <= 500
    ):
        raise UsageError(
            f"--concurrency {concurrency}: use auto (the default: finds the API's limit) or a "
            "number of requests from 1 to 500."
        )
    if not (
        isinstance(max_concurrency, int)
        and not isinstance(max_concurrency, bool)
        and 1 <= max_concurrency <= 500
    ):
        raise UsageError(
            f"--max-concurrency {max_concurrency}: use a number of requests from 1 to 500 "
            "(default 50)."
        )


def api_key(options: RunOptions) -> str:
    # Blank, whitespace, invisible or non-ASCII characters: a usage error, never a request.
    return check_key(options.api_key)


def output_path(options: RunOptions) -> Path:
    source = options.inputs.path
    output = options.output or default_output(source)
    if output.suffix.lower() not in (".xlsx", ".xlsm", ".csv"):
        raise UsageError(f"-o {output}: the output must end in .xlsx or .csv. Nothing was sent.")
    with contextlib.suppress(OSError):
        if output.exists() and output.resolve() == source.resolve():
            raise UsageError(
                f"-o {output} is the input file; the input is never overwritten. "
                "Choose another output name. Nothing was sent."
            )
    if not output.parent.exists():
        raise UsageError(
            f"-o {output}: the folder {output.parent} does not exist. Create it or choose "
            "another -o. Nothing was sent."
        )
    return output
