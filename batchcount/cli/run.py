"""`batchcount run`: the main job, with the terminal UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from batchcount.cli.common import input_options, to_input_options
from batchcount.cli.keyguard import guard_key
from batchcount.cli.numbers import (
    CONCURRENCY,
    CONNECT_SECONDS,
    DOLLARS_CAP,
    MAX_CONCURRENCY,
    PRICE,
    RETRIES,
    SECONDS,
    WAIT_SECONDS,
)
from batchcount.cli.replay import typed_options
from batchcount.cli.store_options import endpoint_options, max_age, store_options
from batchcount.cli.ui import TerminalUI
from batchcount.errors import UsageError


@click.command()
@input_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Output .xlsx (or .csv). Default: INPUT.counted.xlsx beside the input.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask before spending.")
@endpoint_options(
    key_help="Generect API key (a test_ key runs in test mode). Prefer the env variable.",
    base_help="API base URL.",
    sandbox_help="Run against the built-in test-mode server on loopback (no key, no cost).",
)
@click.option(
    "--concurrency",
    default="auto",
    show_default=True,
    metavar="N|auto",
    type=CONCURRENCY,
    help="Requests in flight at once: auto finds the API's limit; a number (1-500) fixes it.",
)
@click.option(
    "--max-concurrency",
    default=50,
    show_default=True,
    type=MAX_CONCURRENCY,
    help="With --concurrency auto: the most requests in flight it may reach.",
)
@click.option(
    "--timeout",
    default=300.0,
    show_default=True,
    type=SECONDS,
    help="Seconds one request may take in all, answer included (realtime counts take 5-60 s).",
)
@click.option(
    "--connect-timeout",
    default=10.0,
    show_default=True,
    type=CONNECT_SECONDS,
    help="Seconds to wait for a connection to the API.",
)
@click.option(
    "--max-retries",
    default=5,
    show_default=True,
    type=RETRIES,
    help="Retries for 429, 5xx and network failures (with backoff).",
)
@click.option(
    "--max-retry-after",
    default=120.0,
    show_default=True,
    type=WAIT_SECONDS,
    metavar="S",
    help="Longest Retry-After to wait for; a longer one stops the run (resume later).",
)
@click.option(
    "--max-cost",
    type=DOLLARS_CAP,
    metavar="USD",
    help="Stop before spending more than this (in-flight requests counted). "
    "0 sends nothing: writes the output from the count store.",
)
@click.option(
    "--price",
    type=PRICE,
    metavar="USD",
    help="Price per realtime request if the account's tier cannot be read "
    "(the cap also reserves at least this).",
)
@click.option(
    "--journal",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Take over the journal of an earlier batchcount version (NAME.journal.sqlite) into "
    "the count store before the run, as the one beside the output is.",
)
@click.option(
    "--compare",
    type=click.Path(path_type=Path),
    metavar="PREVIOUS.xlsx",
    help="An earlier batchcount output: add previous_count, previous_counted_at, change and "
    "change_pct, matched by segment; the Summary lists the biggest movers and gone segments.",
)
@click.option(
    "--canary",
    type=click.IntRange(min=1),
    metavar="N",
    help="Count the first N billable requests, show their counts, and ask again before "
    "the rest (with --yes: go on unless one failed).",
)
@store_options
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def run(**kwargs: Any) -> None:
    """Count every segment in INPUT and write the annotated workbook.

    Shows the estimate and asks "Proceed? [y/N]" before spending. Counts are remembered in
    the count store: any segment counted within --max-age (from any file) is reused, not
    paid again, so rerunning the same command resumes.

    Exit codes: 0 all counted; 1 some rows invalid or failed; 2 usage or unreadable input;
    3 stopped early (key rejected, no funds, --max-cost, declined); 130 interrupted.
    """
    from batchcount.api.job import RunOptions, run_job

    guard_key(kwargs["api_key"], kwargs["sandbox"])  # remembered for redaction, then checked
    command, key_typed = typed_options(click.get_current_context())
    journal = kwargs["journal"]
    if journal is not None and not journal.is_file():
        # Only an existing journal: a typo must never start a new one and pay again.
        raise UsageError(
            f"--journal {journal}: no such file. --journal takes over the journal of an "
            "earlier batchcount version (NAME.journal.sqlite beside its output) into the "
            "count store; leave it out otherwise (counts are kept in the store). Nothing was "
            "sent."
        )
    options = RunOptions(
        inputs=to_input_options(kwargs),
        output=kwargs["output"],
        yes=kwargs["yes"],
        api_key=kwargs["api_key"],
        base_url=kwargs["base_url"],
        sandbox=kwargs["sandbox"],
        concurrency=kwargs["concurrency"],
        max_concurrency=kwargs["max_concurrency"],
        timeout=kwargs["timeout"],
        connect_timeout=kwargs["connect_timeout"],
        max_retries=kwargs["max_retries"],
        max_cost=kwargs["max_cost"],
        price=kwargs["price"],
        fresh=kwargs["fresh"],
        max_retry_after=kwargs["max_retry_after"],
        journal=kwargs["journal"],
        command=command,
        key_on_command_line=key_typed,
        compare=kwargs["compare"],
        canary=kwargs["canary"],
        store=kwargs["store"],
        max_age=max_age(kwargs),
        preflight=kwargs["preflight"],
    )
    ui = TerminalUI(kwargs["quiet"])
    try:
        code = run_job(options, ui)
    finally:
        ui.progress_done()
    raise SystemExit(code)
