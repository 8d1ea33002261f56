"""`batchcount check`: read, map, validate and estimate; nothing billable is sent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from batchcount.cli.common import input_options, say, to_input_options
from batchcount.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
)
from batchcount.output.report import input_lines, problem_lines, rows_line
from batchcount.plan.estimate import estimate, fallback_price, money
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
def check(**kwargs: Any) -> None:
    """Read, map, validate and estimate INPUT. Makes no billable call.

    Exit 0 all rows valid, 1 some invalid, 2 unreadable input or usage error.
    """
    if kwargs["price"] is not None and kwargs["price"] < 0:
        raise UsageError(f"--price {kwargs['price']}: a price cannot be negative.")
    prepared = prepare(to_input_options(kwargs))
    for line in input_lines(prepared):
        say(line, err=False)
    mode = prepared.mode
    price, source = fallback_price(mode, kwargs["price"])
    est = estimate(prepared.plan, price, source)
    say(rows_line(est), err=False)
    for line in problem_lines(prepared):
        say(line, err=False)
    say(
        f"Billable requests: {est.billable} x {money(price)} ({source}) = "
        f"estimated cost {money(est.cost)}",
        err=False,
    )
    if kwargs["report"]:
        # the writer pulls in openpyxl and the run's modules: only when a report is asked for
        from batchcount.api.finish import build_summary
        from batchcount.output.results import Tally, check_rows_out
        from batchcount.output.workbook import write_output

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
