"""--concurrency auto: the controller alone (plain numbers, a fake clock, a simulated server:
no sleeps), then the real runner against the real sandbox with a hidden parallel limit.

The bench (bench/run.py, section 7) runs the full-size case: 1,000 rows, 0.5-3 s each, a
limit of 40. Here the same shapes are scaled down: 0.02-0.1 s, a limit of 8, 200 rows.
"""

from __future__ import annotations

import heapq
import itertools
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from store_helpers import recorder_at

from batchcount.net.adaptive import (
    BACKOFF,
    PROBE,
    START,
    AdaptiveLimit,
    AdaptiveThrottle,
    make_throttle,
)
from batchcount.net.client import ClientConfig, GenerectClient
from batchcount.net.runner import Job, Progress, Runner, RunReport
from batchcount.net.throttle import Throttle
from batchcount.plan.estimate import fingerprint
from batchcount.sandbox.server import SANDBOX_KEY, SandboxConfig, SandboxServer, start_sandbox

# --- the controller alone -----------------------------------------------------------------


class Feed:
    """Drives an AdaptiveLimit as the gate would: tickets in order, each request sent with
    every slot in use unless told otherwise."""

    def __init__(self, control: AdaptiveLimit) -> None:
        self.control = control
        self.issued = 0

    def ok(self, n: int = 1, rtt: float = 1.0, in_flight: int | None = None) -> None:
        for _ in range(n):
            self.issued += 1
            level = self.control.level
            self.control.answered(self.issued, in_flight or level, rtt, level)

    def refuse(self, timed_out: bool = False, level: int | None = None) -> str:
        self.issued += 1
        sent_level = level or self.control.level
        return self.control.refused(self.issued, sent_level, self.issued, timed_out)


def test_slow_start_grows_while_the_slots_are_used() -> None:
    feed = Feed(AdaptiveLimit(50))
    assert feed.control.level == START == 10
    feed.ok(5)
    assert feed.control.level == 20  # +2 per answer: x3 per round trip
    feed.ok(20)
    assert feed.control.level == 50  # never past --max-concurrency


def test_no_growth_without_evidence() -> None:
    feed = Feed(AdaptiveLimit(50))
    feed.ok(30, in_flight=3)  # the tail of a run: 3 in flight under a level of 10
    assert feed.control.level == 10


def test_a_429_above_every_held_level_teaches_the_ceiling() -> None:
    feed = Feed(AdaptiveLimit(50))
    feed.ok(10)  # 10 answers at level 10+: level 10 has held
    assert feed.control.proven == 10
    assert feed.refuse(level=25) == "ceiling"
    assert feed.control.ceiling == 24
    assert feed.control.limit == pytest.approx(24 * BACKOFF)
    assert not feed.control.slow_start


def test_echoes_of_a_level_already_left_do_not_back_off_again() -> None:
    control = AdaptiveLimit(50)
    control.answered(1, 10, 1.0, 10)
    # tickets 2..20 went out at level 10+; the first refusal backs off, the others echo it
    assert control.refused(15, 20, issued=20) == "ceiling"
    limit = control.limit
    for ticket in range(2, 21):
        if ticket != 15:
            assert control.refused(ticket, 20, issued=20) == "echo"
    assert control.limit == limit
    assert control.decreases == 1


def test_holds_at_the_ceiling_then_probes_past_it() -> None:
    feed = Feed(AdaptiveLimit(50))
    feed.ok(10)
    feed.refuse(level=21)  # ceiling 20, level 18
    assert feed.control.ceiling == 20 and feed.control.level == 18
    answers = 0
    while feed.control.level < 20:
        feed.ok()
        answers += 1
    assert answers <= 2 * 20 + 5  # back to the ceiling in about two round trips
    feed.ok(PROBE * 80 // 100)
    assert feed.control.level == 20  # held there ...
    feed.ok(2 * PROBE)
    assert feed.control.level > 20  # ... then probed past it


def test_a_limit_that_went_up_is_found_in_a_few_round_trips() -> None:
    feed = Feed(AdaptiveLimit(50))
    feed.ok(10)
    feed.refuse(level=11)  # ceiling 10
    answers = 0
    while feed.control.level < 50 and answers < 2000:
        feed.ok()  # no 429 any more: the server's limit went up
        answers += 1
    assert feed.control.level == 50
    assert feed.control.ceiling is None
    assert answers < 700  # past the ceiling the step doubles each round trip


def test_a_stray_429_at_a_held_level_is_won_back_quickly() -> None:
    feed = Feed(AdaptiveLimit(50))
    feed.ok(120)  # slow start to 50, then a round trip there: 50 has held
    assert feed.control.level == 50 and feed.control.proven == 50
    level = feed.control.level
    assert feed.refuse(level=level) == "stray"
    assert feed.control.level == int(level * BACKOFF)
    assert feed.control.ceiling is None
    feed.ok(6)
    assert feed.control.level == level  # +1 per answer back to where it was


def against_limit(feed: Feed, limit: int, answers: int) -> list[str]:
    """Each request is refused when sent above `limit`, answered otherwise."""
    verdicts = []
    for _ in range(answers):
        if feed.control.level > limit:
            verdicts.append(feed.refuse())
        else:
            feed.ok()
    return verdicts


def test_a_limit_that_drops_under_a_held_level_is_found() -> None:
    """40 has held, then the server's limit drops to 30: the first refusals there may be
    chance (strays, won back quickly), repeated ones make a ceiling."""
    feed = Feed(AdaptiveLimit(40))
    feed.ok(100)
    assert feed.control.level == 40 and feed.control.proven == 40
    assert feed.refuse() == "stray"  # could be chance ...
    first = against_limit(feed, 30, 300)
    assert "ceiling" in first  # ... soon it is not
    later = against_limit(feed, 30, 1000)
    assert feed.control.ceiling == 30
    assert len(later) <= 1000 * 0.03  # about one probe per 50 answers
    assert 27 <= feed.control.level <= 31


def test_mostly_refused_halves_down_to_one() -> None:
    """A server that answers 429 to everything: down to one request at a time."""
    feed = Feed(AdaptiveLimit(50))
    verdicts = [feed.refuse() for _ in range(40)]
    assert feed.control.level == 1
    assert "overload" in verdicts
    assert verdicts[-1] == "overload"
    feed.ok(200)  # the server recovers: the level comes back
    assert feed.control.level == 50


def test_timeouts_back_off_without_teaching_a_ceiling() -> None:
    feed = Feed(AdaptiveLimit(50))
    feed.ok(10)
    level = feed.control.level
    assert feed.refuse(timed_out=True) == "timeout"
    assert feed.control.limit == pytest.approx(level * BACKOFF)
    assert feed.control.ceiling is None
    assert not feed.control.slow_start


def test_a_latency_rise_holds_growth_and_never_backs_off() -> None:
    feed = Feed(AdaptiveLimit(200))
    feed.ok(60, rtt=1.0)
    grown = feed.control.limit
    feed.ok(20, rtt=5.0)  # half the short window is now 5x slower than the long-term median
    held = feed.control.limit
    assert held <= grown + 2 * 10  # growth stopped once the short median rose ...
    feed.ok(10, rtt=5.0)
    assert feed.control.limit == held  # ... held there, not lowered
    assert feed.control.decreases == 0


def test_one_slow_answer_among_fast_ones_changes_nothing() -> None:
    rng = random.Random(3)
    feed = Feed(AdaptiveLimit(500))
    for i in range(150):
        # 5-60 s with a long tail, and now and then a query that takes minutes
        rtt = 240.0 if i % 37 == 0 else min(60.0, rng.lognormvariate(2.7, 0.6))
        feed.ok(rtt=rtt)
    assert feed.control.slow_start  # the spread of realtime counts is not a signal
    assert feed.control.level == 10 + 2 * 150


def test_never_below_one_nor_above_the_maximum() -> None:
    feed = Feed(AdaptiveLimit(3))
    assert feed.control.level == 3  # the start is capped by the maximum
    feed.ok(100)
    assert feed.control.level == 3
    for _ in range(50):
        feed.refuse()
    assert feed.control.level == 1
    assert feed.control.limit >= 1.0


# --- the gate, with a fake clock -------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_gate_times_answers_with_its_clock_and_counts_slots() -> None:
    clock = FakeClock()
    gate = AdaptiveThrottle(50, clock=clock)
    tickets = [gate.acquire() for _ in range(10)]
    assert gate.in_flight == 10 and gate.level == 10
    with pytest.raises(TimeoutError):  # the 11th waits for a slot
        _acquire_within(gate, 0.3)
    clock.now += 2.5
    for ticket in tickets:
        gate.release(ok=True, ticket=ticket, answered=True)
    assert gate.in_flight == 0
    # the first four went out with fewer than half the slots in use: no evidence for more
    assert gate.level == 10 + 2 * 6
    assert list(gate.control._long) == [2.5] * 10


def _acquire_within(gate: AdaptiveThrottle, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    return gate.acquire(stopping=lambda: _late(deadline))


def _late(deadline: float) -> bool:
    if time.monotonic() > deadline:
        raise TimeoutError
    return False


def test_retry_after_pauses_everyone_only_when_the_server_sheds_load() -> None:
    clock = FakeClock()
    gate = AdaptiveThrottle(50, clock=clock)
    tickets = [gate.acquire() for _ in range(10)]
    for ticket in tickets[:9]:
        gate.release(ok=True, ticket=ticket, answered=True)
    # over the parallel limit: the refused request waits, the others go on
    gate.release(ok=False, rate_limited=True, retry_after=1.0, ticket=tickets[9])
    assert gate.pause_remaining() == 0.0
    # a refusal at a level that has held: the server sheds load, everyone pauses
    gate.control.proven = gate.level
    ticket = gate.acquire()
    gate.release(ok=False, rate_limited=True, retry_after=1.0, ticket=ticket)
    assert gate.pause_remaining() == pytest.approx(1.0)
    clock.now += 1.0
    assert gate.pause_remaining() == 0.0


def test_gate_ignores_what_says_nothing_about_parallelism() -> None:
    gate = AdaptiveThrottle(50, clock=FakeClock())
    for kwargs in ({"ok": False}, {"ok": True}):  # a 5xx or network error; a refused row
        ticket = gate.acquire()
        gate.release(ticket=ticket, **kwargs)  # type: ignore[arg-type]
    assert gate.level == START and gate.control.decreases == 0


def test_make_throttle() -> None:
    auto = make_throttle("auto", 30)
    assert isinstance(auto, AdaptiveThrottle) and auto.capacity == 30 and auto.level == 10
    fixed = make_throttle(7, 30)
    assert isinstance(fixed, Throttle) and fixed.capacity == 7 and fixed.level == 7


# --- a simulated run: 1,000 rows at production-like shapes, in milliseconds ------------------


@dataclass
class SimResult:
    seconds: float
    answered: int
    refused: int
    failed: int
    levels: list[tuple[float, int]] = field(default_factory=list)


def simulate(
    rows: int,
    limit: Callable[[float], int | None],
    latency: tuple[float, float] = (0.5, 3.0),
    maximum: int = 50,
    seed: int = 1,
    retries: int = 5,
    backoff: float = 1.0,
) -> SimResult:
    """The runner, gate and client backoff as events over a server with a parallel limit
    (`limit(t)`, None = none): 429s come back at once, counts after a uniform latency. Each
    send waits 0.5 ms in transit, so answers and refusals cross, as on a real network."""
    rng = random.Random(seed)
    control = AdaptiveLimit(maximum)
    # (at, order, kind, (row, attempt, ticket, requests in flight at send, level, sent at))
    events: list[tuple[float, int, str, tuple[int, int, int, int, int, float]]] = []
    order = iter(range(10**9))
    transit = 0.0005
    now, issued, in_flight, server, workers, taken = 0.0, 0, 0, 0, 0, 0
    waiting: list[tuple[int, int]] = []  # (row, attempt) at the gate
    result = SimResult(0.0, 0, 0, 0)

    def push(at: float, kind: str, data: tuple[int, int, int, int, int, float]) -> None:
        heapq.heappush(events, (at, next(order), kind, data))

    def pump() -> None:
        nonlocal workers, taken, in_flight, issued
        while workers < min(control.level, maximum) and taken < rows:  # the pool grows
            workers += 1
            waiting.append((taken, 1))
            taken += 1
        while waiting and in_flight < control.level:
            row, attempt = waiting.pop(0)
            in_flight += 1
            issued += 1
            push(now + transit, "arrive", (row, attempt, issued, in_flight, control.level, now))

    def next_row() -> None:
        nonlocal taken
        if taken < rows:
            waiting.append((taken, 1))
            taken += 1

    pump()
    while events:
        now, _, kind, data = heapq.heappop(events)
        row, attempt, ticket, sent_with, level, sent_at = data
        if kind == "arrive":
            cap = limit(now)
            if cap is not None and server >= cap:
                push(now + transit, "refused", data)
            else:
                server += 1
                push(now + rng.uniform(*latency), "done", data)
        elif kind == "done":
            server -= 1
            push(now + transit, "answered", data)
        elif kind == "answered":
            in_flight -= 1
            result.answered += 1
            control.answered(ticket, sent_with, now - sent_at, level)
            next_row()
        elif kind == "refused":
            in_flight -= 1
            result.refused += 1
            control.refused(ticket, level, issued)
            if attempt > retries:
                result.failed += 1
                next_row()
            else:
                wait = backoff * 2 ** (attempt - 1) * (0.5 + rng.random() / 2)
                push(now + wait, "retry", (row, attempt + 1, 0, 0, 0, now))
        elif kind == "retry":
            waiting.append((row, attempt))
        pump()
        result.levels.append((now, control.level))
    result.seconds = now
    return result


@pytest.mark.parametrize("limit", [5, 20, 40])
def test_simulated_run_settles_at_the_hidden_limit(limit: int) -> None:
    """The bench's case and its cousins: within 1.25x of ideal, under 5% of requests 429."""
    for seed in (1, 2, 3):
        run = simulate(1000, lambda t: limit, seed=seed)
        ideal = 1000 * 1.75 / limit
        assert run.answered == 1000 and run.failed == 0
        assert run.seconds <= 1.2 * ideal, (seed, run.seconds / ideal)
        assert run.refused <= 0.03 * (run.answered + run.refused), (seed, run.refused)


def test_simulated_run_without_a_limit_reaches_the_maximum() -> None:
    run = simulate(1000, lambda t: None)
    assert max(level for _, level in run.levels) == 50
    assert run.refused == 0
    assert run.seconds <= 1.2 * 1000 * 1.75 / 50


def test_simulated_limit_that_moves_mid_run() -> None:
    """40, then 15 from 20 s, then 40 again from 60 s: the level follows both ways."""
    run = simulate(2500, lambda t: 15 if 20 <= t < 60 else 40)
    during = [level for t, level in run.levels if 35 <= t < 60]
    after = [level for t, level in run.levels if 85 <= t < run.seconds - 5]
    assert 12 <= statistics.median(during) <= 16
    assert 36 <= statistics.median(after) <= 41
    assert run.refused <= 0.03 * (run.answered + run.refused)
    assert run.failed == 0


def test_simulated_server_refusing_everything() -> None:
    run = simulate(100, lambda t: 0, retries=2, backoff=0.01)
    assert run.failed == 100 and run.answered == 0
    assert run.levels[-1][1] == 1


# --- the real runner against the real sandbox (scaled down) ---------------------------------


def jobs(n: int) -> list[Job]:
    out = []
    for i in range(n):
        body = {"job_titles": [f"Title {i}"], "locations": ["United States"]}
        out.append(Job(fingerprint(body, "realtime"), body))
    return out


@dataclass
class Outcome:
    report: RunReport
    gate: AdaptiveThrottle
    stats: dict[str, object]
    seconds: float
    levels: list[tuple[int, int]]  # (rows done, level) at each progress tick

    @property
    def refused_share(self) -> float:
        by_status = self.stats["by_status"]
        assert isinstance(by_status, dict)
        requests = self.stats["count_requests"]
        assert isinstance(requests, int)
        return by_status.get("429", 0) / requests


@pytest.fixture
def run_auto(tmp_path: Path) -> Iterator[Callable[..., Outcome]]:
    servers: list[SandboxServer] = []

    def run(
        rows: int,
        config: SandboxConfig,
        maximum: int = 50,
        on_progress: Callable[[Progress, SandboxServer], None] = lambda p, s: None,
        **client: object,
    ) -> Outcome:
        server = start_sandbox(config)
        servers.append(server)
        gate = AdaptiveThrottle(maximum)
        settings: dict[str, object] = {"backoff_base": 0.05, "max_retries": 8, "timeout": 5.0}
        settings.update(client)
        http = GenerectClient(
            ClientConfig(base_url=server.url, api_key=SANDBOX_KEY, **settings),  # type: ignore[arg-type]
            throttle=gate,
        )
        levels: list[tuple[int, int]] = []

        def progress(p: Progress) -> None:
            levels.append((p.done, p.level))
            on_progress(p, server)

        journal = recorder_at(tmp_path / f"j{len(servers)}.sqlite")
        runner = Runner(http, journal, "realtime", gate.capacity, 0.04, on_progress=progress)
        started = time.monotonic()
        try:
            report = runner.run(jobs(rows))
        finally:
            http.close()
            journal.close()
        return Outcome(report, gate, server.snapshot(), time.monotonic() - started, levels)

    yield run
    for server in servers:
        server.stop()


def statuses(outcome: Outcome) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in outcome.report.outcomes.values():
        counts[item.status] = counts.get(item.status, 0) + 1
    return counts


@pytest.mark.parametrize("retry_after", [False, True], ids=["live-429", "retry-after-429"])
def test_settles_near_the_sandbox_limit(
    run_auto: Callable[..., Outcome], retry_after: bool
) -> None:
    config = SandboxConfig(
        latency=0.02, latency_max=0.1, max_parallel=8, retry_after_on_429=retry_after
    )
    outcome = run_auto(200, config)
    assert statuses(outcome) == {"ok": 200}
    assert outcome.stats["max_in_flight"] == 8  # it found the limit ...
    assert outcome.refused_share < 0.08, outcome.stats["by_status"]  # ... without hammering
    later = [level for done, level in outcome.levels if done >= 100]
    assert 6 <= statistics.median(later) <= 10, later
    print(f"\nlimit 8: {outcome.seconds:.2f} s (ideal 1.50 s), {outcome.stats['by_status']}")


def test_reaches_max_concurrency_without_a_limit(run_auto: Callable[..., Outcome]) -> None:
    outcome = run_auto(150, SandboxConfig(latency=0.02, latency_max=0.1), maximum=16)
    assert statuses(outcome) == {"ok": 150}
    assert outcome.report.peak_level == 16
    assert outcome.stats["max_in_flight"] == 16
    assert outcome.refused_share == 0.0


def test_follows_a_limit_that_changes_mid_run(run_auto: Callable[..., Outcome]) -> None:
    def move(progress: Progress, server: SandboxServer) -> None:
        if progress.done >= 220:
            server.config.max_parallel = 12
        elif progress.done >= 120:
            server.config.max_parallel = 3

    config = SandboxConfig(latency=0.02, latency_max=0.1, max_parallel=8)
    outcome = run_auto(360, config, on_progress=move)
    assert statuses(outcome) == {"ok": 360}
    low = [level for done, level in outcome.levels if 150 <= done < 220]
    high = [level for done, level in outcome.levels if done >= 300]
    assert statistics.median(low) <= 4, low  # down to the new limit ...
    assert max(high) >= 10, high  # ... and up again when it rises
    assert outcome.refused_share < 0.1, outcome.stats["by_status"]


def test_a_server_refusing_everything(run_auto: Callable[..., Outcome]) -> None:
    """Backs off to one request at a time; each row fails once its retries run out (the
    existing stop rules), and the run still finishes."""
    config = SandboxConfig(max_parallel=0, retry_after_on_429=False)
    outcome = run_auto(20, config, max_retries=2, backoff_base=0.01)
    assert statuses(outcome) == {"failed": 20}
    assert outcome.gate.level == 1
    assert outcome.stats["count_requests"] == 20 * 3
    assert outcome.report.exit_code is None
    assert all("429" in o.message for o in outcome.report.outcomes.values())


def test_timeouts_back_off(run_auto: Callable[..., Outcome]) -> None:
    config = SandboxConfig(latency=0.01, slow_rate=0.25, slow_seconds=1.0, seed=5)
    outcome = run_auto(60, config, timeout=0.3)
    assert statuses(outcome) == {"ok": 60}
    assert outcome.gate.timed_out > 0
    assert outcome.gate.control.decreases > 0
    assert not outcome.gate.control.slow_start
    levels = [level for _, level in outcome.levels]
    assert any(b < a for a, b in itertools.pairwise(levels))  # it backed off


# --- the command line ------------------------------------------------------------------------

KEY = "test_adaptive_0123456789"


def write_csv(path: Path, rows: int) -> Path:
    lines = ["Job Titles,Locations"] + [f"Title {i},United States" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(server: SandboxServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERECT_")}
    env.update(GENERECT_API_BASE=server.url, GENERECT_API_KEY=KEY)
    return subprocess.run(
        [sys.executable, "-m", "batchcount", "run", *args, "--yes"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_cli_runs_auto_by_default_and_shows_the_level(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", 60)
    config = SandboxConfig(latency=0.01, latency_max=0.05, max_parallel=6)
    with start_sandbox(config) as server:
        done = cli(server, str(src), "--max-concurrency", "20")
        assert done.returncode == 0, done.stderr
        assert 1 <= server.stats.max_in_flight <= 6
        # --fresh: the count store would otherwise reuse the first run's 60 counts
        fixed = cli(
            server, str(src), "-o", str(tmp_path / "fixed.xlsx"), "--concurrency", "3", "--fresh"
        )
        assert fixed.returncode == 0, fixed.stderr
    assert "counted 60/60" in done.stderr and "c=" in done.stderr
    assert "c=3," in fixed.stderr  # a number keeps today's fixed window


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--concurrency", "lots"], "'lots' is not a number of requests"),
        (["--concurrency", "0"], "up to 500 or auto"),
        (["--max-concurrency", "0"], "'0' is not a number of requests"),
        (["--concurrency", "auto", "--max-concurrency", "501"], "'501' is not a number"),
    ],
)
def test_cli_rejects_bad_concurrency(tmp_path: Path, args: list[str], needle: str) -> None:
    src = write_csv(tmp_path / "in.csv", 2)
    with start_sandbox(SandboxConfig()) as server:
        done = cli(server, str(src), *args)
        assert server.stats.requests == 0  # nothing sent
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


# --- the sandbox's knobs for all this ---------------------------------------------------------


def test_sandbox_latency_spread() -> None:
    with start_sandbox(SandboxConfig(latency=0.05, latency_max=0.2)) as server:
        took = []
        with httpx.Client(base_url=server.url) as client:
            for i in range(6):
                started = time.monotonic()
                response = client.post(
                    "/api/v1/search/realtime/leads/count/",
                    json={"job_titles": [f"t{i}"]},
                    headers={"Authorization": f"Token {SANDBOX_KEY}"},
                )
                took.append(time.monotonic() - started)
                assert response.status_code == 200
    assert min(took) >= 0.05
    assert max(took) - min(took) >= 0.02  # drawn per request, not one fixed delay


def test_sandbox_command_hidden_limit_and_live_style_429s() -> None:
    args = [sys.executable, "-m", "batchcount", "sandbox", "--port", "0", "--latency", "0.3"]
    args += ["--latency-max", "0.4", "--max-parallel", "1", "--no-retry-after"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split("listening on ", 1)[1].split()[0]
        codes: list[tuple[int, str | None]] = []

        def post(i: int) -> None:
            with httpx.Client(base_url=url, timeout=10) as client:
                response = client.post(
                    "/api/v1/search/realtime/leads/count/",
                    json={"job_titles": [f"t{i}"]},
                    headers={"Authorization": "Token test_cli"},
                )
                codes.append((response.status_code, response.headers.get("Retry-After")))

        threads = [threading.Thread(target=post, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        proc.terminate()
        proc.wait(10)
    assert sorted(codes) == [(200, None), (429, None), (429, None)]


def test_sandbox_command_refuses_a_backwards_latency_range() -> None:
    args = [sys.executable, "-m", "batchcount", "sandbox", "--port", "0", "--latency", "2"]
    done = subprocess.run([*args, "--latency-max", "1"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "--latency-max" in done.stderr and "Traceback" not in done.stderr
