"""`run --canary N`: the real CLI against the loopback sandbox, the prompts answered on stdin.

The first N billable requests are counted and shown, then the run asks again before the rest;
declining writes the workbook with the rest skipped and exits 3, and a rerun pays only for the
rest; --yes goes on unless a canary request failed; --max-cost caps both phases together.
"""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_compare import results
from test_e2e import KEY, _env, cli, summary, write_xlsx

from batchcount.api.canary import DECLINED_MESSAGE
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox

HEADERS = ["Segment", "Job Titles", "Locations"]
SEGMENTS = [
    ["Berlin CTOs", "CTO", "Germany"],
    ["Paris CFOs", "CFO", "France"],
    ["Madrid CMOs", "CMO", "Spain"],
    ["Rome COOs", "COO", "Italy"],
    ["Oslo CIOs", "CIO", "Norway"],
    ["Berlin CTOs again", "cto", "germany"],  # a duplicate: sent once
    ["Lisbon CEOs", "CEO", "Portugal"],
]
BILLABLE = 6


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with start_sandbox(SandboxConfig(valid_keys=frozenset({KEY}))) as srv:
        yield srv


def stats(server: SandboxServer) -> dict[str, Any]:
    return server.stats.snapshot()


def statuses(path: Path) -> list[str]:
    return [str(r["status"]) for r in results(path)]


def test_declining_after_the_canary_then_rerun_pays_only_the_rest(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", SEGMENTS, HEADERS)
    out = tmp_path / "in.counted.xlsx"
    done = cli("run", str(src), "--canary", "2", server=server, stdin="y\nn\n")
    assert done.returncode == 3, done.stderr
    err = done.stderr
    assert "Canary: the first 2 requests in input order ($0.08) are counted first;" in err
    assert "asked again before the other 4 ($0.16)." in err
    assert "Canary: 2 of 2 requests answered, spent $0.08" in err
    rows = results(out)
    table = err[err.index("Canary: 2 of 2") :]
    for row in rows[:2]:  # label, filters summary and count of each canary row
        line = next(x for x in table.splitlines() if str(row["Segment"]) in x)
        assert f"job_titles: {row['Job Titles']}; locations: {row['Locations']}" in line
        assert line.rstrip().endswith(f"{row['results_count']:,}")
    assert "The rest:" in err and "Billable requests: 4 (realtime mode)" in err
    assert "Estimated cost: $0.16" in err
    assert "Count the other 4 requests? [y/N] n" in err
    assert "Stopped early: you stopped after the canary" in err
    # row 7 is the same segment as row 2, counted in the canary
    assert statuses(out) == ["ok", "ok", "skipped", "skipped", "skipped", "ok", "skipped"]
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert all(DECLINED_MESSAGE in str(r["message"]) for r in skipped)
    assert "stopped early: you stopped after the canary" in str(summary(out)["Outcome"])
    assert stats(server)["count_requests"] == 2

    again = cli("run", str(src), "--canary", "2", server=server, stdin="y\ny\n")
    assert again.returncode == 0, again.stderr
    assert "2 reuse counts from" in again.stderr and "4 new ($0.16)" in again.stderr
    assert "Billable requests: 4 (realtime mode)" in again.stderr
    assert statuses(out) == ["ok"] * len(SEGMENTS)
    snap = stats(server)
    assert snap["count_requests"] == BILLABLE  # the canary was not paid for again
    assert set(snap["answered_bodies"].values()) == {1}


def test_ctrl_c_at_the_second_question_still_writes_the_workbook(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", SEGMENTS, HEADERS)
    log = tmp_path / "stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "batchcount", "run", str(src), "--canary", "2"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
            env=_env(server, KEY),
        )
        assert proc.stdin is not None
        proc.stdin.write("y\n")  # the first question; the second is never answered
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while "Count the other 4 requests?" not in log.read_text():
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    text = log.read_text()
    assert (
        "Traceback" not in text and "Stopped early: interrupted (Ctrl-C) after the canary" in text
    )
    rows = results(tmp_path / "in.counted.xlsx")
    assert [r["status"] for r in rows][:3] == ["ok", "ok", "skipped"]
    assert "not sent: interrupted after the canary; rerun the same command" in str(
        rows[2]["message"]
    )
    assert stats(server)["count_requests"] == 2


def test_canary_with_yes_prints_the_table_and_goes_on(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", SEGMENTS, HEADERS)
    done = cli("run", str(src), "--canary", "3", "--yes", server=server)
    assert done.returncode == 0, done.stderr
    assert "the other 3 follow unless one of them fails (--yes)" in done.stderr
    assert "Canary: 3 of 3 requests answered" in done.stderr
    assert "Madrid CMOs" in done.stderr and "[y/N]" not in done.stderr
    assert statuses(tmp_path / "in.counted.xlsx") == ["ok"] * len(SEGMENTS)
    assert stats(server)["count_requests"] == BILLABLE


def failing_csv(path: Path) -> Path:
    """Row 3's title makes a body over the API's 1 MB limit: the API refuses it (413)."""
    rows = [["Segment", "Job Titles", "Locations"], *SEGMENTS[:5]]
    rows[2] = ["Too long", "x" * 1_100_000, "France"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_failed_canary_request_stops_a_yes_run(server: SandboxServer, tmp_path: Path) -> None:
    src = failing_csv(tmp_path / "in.csv")
    done = cli("run", str(src), "--canary", "2", "--yes", server=server)
    assert done.returncode == 3, done.stderr
    assert "Warning: 1 canary request failed (row 3)" in done.stderr
    assert "Stopping: a canary request failed (row 3: " in done.stderr
    assert "The other 3 requests were not sent." in done.stderr
    rows = results(tmp_path / "in.counted.xlsx")
    assert [r["status"] for r in rows] == ["ok", "failed", "skipped", "skipped", "skipped"]
    assert "(413)" in str(rows[1]["message"])
    assert all(
        "not sent: a canary request failed (row 3); fix it and rerun" in str(r["message"])
        for r in rows[2:]
    )
    assert stats(server)["ok_answers"] == 1  # nothing after the canary went out


def test_a_failed_canary_request_is_shown_before_the_question(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = failing_csv(tmp_path / "in.csv")
    done = cli("run", str(src), "--canary", "2", server=server, stdin="y\ny\n")
    assert done.returncode == 1, done.stderr  # finished, one row failed
    err = done.stderr
    assert err.index("Warning: 1 canary request failed") < err.index("Count the other 3")
    assert "failed: the API refused this segment (413)" in err  # in the table
    assert statuses(tmp_path / "in.counted.xlsx") == ["ok", "failed", "ok", "ok", "ok"]


@pytest.mark.parametrize("yes", [True, False], ids=["yes", "asked"])
def test_max_cost_caps_canary_and_rest_together(
    yes: bool, server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", SEGMENTS, HEADERS)
    flags = ["--yes"] if yes else []
    done = cli("run", str(src), "--canary", "2", "--max-cost", "0.10", *flags, server=server,
               stdin="" if yes else "y\ny\n")  # fmt: skip
    assert done.returncode == 3, done.stderr
    # $0.08 in the canary leaves room for no third request: the cap is the run's, not a phase's
    assert "budget reached: --max-cost $0.10 would be exceeded by the next request" in done.stderr
    assert stats(server)["count_requests"] == 2
    assert statuses(tmp_path / "in.counted.xlsx")[:3] == ["ok", "ok", "skipped"]


def test_max_cost_reached_inside_the_canary_asks_nothing_more(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", SEGMENTS, HEADERS)
    done = cli("run", str(src), "--canary", "3", "--max-cost", "0.05", server=server,
               stdin="y\ny\n")  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "Count the other" not in done.stderr and "budget reached" in done.stderr
    assert stats(server)["count_requests"] == 1


def test_a_canary_as_large_as_the_run_is_a_normal_run(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", SEGMENTS, HEADERS)
    done = cli("run", str(src), "--canary", "6", server=server, stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert "--canary 6: there are only 6 requests to send, so this is a normal run" in done.stderr
    assert "Canary:" not in done.stderr and done.stderr.count("[y/N]") == 1
    assert stats(server)["count_requests"] == BILLABLE


def test_canary_zero_is_a_usage_error(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", SEGMENTS, HEADERS)
    done = cli("run", str(src), "--sandbox", "--canary", "0")
    assert done.returncode == 2 and "--canary" in done.stderr
    assert "Traceback" not in done.stderr


def test_python_api_asks_twice_and_stops_when_told(server: SandboxServer, tmp_path: Path) -> None:
    import batchcount

    segments = [dict(zip(HEADERS, row, strict=True)) for row in SEGMENTS]
    options: dict[str, Any] = {
        "api_key": KEY,
        "base_url": server.url,
        "progress": False,
        "store": tmp_path / "answers.sqlite",
        "canary": 2,
    }
    quotes: list[Any] = []

    def confirm(quote: Any) -> bool:
        quotes.append(quote)
        return len(quotes) == 1  # yes to the run, no after the canary

    with pytest.raises(batchcount.RunStopped) as stopped:
        batchcount.count(segments, confirm=confirm, **options)
    first, second = quotes
    assert first.canary == 2 and first.billable == BILLABLE and not first.canary_results
    assert second.billable == BILLABLE - 2 and second.cost == pytest.approx(0.16)
    assert [r.label for r in second.canary_results] == ["Berlin CTOs", "Paris CFOs"]
    assert all(r.status == "ok" and r.results_count for r in second.canary_results)
    assert str(second).startswith("Canary: 2 of 2 requests answered")
    assert stopped.value.exit_code == 3 and stopped.value.reason == "you stopped after the canary"
    table = stopped.value.results
    assert table["status"].to_list()[:3] == ["ok", "ok", "skipped"]
    assert stats(server)["count_requests"] == 2

    frame = batchcount.count(segments, yes=True, **options)
    assert frame["status"].to_list() == ["ok"] * len(SEGMENTS)
    assert stats(server)["count_requests"] == BILLABLE


def test_table_names_zero_counts_and_failures() -> None:
    from batchcount.output.canary_table import CanaryRow, table_lines

    rows = [
        CanaryRow(2, "Berlin CTOs", "job_titles: CTO", "ok", 1234),
        CanaryRow(5, "Typo row", "company_industries: Fintec", "ok", 0),
        CanaryRow(9, "row 9", "job_titles: x", "failed", None, "the API refused (400)"),
    ]
    lines = table_lines(rows, 0.08, test_mode=False)
    assert lines[0] == "Canary: 2 of 3 requests answered, spent $0.08"
    assert lines[1].split() == ["row", "label", "filters", "count"]
    assert lines[2].split()[-1] == "1,234" and lines[3].split()[-1] == "0"
    assert lines[4].endswith("failed: the API refused (400)")
    assert lines[5].startswith("Warning: 1 canary request failed (row 9)")
    assert lines[6].startswith("Warning: 1 canary count is 0 (row 5)")
