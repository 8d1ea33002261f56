"""`--compare` on a 100k-row previous output: reading, indexing and annotating, against
iterating the same Results sheet with openpyxl read-only (the yardstick), in one process.

Usage: python bench/compare_bench.py [ROWS]   (default 100000; the previous output is built
from bench/.cache's n-row workbook, every valid row `ok` with a count, and cached too)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import data
from openpyxl import load_workbook

from batchcount.output.columns import ResultRow
from batchcount.output.compare import Comparison
from batchcount.output.row_labels import label_column
from batchcount.output.workbook import Summary, write_workbook
from batchcount.plan.estimate import request_json
from batchcount.plan.prepare import InputOptions, prepare
from batchcount.read.previous import read_previous


def previous_output(rows: int) -> tuple[Path, Path]:
    source = data.big_workbook(rows)
    path = data.CACHE / f"previous-{rows}.counted.xlsx"
    if path.exists():
        return source, path
    prepared = prepare(InputOptions(path=source))
    planned = prepared.plan.rows

    def rows_out() -> Iterator[ResultRow]:
        for plan_row, cells in zip(planned, prepared.sheet.rows, strict=True):
            body = plan_row.check.body
            ok = plan_row.check.status == "valid" and body is not None
            yield ResultRow(
                plan_row.check.row_number,
                cells,
                (hash(plan_row.fingerprint) % 90_000 + 10) if ok else None,
                "ok" if ok else "invalid",
                0.04 if ok else None,
                "",
                request_json(body) if body else "",
            )

    now = datetime.now()
    summary = Summary(source.name, "realtime", False, {}, 0, 0.0, 0.0, 0.0, 0, now, now, "bench",
                      None, 0.04, "bench")  # fmt: skip
    write_workbook(path, prepared.sheet.headers, rows_out(), summary)
    return source, path


def main(rows: int) -> None:
    source, path = previous_output(rows)
    start = time.perf_counter()
    wb = load_workbook(path, read_only=True, data_only=True)
    seen = sum(1 for _ in wb["Results"].iter_rows(values_only=True))
    wb.close()
    yard = time.perf_counter() - start

    prepared = prepare(InputOptions(path=source))
    sheet = prepared.sheet
    label = label_column(sheet.headers, prepared.columns, sheet.rows)
    start = time.perf_counter()
    previous = read_previous(path, sheet.headers[label] if label is not None else None)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    comparison = Comparison(previous, prepared.mode, prepared.plan.rows, label)
    index_s = time.perf_counter() - start
    fake = [
        ResultRow(p.check.row_number, cells, 100, "ok", 0.04, "", "")
        for p, cells in zip(prepared.plan.rows, sheet.rows, strict=True)
    ]
    start = time.perf_counter()
    for _ in comparison.annotate(prepared.plan.rows, fake):
        pass
    annotate_s = time.perf_counter() - start
    total = read_s + index_s + annotate_s
    print(f"previous output: {seen - 1:,} rows ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"openpyxl read-only iteration (yardstick)  {yard:6.2f} s")
    print(f"read_previous (calamine, 5-6 columns)     {read_s:6.2f} s")
    print(f"index by canonical body                   {index_s:6.2f} s")
    print(f"annotate {len(fake):,} Results rows          {annotate_s:6.2f} s")
    print(f"--compare total                           {total:6.2f} s  ratio {total / yard:.3f}")
    print(f"matched {comparison.compared:,} segments, gone {len(comparison.gone):,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
