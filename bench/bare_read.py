"""Yardstick for `check` (issue 10, item 13): the bare polars/calamine read of the same file.

Usage: python bench/bare_read.py FILE.xlsx   (prints the frame's shape)

What any tool that reads the workbook through polars pays at least: start-up, importing
polars, and `polars.read_excel(engine="calamine")` (fastexcel underneath, as batchcount uses).
"""

from __future__ import annotations

import sys

import polars as pl


def main(path: str) -> None:
    frame = pl.read_excel(path, engine="calamine")
    print(f"{frame.height} rows, {frame.width} columns")


if __name__ == "__main__":
    main(sys.argv[1])
