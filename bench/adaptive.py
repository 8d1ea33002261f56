"""Bench section 7: `--concurrency auto` against a sandbox with a hidden parallel limit.

The sandbox (its own process) answers each count after a uniform 0.5-3 s and 429 to any
count request beyond `--max-parallel` in flight. `batchcount run` (the default, auto, with
--max-concurrency 50) must find the limit by itself: within 1.25x of the ideal time
(rows x mean latency / limit) with fewer than 5% of its requests answered 429. Without a
limit it must reach --max-concurrency. Live-style 429s carry no Retry-After (the real API
sends none); test-mode style ones carry `Retry-After: 1`.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import data
import procs

LOW, HIGH = 0.5, 3.0
MEAN = (LOW + HIGH) / 2
MAXIMUM = 50
KEY_ENV = {"GENERECT_API_KEY": "test_bench"}


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _run(work: Path, rows: int, limit: int | None, retry_after: bool) -> dict[str, Any]:
    source = data.segments_csv(rows)
    extra = ["--latency-max", str(HIGH), "--retry-after" if retry_after else "--no-retry-after"]
    if limit is not None:
        extra += ["--max-parallel", str(limit)]
    with procs.sandbox(LOW, extra) as server:
        folder = work / f"auto{limit}{retry_after:d}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        out = folder / "segments.counted.xlsx"
        what = f"limit {limit}" if limit else "no limit"
        _log(f"adaptive: {rows} rows, {LOW}-{HIGH} s, {what}, Retry-After {retry_after}")
        command = ["run", str(source), "-o", str(out), "--yes", "-q"]
        command += ["--max-concurrency", str(MAXIMUM)]  # the defaults, spelt out
        run = procs.run_timed(
            [procs.PYTHON, str(procs.BENCH / "child.py"), *command],  # the CLI, timed
            # its own count store: every segment is counted, nothing reused from another try
            env={
                **KEY_ENV,
                "GENERECT_API_BASE": server.url,
                "BATCHCOUNT_STORE": str(folder / "counts.sqlite"),
            },
            phases=True,
        )
        stats = server.stats()
    requests = int(stats["count_requests"])
    refused = int(stats["by_status"].get("429", 0))
    ideal = rows * MEAN / min(limit or MAXIMUM, MAXIMUM)
    return {
        "wall": run.wall,
        "count": run.phases["count"]["seconds"],
        "ideal": ideal,
        "refused": refused,
        "requests": requests,
        "share": refused / max(requests, 1),
        "max_in_flight": int(stats["max_in_flight"]),
    }


def adaptive(report: Any, work: Path, rows: int, with_retry_after: bool = True) -> None:
    cases: list[tuple[int | None, bool]] = [(40, False)]
    if with_retry_after:
        cases.append((40, True))
    cases.append((None, False))
    for limit, retry_after in cases:
        got = _run(work, rows, limit, retry_after)
        ratio = got["wall"] / got["ideal"]
        share = got["share"]
        if limit is None:
            what = f"auto, {rows} rows, {LOW}-{HIGH} s, no limit"
            ok = got["max_in_flight"] == MAXIMUM and ratio <= 1.25
            target = f"reaches {MAXIMUM}"
        else:
            style = "Retry-After: 1" if retry_after else "live 429s"
            what = f"auto, {rows} rows, {LOW}-{HIGH} s, limit {limit} ({style})"
            ok = ratio <= 1.25 and share < 0.05
            target = "<= 1.25, < 5% 429"
        report.add("7", what, f"{got['wall']:.1f} s", f"ideal {got['ideal']:.1f} s",
                   f"{ratio:.3f}", target, "met" if ok else "MISSED")  # fmt: skip
        report.add("", "  counting phase alone", f"{got['count']:.1f} s", "",
                   f"{got['count'] / got['ideal']:.3f}")  # fmt: skip
        report.add("", "  429 answers", f"{got['refused']} of {got['requests']}",
                   f"most in flight {got['max_in_flight']}", f"{100 * share:.1f}%")  # fmt: skip
    report.notes.append(
        f"7: one run each; ideal = rows x {MEAN} s mean latency / limit (or "
        f"--max-concurrency {MAXIMUM}); --concurrency auto is the default"
    )
