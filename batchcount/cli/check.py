"""`batchcount check`: read, map, validate and estimate; nothing billable is sent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from batchcount.api.finish import build_summary
from batchcount.cli.common import input_options, say, to_input_options
from batchcount.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
)
from batchcount.output.fix_copy import check_fix_path, write_fixed_copy
from batchcount.output.presentation import Presentation
from batchcount.output.report import input_lines, problem_lines, rows_line
from batchcount.output.results import Tally, check_rows_out
from batchcount.output.workbook import write_output
from batchcount.plan.estimate import estimate, fallback_price, money
from batchcount.plan.fixes import fixes_for
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
    "--fix",
    "fix",
    type=click.Path(path_type=Path),
    metavar="OUT.xlsx",
    help="Write a copy of the input with safe fixes applied (listed on a Fixes sheet) and "
    "every problem cell highlighted with its message as a comment. The input is not changed.",
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
    if kwargs["fix"] is not None:
        check_fix_path(kwargs["fix"], kwargs["input_path"])
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
        tally = Tally.empty()
        shown = Presentation.of(prepared)
        rows = shown.watch(check_rows_out(prepared.plan, prepared.result_cells, tally))
        started = datetime.now()
        write_output(
            kwargs["report"],
            prepared.sheet.headers,
            rows,
            lambda: build_summary(prepared, est, tally, False, "check only", started),
            chart_label=shown.chart_label,
            matrix=shown.matrix(counted=False),
        )
        say(f"Wrote {kwargs['report']}", err=False)
    if kwargs["fix"] is not None:
        copy = write_fixed_copy(prepared.sheet, fixes_for(prepared), kwargs["fix"])
        say(
            f"Wrote {copy.path}: {copy.fixed} cell{'s' * (copy.fixed != 1)} fixed (green, "
            f"listed on its Fixes sheet), {copy.needs_you} cell{'s' * (copy.needs_you != 1)} "
            "need you (red: not sent until fixed; yellow: sent, worth a look; the message "
            "is in each cell's comment). The input is unchanged.",
            err=False,
        )
        for note in copy.notes:
            say(f"  Note: {note}", err=False)
    raise SystemExit(EXIT_PROBLEMS if est.invalid else EXIT_OK)
