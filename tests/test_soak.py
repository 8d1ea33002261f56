"""Load: 20,000 distinct segments at --concurrency 50 against a sandbox with faults on.

The child's memory, threads and open file descriptors are read from /proc while it runs
(no psutil): peak RSS (VmHWM) must stay bounded, and threads and descriptors must stay within
about the concurrency plus a constant (one thread and one keep-alive connection per worker),
with no growth as requests, retries and dropped connections pile up.
Run with `pytest -s` to see the figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_faults import (
    KEY,
    check_money,
    command,
    env_for,
    results,
    run_cli,
    segments,
    settled,
    summary,
    write_csv,
)

from batchcount.sandbox.server import SandboxConfig, SandboxServer

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the child's figures from /proc"
)

ROWS = 20_000
CONCURRENCY = 50
MiB = 1024 * 1024


@dataclass
class Figures:
    peak_rss: int = 0  # VmHWM, bytes
    before: tuple[int, int] = (0, 0)  # (threads, fds) at the first sample, before counting
    after: tuple[int, int] = (0, 0)  # at the last sample, as the process ends
    threads: list[int] = field(default_factory=list)  # while counting
    fds: list[int] = field(default_factory=list)
    rss: list[tuple[int, int]] = field(default_factory=list)  # (answers so far, VmRSS bytes)


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def _kib(value: str) -> int:
    return int(value.split()[0]) * 1024


def watch(pid: int, server: SandboxServer, figures: Figures) -> None:
    """Sample the child until it exits."""
    while True:
        try:
            status = _status(pid)
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            return
        if status.get("State", "").startswith("Z"):
            return
        answers = server.stats.snapshot()["ok_answers"]
        figures.peak_rss = max(figures.peak_rss, _kib(status.get("VmHWM", "0 kB")))
        if figures.before == (0, 0):
            figures.before = (int(status["Threads"]), fds)
        figures.after = (int(status["Threads"]), fds)
        if 100 < answers < ROWS * 0.95:  # the run proper, before the workers wind down
            figures.threads.append(int(status["Threads"]))
            figures.fds.append(fds)
            figures.rss.append((answers, _kib(status.get("VmRSS", "0 kB"))))
        time.sleep(0.1)


def soak_faults() -> SandboxConfig:
    """About 5% of count requests fail, every kind mixed."""
    return SandboxConfig(
        valid_keys=frozenset({KEY}),
        seed=99,
        rate_500=0.012,
        rate_502=0.01,
        rate_429=0.01,  # live style, no Retry-After (test_faults covers Retry-After pauses)
        retry_after_on_429=False,
        drop_rate=0.01,
        slow_rate=0.008,
        slow_seconds=1.5,
    )


@pytest.mark.slow
def test_soak_20k_rows_concurrency_50_with_faults(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "big.csv", segments(ROWS))
    output = tmp_path / "big.counted.xlsx"
    runs: list[tuple[int, float, Figures]] = []
    with SandboxServer(soak_faults()) as srv:
        for _ in range(2):  # a second run only for rows whose retries ran out
            figures = Figures()
            started = time.monotonic()
            proc = subprocess.Popen(
                command(src, "--concurrency", str(CONCURRENCY), "--timeout", "1"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=env_for(srv),
            )
            watch(proc.pid, srv, figures)
            _, err = proc.communicate(timeout=300)
            runs.append((proc.returncode, time.monotonic() - started, figures))
            assert "Traceback" not in err
            if proc.returncode == 0:
                break
            assert proc.returncode == 1, err
        snap = settled(srv)
        final = run_cli(srv, src)  # a third run has nothing left to send
        assert final.returncode == 0 and settled(srv)["count_requests"] == snap["count_requests"]
    out = results(output)
    assert Counter(r["status"] for r in out) == {"ok": ROWS}
    twice = check_money(out, summary(output), snap)
    first = runs[0][2]
    timings = [(code, round(seconds, 1)) for code, seconds, _ in runs]
    lines = [
        f"soak: {ROWS} rows, concurrency {CONCURRENCY}, runs (exit, s) {timings}",
        f"  server: {snap['count_requests']} count requests, by status {snap['by_status']}, "
        f"dropped {snap['dropped']}, max in flight {snap['max_in_flight']}, "
        f"possibly billed twice {twice}, answered twice {snap['ok_answers'] - ROWS}",
    ]
    for code, seconds, fig in runs:
        lines.append(
            f"  run exit {code} in {seconds:.1f} s: peak RSS {fig.peak_rss / MiB:.0f} MiB; "
            f"threads before {fig.before[0]}, counting {min(fig.threads, default=0)}-"
            f"{max(fig.threads, default=0)}, after {fig.after[0]}; fds before {fig.before[1]}, "
            f"counting {min(fig.fds, default=0)}-{max(fig.fds, default=0)}, after {fig.after[1]}"
        )
    print("\n" + "\n".join(lines))
    assert first.threads and first.fds
    assert first.peak_rss < 400 * MiB
    # workers + main + a few helpers, + polars' own fixed pool (rayon, tokio, jemalloc:
    # about 10 threads, started once when the sheet is checked column by column)
    assert max(first.threads) <= CONCURRENCY + 8 + 12
    assert max(first.fds) <= CONCURRENCY + 40  # a socket per worker + journal + files
    # no growth: the second half of the run holds no more threads or descriptors than the first
    half = len(first.threads) // 2
    assert max(first.threads[half:]) <= max(first.threads[:half])
    assert max(first.fds[half:]) <= max(first.fds[:half]) + 5
    # memory flat while counting: from a quarter of the answers to the end of the counting
    counting = [rss for answers, rss in first.rss if ROWS // 4 <= answers < ROWS]
    if len(counting) >= 2:
        assert counting[-1] - counting[0] < 40 * MiB, (counting[0], counting[-1])
