"""`batchcount template`: a blank input workbook with dropdowns."""

from __future__ import annotations

from pathlib import Path

import click

from batchcount.cli.common import say


@click.command()
@click.argument("output", type=click.Path(path_type=Path))
def template(output: Path) -> None:
    """Write a ready input workbook (dropdowns for closed lists, instructions)."""
    from batchcount.output.template import write_template

    write_template(output)
    say(
        f"Wrote {output}: fill in one segment per row, then run `batchcount check {output}`.",
        err=False,
    )
