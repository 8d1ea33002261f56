"""Yardstick for `check`: iterate every cell of a workbook with openpyxl in read-only mode.

Usage: python bench/openpyxl_iter.py FILE.xlsx   (prints rows and non-empty cells seen)
"""

from __future__ import annotations

import sys

from openpyxl import load_workbook


def main(path: str) -> None:
    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = cells = 0
    for row in ws.iter_rows(values_only=True):
        rows += 1
        cells += sum(1 for value in row if value is not None)
    wb.close()
    print(f"{rows} rows, {cells} cells")


if __name__ == "__main__":
    main(sys.argv[1])
