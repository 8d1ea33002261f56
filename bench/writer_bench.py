"""Write an N-row Results workbook from a lazy stream of rows; print time and memory as JSON.

Usage: python bench/writer_bench.py N OUTPUT.xlsx
The rows are streamed from a pool of 20,000 distinct rows made before measuring, so the input
takes no memory while writing: any RSS growth while writing is the writer's.
`growth_mib` = peak RSS while writing - RSS before.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from data import BIG_HEADERS, _big_row

from batchcount.output.columns import ResultRow
from batchcount.output.workbook import Summary, write_workbook


def _status(key: str) -> float:
    found = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(found.group(1)) / 1024 if found else 0.0


def templates(count: int = 20_000) -> list[tuple[list[str], str]]:
    """Distinct rows (cells, request JSON) like the 100k-row input's, made before measuring."""
    rng = random.Random(3)
    out = []
    for i in range(count):
        cells = [str(v) for v in _big_row(rng, i)]
        body = {"job_titles": cells[3].split(";"), "locations": cells[5].split(";")}
        out.append((cells, json.dumps(body, ensure_ascii=False, separators=(", ", ": "))))
    return out


def rows(n: int, pool: list[tuple[list[str], str]]) -> Iterator[ResultRow]:
    for i in range(n):
        cells, request = pool[i % len(pool)]
        yield ResultRow(i + 2, cells, 1000 + i, "ok", 0.04, "", request)


def main(n: int, output: str) -> None:
    now = datetime.now()
    summary = Summary(
        input_name="bench.xlsx",
        mode="realtime",
        test_mode=True,
        rows_by_status={"ok": n},
        total_leads=n,
        money_spent=0.04 * n,
        saved_by_merging=0.0,
        saved_by_resuming=0.0,
        possibly_billed_twice=0,
        started=now,
        finished=now,
        version="bench",
        stop_reason=None,
        price=0.04,
        price_source="bench",
    )
    pool = templates()
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()
    write_workbook(Path(output), BIG_HEADERS, rows(n, pool), summary)
    seconds = time.perf_counter() - started
    peak = _status("VmHWM")
    print(
        json.dumps(
            {
                "rows": n,
                "seconds": seconds,
                "rss_before_mib": before,
                "peak_mib": peak,
                "growth_mib": peak - before,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
