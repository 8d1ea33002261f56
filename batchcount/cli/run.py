"""`batchcount run`: the main job, with the terminal UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from batchcount.cli.common import add_secret, input_options, to_input_options
from batchcount.cli.store_options import max_age, store_options
from batchcount.cli.ui import TerminalUI


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
@click.option(
    "--api-key",
    envvar="GENERECT_API_KEY",
    metavar="KEY",
    show_envvar=True,
    help="Generect API key (a test_ key runs in test mode). Prefer the env variable.",
)
@click.option(
    "--base-url",
    envvar="GENERECT_API_BASE",
    metavar="URL",
    show_envvar=True,
    default="https://api.generect.com",
    show_default=True,
    help="API base URL.",
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against the built-in test-mode server on loopback (no key, no cost).",
)
@click.option(
    "--concurrency", default=10, show_default=True, type=int, help="Requests in flight at once."
)
@click.option(
    "--timeout",
    default=300.0,
    show_default=True,
    type=float,
    help="Seconds to wait for one answer (realtime counts take 5-60 s).",
)
@click.option(
    "--connect-timeout",
    default=10.0,
    show_default=True,
    type=float,
    help="Seconds to wait for a connection to the API.",
)
@click.option(
    "--max-retries",
    default=5,
    show_default=True,
    type=int,
    help="Retries for 429, 5xx and network failures (with backoff).",
)
@click.option(
    "--max-cost",
    type=float,
    metavar="USD",
    help="Stop before spending more than this (in-flight requests counted).",
)
@click.option(
    "--price",
    type=float,
    metavar="USD",
    help="Price per realtime request if the account's tier cannot be read.",
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

    if kwargs["api_key"]:
        add_secret(kwargs["api_key"].strip())
        add_secret(kwargs["api_key"].strip().split()[-1])
    options = RunOptions(
        inputs=to_input_options(kwargs),
        output=kwargs["output"],
        yes=kwargs["yes"],
        api_key=kwargs["api_key"],
        base_url=kwargs["base_url"],
        sandbox=kwargs["sandbox"],
        concurrency=kwargs["concurrency"],
        timeout=kwargs["timeout"],
        connect_timeout=kwargs["connect_timeout"],
        max_retries=kwargs["max_retries"],
        max_cost=kwargs["max_cost"],
        price=kwargs["price"],
        fresh=kwargs["fresh"],
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
