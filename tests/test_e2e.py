"""End to end: the real CLI, in a subprocess, against the real sandbox over loopback."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox

KEY = "test_e2e_0123456789abcdef"
LIVE_KEY = "c0ffee0123456789deadbeef"  # a bare-hex "live" key the sandbox is told to accept
ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["Segment", "Job Titles", "Seniorities", "Locations", "Company Headcounts", "Notes"]


def segments(n: int) -> list[list[str]]:
    return [
        [f"Seg {i}", f"Title {i};Head of {i}", "director;vp", "United States", "51-200", ""]
        for i in range(n)
    ]


def write_xlsx(path: Path, rows: list[list[str]], headers: list[str] = HEADERS) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    wb.save(path)
    return path


def cli(
    *args: str,
    server: SandboxServer | None = None,
    key: str = KEY,
    stdin: str = "",
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "batchcount", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(server, key),
    )


def _env(server: SandboxServer | None, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERECT_")}
    if server is not None:
        env["GENERECT_API_BASE"] = server.url
        env["GENERECT_API_KEY"] = key
    return env


def results(path: Path) -> list[dict[str, object]]:
    ws = load_workbook(path, read_only=True)["Results"]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def summary(path: Path) -> dict[str, object]:
    ws = load_workbook(path, read_only=True)["Summary"]
    return {
        str(r[0]): (r[1] if len(r) > 1 else None)
        for r in ws.iter_rows(values_only=True)
        if r and r[0]
    }


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with start_sandbox(SandboxConfig(valid_keys=frozenset({KEY, LIVE_KEY}))) as srv:
        yield srv


def test_quick_start_sandbox_on_the_sample(tmp_path: Path) -> None:
    sample = tmp_path / "segments.xlsx"
    sample.write_bytes((ROOT / "samples" / "segments.xlsx").read_bytes())
    done = cli("run", str(sample), "--sandbox", stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert "Proceed? [y/N]" in done.stderr and "TEST MODE" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    out = results(tmp_path / "segments.counted.xlsx")
    assert [r["status"] for r in out] == ["ok"] * 14
    assert all(isinstance(r["results_count"], int) for r in out)
    assert sum(1 for r in out if r["amount_charged"] == 0) == 1  # the duplicate row
    assert "same segment as row 14" in str(out[13]["message"])
    assert all("test mode" in str(r["message"]) for r in out)


def test_happy_path_duplicates_paid_once(server: SandboxServer, tmp_path: Path) -> None:
    rows = segments(5)
    rows.append(["dup", "head of 1; title 1", "VP;director", "united states", "51-200", ""])
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    done = cli("run", str(src), "--yes", server=server)
    assert done.returncode == 0, done.stderr
    snap = server.stats.snapshot()
    assert snap["ok_answers"] == 5 and snap["count_requests"] == 5
    out = results(tmp_path / "in.counted.xlsx")
    assert out[5]["results_count"] == out[1]["results_count"]
    assert out[5]["amount_charged"] == 0 and "row 3" in str(out[5]["message"])
    total = summary(tmp_path / "in.counted.xlsx")
    assert json.loads(str(out[0]["request"]))["job_titles"] == ["Title 0", "Head of 0"]
    assert total["Money spent (sum of receipts)"] == pytest.approx(snap["billed_amount"])


def test_declined_prompt_spends_nothing(server: SandboxServer, tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    for answer in ("n\n", "maybe\n", ""):
        done = cli("run", str(src), server=server, stdin=answer)
        assert done.returncode == 3, done.stderr
        assert "Nothing was sent" in done.stderr
    assert server.stats.snapshot()["count_requests"] == 0
    assert not (tmp_path / "in.counted.xlsx").exists()


def test_rejected_key_stops_with_exit_3_and_never_shows_the_key(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    done = cli("run", str(src), "--yes", server=server, key="test_wrong_key_zzz")
    assert done.returncode == 3
    assert "rejected" in done.stderr
    assert "test_wrong_key_zzz" not in done.stderr + done.stdout


@pytest.mark.parametrize("funds_status", [402, 400])
def test_funds_out_then_resume_after_top_up(tmp_path: Path, funds_status: int) -> None:
    config = SandboxConfig(funds_after=4, funds_status=funds_status, valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        src = write_xlsx(tmp_path / "in.xlsx", segments(10))
        first = cli("run", str(src), "--yes", "--concurrency", "1", server=srv)
        assert first.returncode == 3, first.stderr
        assert "insufficient funds" in first.stderr and "Rerun the same command" in first.stderr
        out = results(tmp_path / "in.counted.xlsx")
        assert [r["status"] for r in out].count("ok") == 4
        assert [r["status"] for r in out].count("skipped") == 6
        srv.add_funds(100)
        second = cli("run", str(src), "--yes", server=srv)
        assert second.returncode == 0, second.stderr
        assert "4 reuse counts from" in second.stderr
        out = results(tmp_path / "in.counted.xlsx")
        assert {r["status"] for r in out} == {"ok"}
        # where each count came from, and when (an Excel date-time)
        assert [r["source"] for r in out] == ["reused"] * 4 + ["new"] * 6
        assert [r["source_row"] for r in out] == list(range(2, 12))
        assert all(isinstance(r["counted_at"], datetime) for r in out)
        snap = srv.stats.snapshot()
        assert max(snap["answered_bodies"].values()) == 1  # nothing paid twice
        assert snap["ok_answers"] == 10


def test_transient_faults_are_retried(tmp_path: Path) -> None:
    config = SandboxConfig(
        rate_429=0.15,
        rate_500=0.1,
        rate_502=0.1,
        seed=3,
        retry_after_on_429=False,
        valid_keys=frozenset({KEY}),
    )
    with start_sandbox(config) as srv:
        src = write_xlsx(tmp_path / "in.xlsx", segments(30))
        done = cli("run", str(src), "--yes", "--max-retries", "10", server=srv, timeout=120)
        assert done.returncode == 0, done.stderr
        snap = srv.stats.snapshot()
        assert snap["by_status"].get("429", 0) + snap["by_status"].get("500", 0) > 0
        assert snap["ok_answers"] == 30 and max(snap["answered_bodies"].values()) == 1


def test_max_cost_is_held_with_concurrency(server: SandboxServer, tmp_path: Path) -> None:
    server.config.latency = 0.05
    src = write_xlsx(tmp_path / "in.xlsx", segments(40))
    done = cli("run", str(src), "--yes", "--concurrency", "10", "--max-cost", "0.30", server=server)
    assert done.returncode == 3, done.stderr
    assert "budget" in done.stderr
    assert server.stats.snapshot()["billed_amount"] <= 0.30 + 1e-9
    statuses = [r["status"] for r in results(tmp_path / "in.counted.xlsx")]
    assert statuses.count("ok") == 7 and statuses.count("skipped") == 33


def test_ctrl_c_saves_and_resumes(tmp_path: Path) -> None:
    config = SandboxConfig(latency=0.1, valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        src = write_xlsx(tmp_path / "in.xlsx", segments(60))
        proc = subprocess.Popen(
            [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "--concurrency", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(srv, KEY),
        )
        _wait_for(lambda: srv.stats.snapshot()["ok_answers"] >= 6)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        statuses = [r["status"] for r in results(tmp_path / "in.counted.xlsx")]
        assert 0 < statuses.count("ok") < 60 and statuses.count("skipped") > 0
        again = cli("run", str(src), "--yes", server=srv)
        assert again.returncode == 0, again.stderr
        assert {r["status"] for r in results(tmp_path / "in.counted.xlsx")} == {"ok"}
        assert max(srv.stats.snapshot()["answered_bodies"].values()) == 1


def test_kill_9_then_resume_resends_nothing_answered(tmp_path: Path) -> None:
    config = SandboxConfig(latency=0.05, valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        src = write_xlsx(tmp_path / "in.xlsx", segments(80))
        proc = subprocess.Popen(
            [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "--concurrency", "4"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(srv, KEY),
        )
        _wait_for(lambda: srv.stats.snapshot()["ok_answers"] >= 20)
        proc.kill()
        proc.wait(timeout=10)
        again = cli("run", str(src), "--yes", server=srv)
        assert again.returncode == 0, again.stderr
        out = results(tmp_path / "in.counted.xlsx")
        assert [r["status"] for r in out] == ["ok"] * 80
        answered = srv.stats.snapshot()["answered_bodies"]
        twice = [b for b, n in answered.items() if n > 1]
        assert len(answered) == 80
        assert len(twice) <= 4  # at most what was in flight when it died
    with start_sandbox(SandboxConfig(valid_keys=frozenset({KEY}))) as fresh:
        clean = write_xlsx(tmp_path / "clean.xlsx", segments(80))
        assert cli("run", str(clean), "--yes", server=fresh).returncode == 0
        reference = results(tmp_path / "clean.counted.xlsx")
    assert [r["results_count"] for r in out] == [r["results_count"] for r in reference]


def test_formula_text_stays_text_and_key_is_nowhere(server: SandboxServer, tmp_path: Path) -> None:
    rows = segments(2)
    rows[0][5] = '=HYPERLINK("http://evil.example","click")'
    rows[1][5] = "@SUM(1+1)"
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    done = cli("run", str(src), "--yes", server=server, key=LIVE_KEY)
    assert done.returncode == 0, done.stderr
    xlsx = tmp_path / "in.counted.xlsx"
    out = results(xlsx)
    assert out[0]["Notes"] == '=HYPERLINK("http://evil.example","click")'
    with zipfile.ZipFile(xlsx) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()
    done_csv = cli(
        "run", str(src), "--yes", "-o", str(tmp_path / "out.csv"), server=server, key=LIVE_KEY
    )
    assert done_csv.returncode == 0, done_csv.stderr
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert table[0]["Notes"].startswith("'=HYPERLINK")
    assert table[1]["Notes"] == "'@SUM(1+1)"
    assert table[0]["results_count"].isdigit()
    for path in tmp_path.iterdir():
        assert LIVE_KEY.encode() not in path.read_bytes(), path
    assert LIVE_KEY not in done.stdout + done.stderr + done_csv.stdout + done_csv.stderr


def test_test_mode_flagged_everywhere(server: SandboxServer, tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(2))
    done = cli("run", str(src), "--yes", server=server)
    assert "TEST MODE" in done.stderr
    xlsx = tmp_path / "in.counted.xlsx"
    assert all("test mode" in str(r["message"]) for r in results(xlsx))
    assert any("Test mode" in str(k) or "Test mode" in str(v) for k, v in summary(xlsx).items())


def test_invalid_rows_are_never_sent(server: SandboxServer, tmp_path: Path) -> None:
    rows = segments(2)
    rows.append(["bad", "CFO", "c_suite", "United States", "50-200", ""])
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    done = cli("run", str(src), "--yes", server=server)
    assert done.returncode == 1
    assert server.stats.snapshot()["count_requests"] == 2
    out = results(tmp_path / "in.counted.xlsx")
    assert out[2]["status"] == "invalid" and "51-200" in str(out[2]["message"])


def test_bad_input_exit_2_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    done = cli("run", str(bad), "--sandbox", "--yes")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    missing = cli("run", str(tmp_path / "nope.csv"), "--sandbox", "--yes")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    nokey = cli("run", str(ROOT / "samples" / "segments.csv"), "--yes")
    assert nokey.returncode == 2 and "GENERECT_API_KEY" in nokey.stderr


def test_plain_http_base_url_refused(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(1))
    env = _env(None, KEY) | {
        "GENERECT_API_BASE": "http://api.example.com",
        "GENERECT_API_KEY": LIVE_KEY,
    }
    done = subprocess.run(
        [sys.executable, "-m", "batchcount", "run", str(src), "--yes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2 and "clear text" in done.stderr
    assert LIVE_KEY not in done.stderr


def test_run_help_documents_options_and_env() -> None:
    done = cli("run", "--help")
    for text in (
        "--max-cost",
        "--concurrency",
        "--fresh",
        "GENERECT_API_KEY",
        "GENERECT_API_BASE",
        "default: 10",
    ):
        assert text in done.stdout, text


def _wait_for(condition: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_second_run_on_the_same_output_is_refused(tmp_path: Path) -> None:
    # the first run lasts about 5 s: longer than the second one takes to start on a busy machine
    config = SandboxConfig(latency=0.5, valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        src = write_xlsx(tmp_path / "in.xlsx", segments(20))
        first = subprocess.Popen(
            [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "--concurrency", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(srv, KEY),
        )
        _wait_for(lambda: srv.stats.snapshot()["count_requests"] >= 2)
        sent_before = srv.stats.snapshot()["count_requests"]
        second = cli("run", str(src), "--yes", server=srv)
        assert second.returncode == 2
        assert "another batchcount run is using" in second.stderr
        _, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        # the refused run sent nothing: every request came from the first one
        assert srv.stats.snapshot()["ok_answers"] == 20
        assert sent_before <= 20


def test_fictional_sandbox_answers_are_never_reused_by_a_live_run(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    trial = cli("run", str(src), "--sandbox", "--yes")
    assert trial.returncode == 0, trial.stderr
    live = cli("run", str(src), "--yes", server=server, key=LIVE_KEY)
    assert live.returncode == 0, live.stderr
    assert "came from test mode (fictional counts)" in live.stderr
    assert server.stats.snapshot()["ok_answers"] == 3  # all counted again, for real


def test_a_run_that_sends_nothing_leaves_no_journal(server: SandboxServer, tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(2))
    done = cli("run", str(src), server=server, stdin="n\n")
    assert done.returncode == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]
