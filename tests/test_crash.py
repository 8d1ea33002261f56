"""Crashes and interruptions: SIGKILL at random moments, kills while the workbook is being
written, Ctrl-C and SIGTERM, and journals that belong to something else or are damaged.

Every kill is followed by a rerun of the same command; what must hold:
- the final workbook equals (row by row: status, results_count, amount_charged, request) the
  one an uninterrupted run writes against a fresh sandbox;
- requests billed beyond the distinct segments never exceed what was in flight at each kill
  (at most --concurrency per kill), and the output reports them as possibly billed twice;
- an output file is never corrupt: the previous one (or none) stays until the new one is whole.
The random moments come from a fixed seed, so a failure can be replayed.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from store_helpers import recorder_at, stored
from test_faults import (
    KEY,
    PRICE,
    TWICE,
    check_money,
    command,
    env_for,
    results,
    run_cli,
    segments,
    settled,
    summary,
    wait_for,
    write_csv,
    write_xlsx,
)

from batchcount.errors import EXIT_STOPPED
from batchcount.net.client import ClientConfig, GenerectClient
from batchcount.net.runner import Job, Runner
from batchcount.net.throttle import Throttle
from batchcount.plan.estimate import fingerprint
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox

SEED = 4242
COMPARED = ("status", "results_count", "amount_charged", "request")


def config(**changes: Any) -> SandboxConfig:
    return SandboxConfig(valid_keys=frozenset({KEY}), **changes)


def popen(server: SandboxServer, src: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(src, *options),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(server),
    )


def table(path: Path) -> list[tuple[Any, ...]]:
    return [tuple(row[c] for c in COMPARED) for row in results(path)]


def store_states() -> Counter[str]:
    """The states of the requests in this test's count store (conftest sets its path)."""
    db = sqlite3.connect(f"file:{os.environ['BATCHCOUNT_STORE']}?mode=ro", uri=True)
    try:
        return Counter(str(r[0]) for r in db.execute("SELECT state FROM counts"))
    finally:
        db.close()


# --- SIGKILL at random moments ---------------------------------------------------------------


def crash_rows() -> list[list[str]]:
    return segments(80) + segments(8, start=10)  # 88 rows, 80 distinct segments (8 duplicates)


def _kill_at_random(server: SandboxServer, src: Path, rng: random.Random, concurrency: int) -> bool:
    """Run the command; once it is counting, SIGKILL it after a random delay (if it is still
    running). Returns whether it was killed."""
    before = server.stats.snapshot()["count_requests"]
    proc = popen(server, src, "--concurrency", str(concurrency))
    try:
        wait_for(
            lambda: server.stats.snapshot()["count_requests"] > before or proc.poll() is not None
        )
        time.sleep(rng.uniform(0.0, 0.5))
        killed = proc.poll() is None
        if killed:
            proc.kill()
    finally:
        proc.communicate(timeout=30)
    settled(server)
    return killed


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_exactly(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    distinct, concurrency, trials = 80, 4, 5
    ref_dir = tmp_path / "reference"
    ref_dir.mkdir()
    with start_sandbox(config(latency=0.02)) as fresh:
        ref_src = write_xlsx(ref_dir / "in.xlsx", crash_rows())
        assert run_cli(fresh, ref_src, "--concurrency", str(concurrency)).returncode == 0
    reference = table(ref_dir / "in.counted.xlsx")
    total_kills = 0
    report = []
    for trial in range(trials):
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        src = write_xlsx(folder / "in.xlsx", crash_rows())
        output = folder / "in.counted.xlsx"
        with start_sandbox(config(latency=0.03, rate_500=0.05, seed=trial)) as srv:
            # up to two kills, then a run to the end
            kills = sum(_kill_at_random(srv, src, rng, concurrency) for _ in range(2))
            final = run_cli(srv, src, "--concurrency", str(concurrency))
            assert final.returncode == 0, final.stderr
            snap = settled(srv)
        assert table(output) == reference, f"trial {trial}"
        extra = snap["ok_answers"] - distinct
        assert 0 <= extra <= concurrency * kills, (trial, extra, kills)
        twice = check_money(results(output), summary(output), snap)
        assert extra <= twice
        assert snap["billed_amount"] == pytest.approx((distinct + extra) * PRICE)
        total_kills += kills
        report.append(f"trial {trial}: {kills} kills, {extra} billed twice, {twice} reported")
    print("\nSIGKILL " + "; ".join(report))
    assert total_kills >= trials  # the seed really killed runs mid-way


# --- SIGKILL while the workbook is being written ---------------------------------------------


def _temp_files(folder: Path, output: Path) -> list[Path]:
    return sorted(folder.glob(f".{output.name}.tmp-*"))


def _kill_while_writing(
    server: SandboxServer, src: Path, output: Path, delay: float
) -> tuple[bool, int]:
    """Start the command, wait for its temp output file, kill it `delay` s later.
    Returns (the temp file was seen, the exit code)."""
    proc = popen(server, src, "--concurrency", "20")
    seen = False
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if any(p.name.endswith(f"-{proc.pid}") for p in _temp_files(src.parent, output)):
                seen = True
                time.sleep(delay)
                proc.kill()
                break
            time.sleep(0.002)
    finally:
        proc.communicate(timeout=30)
    return seen, proc.returncode


def _valid_workbook(path: Path, rows: int) -> None:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
    assert len(results(path)) == rows


@pytest.mark.slow
def test_kill_while_writing_leaves_the_previous_workbook_or_none(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    rows = segments(200) * 100  # 20,000 rows, 200 requests: the write phase dominates
    src = write_csv(tmp_path / "big.csv", rows)
    output = tmp_path / "big.counted.xlsx"
    with start_sandbox(config()) as srv:
        # first run: no output yet; a kill while writing leaves none (or, after the rename,
        # a whole one)
        seen, code = _kill_while_writing(srv, src, output, rng.uniform(0.0, 0.3))
        assert seen and code == -signal.SIGKILL
        if output.exists():
            _valid_workbook(output, len(rows))
        done = run_cli(srv, src, "--concurrency", "20")
        assert done.returncode == 0, done.stderr
        reference = output.read_bytes()
        _valid_workbook(output, len(rows))
        outcomes = []
        for _ in range(4):  # rewrites of the same output, killed at random moments
            previous = output.read_bytes()
            seen, code = _kill_while_writing(srv, src, output, rng.uniform(0.0, 0.7))
            assert seen
            current = output.read_bytes()
            if current == previous:
                outcomes.append("previous kept")
            else:  # the kill came after the rename: the new file must be whole
                _valid_workbook(output, len(rows))
                outcomes.append("new complete")
        assert "previous kept" in outcomes
        assert _temp_files(tmp_path, output)  # SIGKILL leaves its temp file behind ...
        final = run_cli(srv, src, "--concurrency", "20")
        assert final.returncode == 0, final.stderr
        assert not _temp_files(tmp_path, output)  # ... and the next run clears it
        snap = settled(srv)
    assert snap["ok_answers"] == 200 and max(snap["answered_bodies"].values()) == 1
    assert reference[:2] == b"PK"
    print(f"\nkilled while writing: {outcomes}")


# --- Ctrl-C and SIGTERM ----------------------------------------------------------------------


def test_ctrl_c_waits_for_answers_in_flight_saves_and_resumes(tmp_path: Path) -> None:
    n = 40
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config(latency=0.4)) as srv:
        proc = popen(srv, src, "--concurrency", "4")
        wait_for(lambda: srv.stats.snapshot()["ok_answers"] >= 6)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "interrupted (Ctrl-C)" in err
        snap = settled(srv)
        statuses = Counter(r["status"] for r in results(output))
        # every request in flight was waited for: all answers that were billed are recorded
        assert statuses["ok"] == snap["ok_answers"] and statuses["skipped"] == n - statuses["ok"]
        assert summary(output)[TWICE] == 0
        assert set(store_states()) <= {
            "done",
            "failed",
        }
        srv.config.latency = 0.01
        again = run_cli(srv, src, "--concurrency", "4")
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert [r["status"] for r in results(output)] == ["ok"] * n
    assert max(snap["answered_bodies"].values()) == 1  # nothing paid twice


def test_second_ctrl_c_abandons_in_flight_and_reports_them(tmp_path: Path) -> None:
    n, concurrency = 9, 3
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config(latency=2.0)) as srv:
        proc = popen(srv, src, "--concurrency", str(concurrency), "--timeout", "30")
        wait_for(lambda: srv.stats.snapshot()["in_flight"] == concurrency)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)  # "stop waiting"
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert time.monotonic() - started < 1.9  # did not wait for the 2 s answers
        assert "Stopped waiting" in err and "Traceback" not in err
        out = results(output)
        assert [r["status"] for r in out] == ["skipped"] * n
        in_flight = [r for r in out if "in flight when the run stopped" in str(r["message"])]
        assert len(in_flight) == concurrency
        assert summary(output)[TWICE] == concurrency
        assert store_states()["sent"] == 3
        settled(srv)  # the server finished (and billed) the abandoned requests
        srv.config.latency = 0.01
        again = run_cli(srv, src, "--concurrency", str(concurrency))
        assert again.returncode == 0, again.stderr
        assert "3 requests were in flight when the last run stopped" in again.stderr
        snap = settled(srv)
    out = results(output)
    assert [r["status"] for r in out] == ["ok"] * n
    assert snap["ok_answers"] == n + concurrency  # the abandoned ones were billed twice ...
    assert check_money(out, summary(output), snap) == concurrency  # ... and reported


def test_sigterm_stops_cleanly_with_exit_130(tmp_path: Path) -> None:
    n = 60
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config(latency=0.2)) as srv:
        proc = popen(srv, src, "--concurrency", "4")
        wait_for(lambda: srv.stats.snapshot()["ok_answers"] >= 8)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err  # SIGTERM is an interruption, like Ctrl-C
        assert "interrupted (SIGTERM)" in err and "Traceback" not in err
        snap = settled(srv)
        statuses = Counter(r["status"] for r in results(output))
        assert statuses["ok"] == snap["ok_answers"] and 0 < statuses["ok"] < n
        again = run_cli(srv, src, "--concurrency", "4")
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert max(snap["answered_bodies"].values()) == 1


def test_ctrl_c_waits_for_slow_answers_beyond_the_sigterm_grace(tmp_path: Path) -> None:
    """In-process: answers in flight are already paid for, so a (single) Ctrl-C waits for
    them as long as the request timeout allows, not just the short SIGTERM grace; abandoning
    them would make the next run pay for them again."""
    with start_sandbox(config(latency=1.2)) as srv:
        journal = recorder_at(tmp_path / "j.sqlite")
        client = GenerectClient(
            ClientConfig(base_url=srv.url, api_key=KEY, timeout=30), throttle=Throttle(3)
        )
        bodies = [{"job_titles": [f"Title {i}"]} for i in range(6)]
        jobs = [Job(fingerprint(b, "realtime"), b) for b in bodies]
        runner = Runner(client, journal, "realtime", 3, PRICE, grace=0.2)
        threading.Timer(0.4, os.kill, args=(os.getpid(), signal.SIGINT)).start()
        report = runner.run(jobs)
        states = Counter(e.state for e in stored(journal).values())
        journal.close()
        client.close()
        snap = settled(srv)
    assert report.exit_code == 130 and report.stop_reason == "interrupted (Ctrl-C)"
    assert report.abandoned == [] and states == {"done": 3}
    assert snap["ok_answers"] == 3 and sum(o.status == "ok" for o in report.outcomes.values()) == 3


def test_sigterm_waits_only_a_short_grace_then_abandons(tmp_path: Path) -> None:
    """In-process (signals reach the main thread, where the runner catches them): SIGTERM
    waits `grace` seconds for slow answers, then leaves them `sent` in the journal; the
    signal handlers that were there before come back afterwards."""
    with start_sandbox(config(latency=3.0)) as srv:
        journal = recorder_at(tmp_path / "j.sqlite")
        client = GenerectClient(
            ClientConfig(base_url=srv.url, api_key=KEY, timeout=30), throttle=Throttle(3)
        )
        bodies = [{"job_titles": [f"Title {i}"]} for i in range(6)]
        jobs = [Job(fingerprint(b, "realtime"), b) for b in bodies]
        before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
        runner = Runner(client, journal, "realtime", 3, PRICE, grace=0.3)
        timer = threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGTERM))
        started = time.monotonic()
        timer.start()
        report = runner.run(jobs)
        elapsed = time.monotonic() - started
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
        assert report.exit_code == 130 and report.stop_reason == "interrupted (SIGTERM)"
        assert elapsed < 2.0 and len(report.abandoned) == 3
        states = Counter(e.state for e in stored(journal).values())
        journal.close()  # as the job does: stragglers can no longer write
        client.close()
    assert states == {"sent": 3}  # the next run re-sends them as possibly billed twice


# --- stored counts across inputs, outputs and modes ------------------------------------------


def test_counts_from_another_input_and_output_are_reused(tmp_path: Path) -> None:
    first = write_xlsx(tmp_path / "first.xlsx", segments(10))
    second = write_xlsx(tmp_path / "second.xlsx", segments(10, start=5))  # 5 shared
    with start_sandbox(config()) as srv:
        assert run_cli(srv, first, "-o", str(tmp_path / "a.xlsx")).returncode == 0
        done = run_cli(srv, second, "-o", str(tmp_path / "b.xlsx"))
        assert done.returncode == 0, done.stderr
        assert "5 reuse counts from" in done.stderr and "5 new ($0.20)" in done.stderr
        snap = settled(srv)
    assert snap["ok_answers"] == 15 and max(snap["answered_bodies"].values()) == 1
    out = results(tmp_path / "b.xlsx")
    assert [r["status"] for r in out] == ["ok"] * 10
    assert [r["source"] for r in out] == ["reused"] * 5 + ["new"] * 5
    # paid for by the run that wrote a.xlsx: not part of what b.xlsx cost
    assert [r["amount_charged"] for r in out[:5]] == [0] * 5
    assert all("a.xlsx" in str(r["message"]) for r in out[:5])


def test_counts_from_another_mode_are_not_reused(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(6))
    with start_sandbox(config()) as srv:
        assert run_cli(srv, src).returncode == 0
        billed = srv.stats.snapshot()["billed_amount"]
        done = run_cli(srv, src, "--mode", "database")
        assert done.returncode == 0, done.stderr
        assert "6 new ($0.00)" in done.stderr
        snap = settled(srv)
        back = run_cli(srv, src)  # and realtime answers are still there
        assert "6 reuse counts from" in back.stderr
        assert settled(srv)["billed_amount"] == billed
    assert snap["billed_amount"] == billed and snap["ok_answers"] == 12


def test_journal_that_cannot_be_written_stops_the_run(tmp_path: Path) -> None:
    """A full disk mid-run (SQLite's max_page_count stands in for it): the run stops with a
    clear message, and nothing goes out without its write-ahead record."""
    with start_sandbox(config(latency=0.01)) as srv:
        journal = recorder_at(tmp_path / "j.sqlite")
        journal.db.conn.execute("PRAGMA max_page_count = 8")
        bodies = [{"job_titles": [f"Title {i} " + "x" * 200]} for i in range(400)]
        jobs = [Job(fingerprint(b, "realtime"), b) for b in bodies]
        client = GenerectClient(
            ClientConfig(base_url=srv.url, api_key=KEY, backoff_base=0.01),
            throttle=Throttle(4),
        )
        report = Runner(client, journal, "realtime", 4, PRICE).run(jobs)
        client.close()
        assert report.exit_code == EXIT_STOPPED
        assert "could not be written" in (report.stop_reason or "")
        assert "rerun the same command" in (report.stop_reason or "")
        entries = stored(journal)
        snap = settled(srv)
        journal.close()
    recorded = {e.fp for e in entries.values() if e.state in ("sent", "done")}
    answered = {j.fp for j in jobs if j.fp in recorded}
    assert 0 < snap["ok_answers"] < len(jobs)
    assert snap["ok_answers"] <= len(answered)  # every answered request had been recorded
