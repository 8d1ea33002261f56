"""`batchcount check`: read, map, validate and estimate; nothing billable is sent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from batchcount.api.check_estimate import check_estimate
from batchcount.api.finish import build_summary
from batchcount.api.options import RunOptions
from batchcount.api.reuse import effective_max_age
from batchcount.cli.common import input_options, say, to_input_options
from batchcount.cli.store_options import endpoint_options, max_age, remember_key, store_options
from batchcount.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
)
from batchcount.output.report import input_lines, problem_lines, rows_line
from batchcount.output.results import Tally, check_rows_out
from batchcount.output.workbook import write_output
from batchcount.plan.estimate import money
from batchcount.plan.prepare import prepare


@click.command()
@input_options
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    metavar="OUT.xlsx",
    help="Write the Results layout with invalid/skipped rows and their messages.",
)
@click.option(
    "--price", type=float, metavar="USD", help="Price per realtime request for the estimate."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The output `run` would write (default INPUT.counted.xlsx): what it has cost so far.",
)
@endpoint_options
@store_options
def check(**kwargs: Any) -> None:
    """Read, map, validate and estimate INPUT. Makes no billable call.

    The estimate is the one `run` will show: segments counted within --max-age are looked up
    in the count store (same --store, --base-url, --sandbox and key kind as `run`).

    Exit 0 all rows valid, 1 some invalid, 2 unreadable input or usage error.
    """
    if kwargs["price"] is not None and kwargs["price"] < 0:
        raise UsageError(f"--price {kwargs['price']}: a price cannot be negative.")
    remember_key(kwargs["api_key"])
    options = RunOptions(
        inputs=to_input_options(kwargs),
        output=kwargs["output"],
        api_key=kwargs["api_key"],
        base_url=kwargs["base_url"],
        sandbox=kwargs["sandbox"],
        price=kwargs["price"],
        fresh=kwargs["fresh"],
        store=kwargs["store"],
        max_age=max_age(kwargs),
        preflight=kwargs["preflight"],
    )
    effective_max_age(options.max_age, options.fresh)  # a contradiction: usage error first
    prepared = prepare(options.inputs)
    for line in input_lines(prepared):
        say(line, err=False)
    checked = check_estimate(options, prepared)
    est, price, source = checked.estimate, checked.estimate.price, checked.estimate.price_source
    say(rows_line(est), err=False)
    for line in problem_lines(prepared):
        say(line, err=False)
    for line in checked.lines:
        say(line, err=False)
    say(
        f"Billable requests: {est.billable} x {money(price)} ({source}) = "
        f"estimated cost {money(est.cost)}",
        err=False,
    )
    if kwargs["report"]:
        tally = Tally.empty()
        rows = check_rows_out(prepared.plan, prepared.sheet.rows, tally)
        started = datetime.now()
        write_output(
            kwargs["report"],
            prepared.sheet.headers,
            rows,
            lambda: build_summary(prepared, est, tally, False, "check only", started),
        )
        say(f"Wrote {kwargs['report']}", err=False)
    raise SystemExit(EXIT_PROBLEMS if est.invalid else EXIT_OK)
