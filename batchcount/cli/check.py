"""`batchcount check`: read, map, validate and estimate; nothing billable is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from batchcount.cli.common import input_options, say, to_input_options
from batchcount.cli.numbers import PRICE
from batchcount.cli.store_options import endpoint_options, max_age, remember_key, store_options
from batchcount.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
)


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
    "--price", type=PRICE, metavar="USD", help="Price per realtime request for the estimate."
)
@click.option(
    "--compare",
    type=click.Path(path_type=Path),
    metavar="PREVIOUS.xlsx",
    help="An earlier batchcount output: say which segments it counted, which are new and "
    "which are gone (--report gets previous_count beside each row).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The output `run` would write (default INPUT.counted.xlsx): what it has cost so far.",
)
@endpoint_options(
    key_help="Generect API key: selects live or test counts, and asks the free price tier.",
    base_help="API base URL (stored counts are kept per API).",
    sandbox_help="Look up the counts of --sandbox runs (test mode).",
)
@store_options
def check(**kwargs: Any) -> None:
    """Read, map, validate and estimate INPUT. Makes no billable call.

    The estimate is the one `run` will show: segments counted within --max-age are looked up
    in the count store (same --store, --base-url, --sandbox and key kind as `run`).

    Exit 0 all rows valid, 1 some invalid, 2 unreadable input or usage error.
    """
    from batchcount.api.check import check_input
    from batchcount.api.options import RunOptions

    if kwargs["fix"] is not None:
        from batchcount.output.fix_copy import check_fix_path

        check_fix_path(kwargs["fix"], kwargs["input_path"])
    compare = None
    if kwargs["compare"]:
        from batchcount.api.compare import check_compare, load_comparison

        check_compare(kwargs["compare"])
    remember_key(kwargs["api_key"])
    inputs = to_input_options(kwargs)
    options = RunOptions(
        inputs=inputs,
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
    report = check_input(inputs, kwargs["price"], options)
    if kwargs["compare"]:
        compare = load_comparison(kwargs["compare"], report.prepared)
    for line in report.lines() + (compare.check_lines() if compare else []):
        say(line, err=False)
    if kwargs["report"]:
        report.write(kwargs["report"], compare)
        say(f"Wrote {kwargs['report']}", err=False)
    if kwargs["fix"] is not None:
        copy = report.write_fixed_copy(kwargs["fix"])
        say(
            f"Wrote {copy.path}: {copy.fixed} cell{'s' * (copy.fixed != 1)} fixed (green, "
            f"listed on its Fixes sheet), {copy.needs_you} cell{'s' * (copy.needs_you != 1)} "
            "need you (red: not sent until fixed; yellow: sent, worth a look; the message "
            "is in each cell's comment). The input is unchanged.",
            err=False,
        )
        for note in copy.notes:
            say(f"  Note: {note}", err=False)
    raise SystemExit(EXIT_PROBLEMS if report.estimate.invalid else EXIT_OK)
