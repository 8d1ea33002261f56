"""Nothing hangs: --timeout is a total per attempt, and a long Retry-After stops the run.

The sandbox (a real HTTP server on loopback) trickles its answers a byte at a time, from the
body or from the status line on, slower than any total deadline but fast enough that httpx's
per-read timeout never trips; or asks to be left alone for an hour. The real CLI, in a
subprocess, must cut the first at --timeout (booking the attempts as possibly billed: the
server billed them) and stop on the second with exit 3, a workbook and a resume.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from test_faults import KEY, results, run_cli, segments, settled, summary, write_xlsx

from batchcount.net.client import TIER_PATH, ClientConfig, GenerectClient, RowFailed
from batchcount.net.throttle import Throttle
from batchcount.sandbox.server import SandboxConfig, start_sandbox

TWICE = "Possibly billed twice (requests)"


def config(**changes: object) -> SandboxConfig:
    return SandboxConfig(valid_keys=frozenset({KEY}), **changes)  # type: ignore[arg-type]


def test_the_deadline_reaches_httpx_connections() -> None:
    """If a future httpx hid its connection pools, the total deadline would silently stop
    working: this fails first."""
    with start_sandbox(config()) as srv:
        client = GenerectClient(ClientConfig(base_url=srv.url, api_key=KEY), throttle=Throttle(1))
        client.count("realtime", {"job_titles": ["CTO"]})
        client.close()
    assert client.deadline_enforced


def test_a_body_trickled_a_byte_at_a_time_is_cut_at_timeout(tmp_path: Path) -> None:
    # ~60-byte body, a byte every 0.1 s: 6 s in all, while no single read waits 1 s
    src = write_xlsx(tmp_path / "in.xlsx", segments(2))
    with start_sandbox(config(trickle_seconds=0.1)) as srv:
        started = time.monotonic()
        done = run_cli(srv, src, "--timeout", "1", "--max-retries", "0", "--concurrency", "2")
        elapsed = time.monotonic() - started
        snap = settled(srv)
    assert elapsed < 5, elapsed  # about 1 s of waiting plus start-up, not 6 s
    assert done.returncode == 1, done.stderr
    out = results(tmp_path / "in.counted.xlsx")
    assert [r["status"] for r in out] == ["failed", "failed"]
    for row in out:
        assert "did not arrive in full within 1 s" in str(row["message"])
        assert "may have been billed" in str(row["message"])
    # the server billed both answers: both are reported as possibly billed
    assert snap["ok_answers"] == 2 and summary(tmp_path / "in.counted.xlsx")[TWICE] == 2


def test_headers_that_never_finish_are_cut_at_timeout(tmp_path: Path) -> None:
    # the status line and headers (~150 bytes) trickle at a byte every 0.1 s: 15 s
    src = write_xlsx(tmp_path / "in.xlsx", segments(2))
    with start_sandbox(config(trickle_seconds=0.1, trickle_head=True)) as srv:
        started = time.monotonic()
        done = run_cli(srv, src, "--timeout", "1", "--max-retries", "0", "--concurrency", "2")
        elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed
    assert done.returncode == 1, done.stderr
    out = results(tmp_path / "in.counted.xlsx")
    assert [r["status"] for r in out] == ["failed", "failed"]
    assert all("no complete answer within 1 s" in str(r["message"]) for r in out)
    assert summary(tmp_path / "in.counted.xlsx")[TWICE] == 2  # sent, unanswered: may be billed


def test_free_lookups_are_cut_too() -> None:
    """The tier and account lookups obey a total deadline as well."""
    with start_sandbox(config(trickle_seconds=0.1, trickle_head=True, trickle_lookups=True)) as srv:
        client = GenerectClient(ClientConfig(base_url=srv.url, api_key=KEY), throttle=Throttle(1))
        started = time.monotonic()
        with pytest.raises(RowFailed, match="no complete answer within 1 s"):
            client.get_json(TIER_PATH, timeout=1)
        client.close()
    assert time.monotonic() - started < 3


def test_a_long_retry_after_stops_the_run_and_the_same_command_resumes(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(6))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config(rate_429_retry_after=1.0, retry_after_value="3600")) as srv:
        started = time.monotonic()
        first = run_cli(srv, src, "--concurrency", "2")
        elapsed = time.monotonic() - started
        assert elapsed < 10, elapsed  # it did not sleep for an hour
        assert first.returncode == 3, first.stderr
        assert "asked to wait 60 minutes" in first.stderr and "Retry-After: 3600 s" in first.stderr
        assert "--max-retry-after 120 s" in first.stderr
        assert "Rerun the same command later" in first.stderr
        out = results(output)
        assert Counter(r["status"] for r in out) == {"skipped": 6}
        assert all("throttled" in str(r["message"]) for r in out)
        assert srv.stats.snapshot()["ok_answers"] == 0

        srv.config.rate_429_retry_after = 0.0  # an hour later
        second = run_cli(srv, src, "--concurrency", "2")
        assert second.returncode == 0, second.stderr
        snap = settled(srv)
    assert [r["status"] for r in results(output)] == ["ok"] * 6
    assert snap["ok_answers"] == 6 and max(snap["answered_bodies"].values()) == 1


def test_max_retry_after_is_a_documented_flag(tmp_path: Path) -> None:
    """A Retry-After within --max-retry-after is waited for; above it, the run stops."""
    src = write_xlsx(tmp_path / "in.xlsx", segments(1))
    with start_sandbox(config(rate_429_retry_after=1.0, retry_after_value="1")) as srv:
        done = run_cli(srv, src, "--max-retry-after", "0.5", "--max-retries", "1")
        assert done.returncode == 3, done.stderr
        assert "asked to wait 1 s" in done.stderr and "--max-retry-after 0.5 s" in done.stderr
