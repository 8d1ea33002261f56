"""Fault injection: the real CLI, in a subprocess, against a sandbox that misbehaves.

The sandbox answers a share of the count requests with 500, 502, 429 (with and without
`Retry-After`), drops connections, answers some too slowly for `--timeout` (and bills them
anyway, as a live server would), caps parallel requests with 429s, and runs out of funds.
The checks are about money: every row ends `ok`, an answered request is never sent again
unless the output says it may have been billed twice, and the Summary's money equals both the
sum of the `amount_charged` column and what the server billed for the answers it delivered.

The helpers here are shared with test_crash.py and test_soak.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from batchcount.net.client import ClientConfig, GenerectClient, RowFailed
from batchcount.net.throttle import Cancelled, Throttle
from batchcount.sandbox.server import SandboxConfig, SandboxServer, canonical_json, start_sandbox

KEY = "test_faults_0123456789"
PRICE = 0.04
HEADERS = ["Segment", "Job Titles", "Seniorities", "Locations", "Company Headcounts"]
MONEY = "Money spent (sum of receipts)"
TWICE = "Possibly billed twice (requests)"


# --- helpers (shared with test_crash.py and test_soak.py) --------------------------------------


def segments(n: int, start: int = 0) -> list[list[str]]:
    """`n` distinct segments (the titles differ)."""
    return [
        [f"Seg {i}", f"Title {i};Head of {i}", "director;vp", "United States", "51-200"]
        for i in range(start, start + n)
    ]


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    lines = [",".join(HEADERS)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def env_for(server: SandboxServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERECT_")}
    env["GENERECT_API_BASE"] = server.url
    env["GENERECT_API_KEY"] = KEY
    return env


def command(src: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "-q", *options]


def run_cli(
    server: SandboxServer, src: Path, *options: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command(src, *options),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env_for(server),
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def results(path: Path) -> list[dict[str, Any]]:
    wb = load_workbook(path, read_only=True)
    try:
        rows = list(wb["Results"].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def summary(path: Path) -> dict[str, Any]:
    wb = load_workbook(path, read_only=True)
    try:
        rows = list(wb["Summary"].iter_rows(values_only=True))
    finally:
        wb.close()
    return {str(r[0]): (r[1] if len(r) > 1 else None) for r in rows if r and r[0]}


def wait_for(condition: Callable[[], bool], timeout: float = 30, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def settled(server: SandboxServer, timeout: float = 30) -> dict[str, Any]:
    """The server's stats once no count is in progress (slow answers abandoned by the client
    are billed when they are ready, as a live server would)."""
    wait_for(lambda: server.stats.snapshot()["in_flight"] == 0, timeout)
    return server.stats.snapshot()


def check_money(out: list[dict[str, Any]], totals: dict[str, Any], snap: dict[str, Any]) -> int:
    """The money invariants; returns the Summary's possibly-billed-twice count.

    - Summary money = the sum of the `amount_charged` column (receipts, nothing else);
    - the server billed every receipt, plus at most one price per attempt reported as
      possibly billed twice (answers it billed that the client never received);
    - a body answered 200 more than once: only within what is reported as possibly billed,
      and the rows concerned say so.
    """
    receipts = sum(float(r["amount_charged"] or 0) for r in out)
    twice = int(totals[TWICE])
    assert float(totals[MONEY]) == pytest.approx(receipts, abs=1e-6)
    billed = float(snap["billed_amount"])
    assert billed >= receipts - 1e-6
    unreceipted = round((billed - receipts) / PRICE)
    assert billed == pytest.approx(receipts + unreceipted * PRICE, abs=1e-6)
    assert unreceipted <= twice, (billed, receipts, twice)
    answered: dict[str, int] = snap["answered_bodies"]
    again = {body: n - 1 for body, n in answered.items() if n > 1}
    assert sum(again.values()) <= twice
    assert sum(again.values()) <= unreceipted  # an extra 200 the client read has a receipt
    by_body: dict[str, dict[str, Any]] = {}
    for row in out:  # the first row of each segment carries its request (duplicates say so)
        if row["request"] and row["status"] != "invalid":
            by_body.setdefault(canonical_json(json.loads(str(row["request"]))), row)
    for body in again:
        assert "may have been billed" in str(by_body[body]["message"]), by_body[body]
    return twice


# --- the mixed-fault run ------------------------------------------------------------------------


def mixed_faults(seed: int) -> SandboxConfig:
    """About 20% of count requests go wrong, in every way the API can go wrong."""
    return SandboxConfig(
        valid_keys=frozenset({KEY}),
        seed=seed,
        latency=0.02,
        rate_500=0.04,
        rate_502=0.03,
        rate_429=0.03,  # live style: no Retry-After
        retry_after_on_429=False,
        rate_429_retry_after=0.02,  # test-mode style: Retry-After: 1
        drop_rate=0.04,  # connection closed without an answer
        slow_rate=0.04,  # answered (and billed) after the client gave up
        slow_seconds=1.5,
        max_parallel=6,  # the 7th parallel request gets a 429 (no Retry-After)
    )


@pytest.mark.slow
def test_mixed_faults_every_row_ok_money_adds_up(tmp_path: Path) -> None:
    n = 300
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(mixed_faults(seed=11)) as srv:
        runs = []
        for _ in range(2):  # every row ends ok within two runs of the same command
            done = run_cli(srv, src, "--timeout", "1", "--concurrency", "10")
            runs.append(done.returncode)
            if done.returncode == 0:
                break
            assert done.returncode == 1, done.stderr  # finished, some rows failed: rerun
        snap = settled(srv)
    out = results(output)
    totals = summary(output)
    assert runs[-1] == 0, runs
    assert [r["status"] for r in out] == ["ok"] * n
    assert all(isinstance(r["results_count"], int) for r in out)
    assert all(r["amount_charged"] == pytest.approx(PRICE) for r in out)
    twice = check_money(out, totals, snap)
    # every fault really happened
    by_status = snap["by_status"]
    assert by_status.get("500", 0) and by_status.get("502", 0) and by_status.get("429", 0) > 10
    assert snap["dropped"] > 0 and snap["max_in_flight"] <= 6
    assert len(snap["answered_bodies"]) == n
    extra = snap["ok_answers"] - n
    assert 0 < extra <= twice  # slow answers were billed twice, and reported
    print(
        f"\nfaults: runs={runs} requests={snap['count_requests']} by_status={by_status} "
        f"dropped={snap['dropped']} answered_twice={extra} reported_possibly_twice={twice}"
    )


# --- funds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("funds_status", [402, 400])
def test_funds_out_stops_then_resumes_without_double_billing(
    tmp_path: Path, funds_status: int
) -> None:
    n, allowance, concurrency = 60, 25, 8
    config = SandboxConfig(
        valid_keys=frozenset({KEY}),
        funds_after=allowance,
        funds_status=funds_status,
        latency=0.02,
        rate_500=0.05,
        seed=5,
    )
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config) as srv:
        first = run_cli(srv, src, "--concurrency", str(concurrency))
        assert first.returncode == 3, first.stderr
        assert "insufficient funds" in first.stderr
        assert "Rerun the same command" in first.stderr
        snap = settled(srv)
        refused = snap["by_status"].get(str(funds_status), 0)
        assert 1 <= refused <= concurrency  # nothing new went out after the first refusal
        statuses = Counter(r["status"] for r in results(output))
        assert statuses == {"ok": allowance, "skipped": n - allowance}
        assert summary(output)[MONEY] == pytest.approx(allowance * PRICE)

        srv.add_funds(1000)
        second = run_cli(srv, src, "--concurrency", str(concurrency))
        assert second.returncode == 0, second.stderr
        assert f"{allowance} reuse counts from" in second.stderr
        snap = settled(srv)
    out = results(output)
    assert [r["status"] for r in out] == ["ok"] * n
    assert snap["ok_answers"] == n and max(snap["answered_bodies"].values()) == 1
    assert check_money(out, summary(output), snap) == 0
    assert snap["billed_amount"] == pytest.approx(n * PRICE)


def test_max_cost_holds_when_answers_time_out(tmp_path: Path) -> None:
    """Slow answers are billed although the client gave up: the budget books each unanswered
    attempt at full price, so the cap holds for what the server billed too."""
    config = SandboxConfig(
        valid_keys=frozenset({KEY}), latency=0.01, slow_rate=0.3, slow_seconds=0.8, seed=2
    )
    src = write_xlsx(tmp_path / "in.xlsx", segments(60))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config) as srv:
        done = run_cli(srv, src, "--timeout", "0.4", "--concurrency", "6", "--max-cost", "1.00")
        assert done.returncode == 3, done.stderr
        assert "budget" in done.stderr
        snap = settled(srv)
    assert snap["billed_amount"] <= 1.00 + 1e-9
    out = results(output)
    check_money(out, summary(output), snap)
    assert Counter(r["status"] for r in out)["ok"] >= 10


# --- the throttle: a burst of 429s halves once, and capacity comes back -----------------------


def test_a_burst_of_429s_halves_the_window_once() -> None:
    now = [0.0]
    throttle = Throttle(20, clock=lambda: now[0])
    tickets = [throttle.acquire() for _ in range(20)]
    for ticket in tickets:  # the whole window comes back 429 at once
        throttle.release(ok=False, rate_limited=True, ticket=ticket)
    assert throttle.allowed == 10 and throttle.rate_limited == 20
    assert throttle.pause_remaining() == 0  # no Retry-After: nobody is paused
    late = throttle.acquire()  # sent after the halving, but within the calm second
    throttle.release(ok=False, rate_limited=True, ticket=late)
    assert throttle.allowed == 10
    now[0] += 1.0
    later = throttle.acquire()  # a new round, a second later: its 429 is news
    throttle.release(ok=False, rate_limited=True, ticket=later)
    assert throttle.allowed == 5
    successes = 0
    while throttle.allowed < 20:
        throttle.release(ok=True, ticket=throttle.acquire())
        successes += 1
    assert successes < 250  # additive increase: about one slot per window of successes


def test_retry_after_pauses_everyone() -> None:
    now = [100.0]
    throttle = Throttle(4, clock=lambda: now[0])
    throttle.release(ok=False, rate_limited=True, retry_after=1.0, ticket=throttle.acquire())
    assert throttle.pause_remaining() == pytest.approx(1.0)
    now[0] += 1.0
    assert throttle.pause_remaining() == 0


@pytest.mark.slow
def test_parallel_cap_run_does_not_crawl(tmp_path: Path) -> None:
    """--concurrency 20 against a cap of 4 (live-style 429s, no Retry-After): the run settles
    under the cap instead of collapsing to one request at a time."""
    config = SandboxConfig(
        valid_keys=frozenset({KEY}), latency=0.05, max_parallel=4, retry_after_on_429=False
    )
    n = 160
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    with start_sandbox(config) as srv:
        started = time.monotonic()
        done = run_cli(srv, src, "--concurrency", "20", "--max-retries", "8")
        elapsed = time.monotonic() - started
        snap = settled(srv)
    assert done.returncode == 0, done.stderr
    assert snap["ok_answers"] == n and snap["max_in_flight"] == 4
    # ideal: 160 x 0.05 s / 4 = 2 s (+ start-up). At one request at a time it would be 8 s +.
    print(f"\ncap 4, concurrency 20: {elapsed:.1f} s, 429s: {snap['by_status'].get('429', 0)}")
    assert elapsed < 15


# --- which failures may have been billed -------------------------------------------------------

OK = {"data": {"results_count": 7}, "meta": {"amount_charged": PRICE}}


def _client(handler: Callable[[httpx.Request], httpx.Response], retries: int = 3) -> GenerectClient:
    return GenerectClient(
        ClientConfig(
            base_url="https://api.example.test",
            api_key="abc123",
            max_retries=retries,
            backoff_base=0.001,
        ),
        throttle=Throttle(2),
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    )


def _failing_once(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise exc
        return httpx.Response(200, json=OK)

    return handler


@pytest.mark.parametrize(
    ("exc", "maybe_billed"),
    [
        (httpx.ReadTimeout("slow"), 1),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), 1),
        (httpx.ReadError("connection reset"), 1),
        (httpx.ConnectError("refused"), 0),
        (httpx.ConnectTimeout("no route"), 0),
        (httpx.WriteError("broken pipe"), 0),
    ],
)
def test_attempts_that_may_have_been_processed_are_reported(
    exc: Exception, maybe_billed: int
) -> None:
    answer = _client(_failing_once(exc)).count("realtime", {"job_titles": ["CTO"]})
    assert answer.possibly_billed_twice == maybe_billed
    free = _client(_failing_once(exc)).count("database", {"job_titles": ["CTO"]})
    assert free.possibly_billed_twice == 0  # database counts are free


def test_unanswered_attempts_survive_a_failure_or_a_stop() -> None:
    def always_slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    with pytest.raises(RowFailed) as failed:
        _client(always_slow, retries=2).count("realtime", {"job_titles": ["CTO"]})
    assert failed.value.unanswered == 3

    def budget_says_no() -> bool:
        return False

    with pytest.raises(RowFailed, match="max-cost") as capped:
        _client(always_slow).count("realtime", {"job_titles": ["CTO"]}, may_rebill=budget_says_no)
    assert capped.value.unanswered == 1

    sent: list[int] = []

    def slow_once(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        raise httpx.ReadTimeout("slow")

    marks: list[int] = []
    with pytest.raises(Cancelled) as cancelled:  # stopped during the backoff
        _client(slow_once).count(
            "realtime",
            {"job_titles": ["CTO"]},
            stopping=lambda: bool(sent),
            after_attempt=marks.append,
        )
    assert cancelled.value.unanswered == 1 and marks == [1] and len(sent) == 1
