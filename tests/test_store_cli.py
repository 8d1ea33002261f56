"""Remembered counts end to end: the real CLI in subprocesses, the real sandbox on loopback,
one count store per test (conftest sets BATCHCOUNT_STORE)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_faults import (
    KEY,
    TWICE,
    env_for,
    results,
    segments,
    settled,
    summary,
    write_xlsx,
)

from batchcount.plan.estimate import money
from batchcount.plan.prepare import InputOptions, prepare
from batchcount.sandbox.server import NOT_IN_DATABASE, SandboxConfig, SandboxServer, start_sandbox
from batchcount.store.journal import Journal

LIVE_KEY = "c0ffee0123456789deadbeef"  # bare hex: a live key the sandbox is told to accept


@pytest.fixture
def server() -> Any:
    with start_sandbox(SandboxConfig(valid_keys=frozenset({KEY, LIVE_KEY}))) as srv:
        yield srv


def bc(
    server: SandboxServer | None, *args: str, stdin: str = "", key: str = KEY
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERECT_")}
    if server is not None:
        env = env_for(server) | {"GENERECT_API_KEY": key}
    done = subprocess.run(
        [sys.executable, "-m", "batchcount", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def store_path() -> Path:
    return Path(os.environ["BATCHCOUNT_STORE"])


def line(text: str, pattern: str) -> str:
    found = [x for x in text.splitlines() if re.search(pattern, x)]
    assert found, f"no line matching {pattern!r} in:\n{text}"
    return found[0].strip()


def age_counts(days: float) -> None:
    """Make every stored answer `days` older (as if counted that long ago)."""
    conn = sqlite3.connect(store_path())
    conn.execute("UPDATE counts SET counted_at = counted_at - ?", (days * 86400,))
    conn.commit()
    conn.close()


# --- 1. reuse across files and outputs; two processes at once -------------------------------


def test_two_concurrent_runs_share_one_store_and_pay_once(tmp_path: Path) -> None:
    """Two processes, two inputs sharing 10 segments, two outputs, one store, running at the
    same time: every segment is paid once; each waits for the other's answers."""
    first = write_xlsx(tmp_path / "first.xlsx", segments(30))
    second = write_xlsx(tmp_path / "second.xlsx", segments(30, start=20))  # 20..29 shared
    config = SandboxConfig(latency=0.15, valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "batchcount",
                    "run",
                    str(src),
                    "--yes",
                    "-q",
                    "--concurrency",
                    "4",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env_for(srv),
            )
            for src in (first, second)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        for proc, (_, err) in zip(procs, outs, strict=True):
            assert proc.returncode == 0, err
            assert "Traceback" not in err
        snap = settled(srv)
    assert snap["ok_answers"] == 50  # 50 distinct segments between the two files
    assert max(snap["answered_bodies"].values()) == 1  # none paid twice
    for name in ("first", "second"):
        out = results(tmp_path / f"{name}.counted.xlsx")
        assert [r["status"] for r in out] == ["ok"] * 30
        assert all(isinstance(r["counted_at"], datetime) for r in out)
    both = (
        results(tmp_path / "first.counted.xlsx")[20:]
        + results(tmp_path / "second.counted.xlsx")[:10]
    )
    sources = [r["source"] for r in both]
    assert sources.count("new") == 10 and sources.count("reused") == 10  # each paid once
    history = json.loads(bc(None, "history", "--json").stdout)
    assert len(history) == 2 and sum(r["counted_new"] for r in history) == 50
    assert all(r["status"] == "ok" and r["test"] for r in history)


def test_a_segment_in_flight_in_another_run_is_waited_for_not_paid_twice(
    tmp_path: Path,
) -> None:
    """The same segments in the same order, two outputs, started together: whichever run
    sends a segment first pays; the other waits for that answer and takes it."""
    src = write_xlsx(tmp_path / "in.xlsx", segments(6))
    config = SandboxConfig(latency=0.4, valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "-q",
                 "--concurrency", "2", "-o", str(tmp_path / f"{name}.xlsx")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env_for(srv),
            )
            for name in ("a", "b")
        ]  # fmt: skip
        errs = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], errs
        snap = settled(srv)
    assert snap["ok_answers"] == 6 and max(snap["answered_bodies"].values()) == 1
    assert any("is counting some of the same segments right now" in e for e in errs), errs
    sources = [r["source"] for name in "ab" for r in results(tmp_path / f"{name}.xlsx")]
    assert sources.count("new") == 6 and sources.count("reused") == 6
    reused = [r for n in "ab" for r in results(tmp_path / f"{n}.xlsx") if r["source"] == "reused"]
    assert all(r["amount_charged"] == 0 and isinstance(r["counted_at"], datetime) for r in reused)


def test_reused_rows_carry_the_original_counted_at_and_source(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(4))
    assert bc(server, "run", str(src), "--yes", "-o", str(tmp_path / "a.xlsx")).returncode == 0
    time.sleep(1.1)  # a later run: its own time would differ from the stored one
    rows = [*segments(4), segments(1)[0]]  # row 6 repeats row 2
    again = write_xlsx(tmp_path / "again.xlsx", rows + segments(1, start=9))
    done = bc(server, "run", str(again), "--yes", "-o", str(tmp_path / "b.xlsx"))
    assert done.returncode == 0, done.stderr
    assert "5 segments (6 valid rows): 4 reuse counts from" in done.stderr
    first, second = results(tmp_path / "a.xlsx"), results(tmp_path / "b.xlsx")
    assert [r["source"] for r in second] == ["reused"] * 4 + ["duplicate", "new"]
    for a, b in zip(first, second[:4], strict=False):
        assert b["counted_at"] == a["counted_at"] and b["results_count"] == a["results_count"]
        assert b["amount_charged"] == 0  # paid for by the run that wrote a.xlsx
        assert "a.xlsx" in str(b["message"])
    assert second[5]["counted_at"] > first[0]["counted_at"]
    assert server.stats.snapshot()["ok_answers"] == 5


# --- 1. upgrading: journals beside the output are taken over ----------------------------------


def _plan(src: Path) -> dict[str, dict[str, Any]]:
    return dict(prepare(InputOptions(path=src)).plan.requests)


def test_an_existing_journal_is_imported_and_nothing_is_paid_again(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(6))
    bodies = list(_plan(src).items())
    journal_file = tmp_path / "in.counted.journal.sqlite"
    journal = Journal(journal_file)  # today's journal class, as version 0.1 wrote it
    journal.set_meta("input", "in.xlsx")
    for fp, body in bodies[:4]:
        journal.mark_sent(fp, "realtime", json.dumps(body))
        journal.mark_done(fp, "realtime", 1000 + len(fp), 0.04, 0, True)
    journal.mark_sent(bodies[4][0], "realtime", json.dumps(bodies[4][1]))  # a crash: in flight
    journal.close()
    before = journal_file.read_bytes()
    check = bc(server, "check", str(src))  # reads the journal as run will import it
    assert journal_file.read_bytes() == before  # check changes nothing
    assert "1 requests were in flight when the last run stopped" in check.stdout
    done = bc(server, "run", str(src), "--yes")
    assert done.returncode == 0, done.stderr
    assert line(check.stdout, "reuse counts") == line(done.stderr, "reuse counts")
    assert "Took over 4 counts from the journal in.counted.journal.sqlite" in done.stderr
    assert "4 reuse counts from" in done.stderr and "2 new ($0.08)" in done.stderr
    assert "1 requests were in flight when the last run stopped" in done.stderr
    assert not journal_file.exists()
    assert (tmp_path / "in.counted.journal.imported.sqlite").exists()  # kept, renamed
    snap = server.stats.snapshot()
    assert snap["ok_answers"] == 2  # only the crashed one and the never-sent one
    out = results(tmp_path / "in.counted.xlsx")
    assert [r["source"] for r in out] == ["reused"] * 4 + ["new"] * 2
    assert [r["results_count"] for r in out[:4]] == [1032] * 4
    assert [r["amount_charged"] for r in out[:4]] == [0.04] * 4  # paid for this output
    assert summary(tmp_path / "in.counted.xlsx")[TWICE] == 1
    assert "this output" in str(out[0]["message"])
    # the import counts as this output's earlier spending, and is in the history
    again = bc(server, "run", str(src))  # nothing to pay: no question
    assert again.returncode == 0 and "6 reuse counts from" in again.stderr
    assert "has cost $0.24 over 2 earlier runs" in again.stderr
    history = json.loads(bc(None, "history", "--json").stdout)
    assert [r["kind"] for r in history] == ["import", "run", "run"]
    assert history[0]["spent"] == pytest.approx(0.16) and history[0]["counted_new"] == 4
    assert server.stats.snapshot()["ok_answers"] == 2


def test_a_live_run_does_not_reuse_test_answers_from_an_imported_journal(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    journal = Journal(tmp_path / "in.counted.journal.sqlite")
    for fp, body in _plan(src).items():
        journal.mark_sent(fp, "realtime", json.dumps(body))
        journal.mark_done(fp, "realtime", 7, 0.04, 0, True)  # test-mode answers
    journal.close()
    done = bc(server, "run", str(src), "--yes", key=LIVE_KEY)
    assert done.returncode == 0, done.stderr
    assert "came from test mode (fictional counts)" in done.stderr
    assert server.stats.snapshot()["ok_answers"] == 3


# --- issue 9 item 7: stores and journals that cannot be used --------------------------------


def _bad_files(folder: Path, name: str) -> dict[str, Path]:
    """0-byte, garbage, foreign, truncated files named `name` in sub-folders of `folder`."""
    made = {}
    for kind in ("empty", "garbage", "foreign", "truncated"):
        path = folder / kind / name
        path.parent.mkdir()
        made[kind] = path
    made["empty"].write_bytes(b"")
    made["garbage"].write_bytes(b"\x00\xffnot a database at all" * 400)
    conn = sqlite3.connect(made["foreign"])
    conn.execute("CREATE TABLE contacts (name TEXT, email TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ann', 'ann@example.com')")
    conn.commit()
    conn.close()
    return made


def _assert_refused(done: subprocess.CompletedProcess[str], path: Path, *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert str(path) in done.stderr, done.stderr
    assert "Nothing was sent" in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def test_unusable_stores_are_refused_before_anything_is_sent(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(5))
    config = SandboxConfig(valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        files = _bad_files(tmp_path, "counts.sqlite")
        real = files["truncated"]  # a real store, cut in half
        big = write_xlsx(tmp_path / "big.xlsx", segments(300))
        assert bc(srv, "run", str(big), "--yes", "--store", str(real)).returncode == 0
        data = real.read_bytes()
        real.write_bytes(data[: len(data) // 2])
        newer = tmp_path / "newer" / "counts.sqlite"
        newer.parent.mkdir()
        assert bc(srv, "run", str(src), "--yes", "--store", str(newer)).returncode == 0
        conn = sqlite3.connect(newer)
        conn.execute("PRAGMA user_version = 99")
        conn.commit()
        conn.close()
        files["newer"] = newer
        before = srv.stats.snapshot()["count_requests"]
        for kind, path in files.items():
            content = path.read_bytes()
            out = tmp_path / f"{kind}.xlsx"
            for args in (("run", str(src), "--yes", "-o", str(out)), ("check", str(src))):
                done = bc(srv, *args, "--store", str(path))
                _assert_refused(done, path, "--store OTHER.sqlite")
            if kind != "garbage":  # the env variable is read the same way: once is enough
                assert path.read_bytes() == content, kind
                continue
            via_env = subprocess.run(
                [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "-o", str(out)],
                capture_output=True,
                text=True,
                env=env_for(srv) | {"BATCHCOUNT_STORE": str(path)},
                timeout=60,
            )
            _assert_refused(via_env, path)
            assert path.read_bytes() == content, kind  # never replaced nor repaired
            assert not out.exists()
        assert srv.stats.snapshot()["count_requests"] == before  # nothing sent, nothing billed
        assert "newer batchcount" in bc(srv, "check", str(src), "--store", str(newer)).stderr


def test_unusable_journals_are_refused_before_anything_is_sent(tmp_path: Path) -> None:
    config = SandboxConfig(valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        files = _bad_files(tmp_path, "in.counted.journal.sqlite")
        # a real journal, truncated (a copy cut short, a full disk)
        src_big = write_xlsx(files["truncated"].parent / "in.xlsx", segments(300))
        journal = Journal(files["truncated"])
        for fp, body in _plan(src_big).items():
            journal.mark_sent(fp, "realtime", json.dumps(body))
            journal.mark_done(fp, "realtime", 1, 0.04, 0, True)
        journal.close()
        data = files["truncated"].read_bytes()
        files["truncated"].write_bytes(data[: len(data) // 2])
        newer = tmp_path / "newer" / "in.counted.journal.sqlite"
        newer.parent.mkdir()
        Journal(newer).set_meta("schema", "7")
        files["newer"] = newer
        for kind, journal_file in files.items():
            src = journal_file.parent / "in.xlsx"
            if not src.exists():
                write_xlsx(src, segments(5))
            content = journal_file.read_bytes()
            for args in (("run", str(src), "--yes"), ("check", str(src))):
                done = bc(srv, *args)
                _assert_refused(done, journal_file, "move the journal away", "-o OTHER.xlsx")
            assert journal_file.read_bytes() == content, kind  # never replaced nor renamed
            assert not (journal_file.parent / "in.counted.xlsx").exists()
            if kind == "newer":
                assert "newer batchcount" in done.stderr
        assert srv.stats.snapshot()["count_requests"] == 0


# --- 2. --max-age and --fresh ----------------------------------------------------------------


def test_max_age_decides_what_is_reused(server: SandboxServer, tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(5))
    assert bc(server, "run", str(src), "--yes").returncode == 0
    age_counts(10)
    day = datetime.fromtimestamp(time.time() - 10 * 86400).strftime("%Y-%m-%d")
    check = bc(server, "check", str(src))
    assert f"5 reuse counts from {day} ($0), 0 new ($0.00)" in check.stdout
    week = bc(server, "run", str(src), "--max-age", "7d", stdin="n\n")
    assert "5 new ($0.20)" in week.stderr
    assert "5 stored counts are older than --max-age 7d" in week.stderr
    hours = bc(server, "run", str(src), "--max-age", "12h", stdin="n\n")
    assert "5 new ($0.20)" in hours.stderr
    assert server.stats.snapshot()["count_requests"] == 5  # declined: nothing more sent
    done = bc(server, "run", str(src), "--yes", "--max-age", "90d")
    assert done.returncode == 0 and "5 reuse counts from" in done.stderr
    zero = bc(server, "run", str(src), "--yes", "--max-age", "0")
    assert zero.returncode == 0 and "5 new ($0.20)" in zero.stderr
    assert server.stats.snapshot()["ok_answers"] == 10
    for bad in ("7", "soon", "-3d", "1e999d"):
        refused = bc(server, "run", str(src), "--yes", "--max-age", bad)
        assert refused.returncode == 2 and "--max-age" in refused.stderr
    assert server.stats.snapshot()["count_requests"] == 10


def test_fresh_recounts_everything_and_asks_once_with_the_cost(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(4))
    assert bc(server, "run", str(src), "--yes").returncode == 0
    declined = bc(server, "run", str(src), "--fresh", stdin="n\n")
    assert declined.returncode == 3 and declined.stderr.count("[y/N]") == 1
    prompt = line(declined.stderr, r"\[y/N\]")
    assert "--fresh: recount all 4 segments" in prompt and "$0.16" in prompt
    assert "4 of them have stored counts that will not be reused" in prompt
    assert server.stats.snapshot()["count_requests"] == 4
    done = bc(server, "run", str(src), "--fresh", stdin="y\n")
    assert done.returncode == 0 and done.stderr.count("[y/N]") == 1
    assert server.stats.snapshot()["ok_answers"] == 8
    assert [r["source"] for r in results(tmp_path / "in.counted.xlsx")] == ["new"] * 4
    both = bc(server, "run", str(src), "--fresh", "--max-age", "7d", "--yes")
    assert both.returncode == 2 and "--fresh" in both.stderr


def test_fresh_run_stopped_early_says_how_to_resume(tmp_path: Path) -> None:
    config = SandboxConfig(funds_after=6, valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        src = write_xlsx(tmp_path / "in.xlsx", segments(4))
        assert bc(srv, "run", str(src), "--yes").returncode == 0
        stopped = bc(srv, "run", str(src), "--yes", "--fresh", "--concurrency", "1")
        assert stopped.returncode == 3
        assert "rerun without --fresh" in stopped.stderr
        srv.add_funds(10)
        resumed = bc(srv, "run", str(src), "--yes", "--max-age", "1d")
        assert resumed.returncode == 0 and "4 reuse counts from" in resumed.stderr


# --- 3. check shows the estimate run will show ------------------------------------------------


def _estimates(check: str, run: str) -> tuple[str, str]:
    reuse = r"^\d+ (rows|segments).*: .*new \(\$"
    return line(check, reuse), line(run, reuse)


@pytest.mark.parametrize("price", [0.04, 0.0525])
def test_check_shows_the_same_estimate_as_run_to_the_cent(tmp_path: Path, price: float) -> None:
    config = SandboxConfig(price=price, valid_keys=frozenset({KEY}))
    with start_sandbox(config) as srv:
        first = write_xlsx(tmp_path / "first.xlsx", segments(7))
        assert bc(srv, "run", str(first), "--yes").returncode == 0
        rows = [*segments(12), segments(1, start=3)[0], ["bad", "Title x", "vp", "Peru", "lots"]]
        second = write_xlsx(tmp_path / "second.xlsx", rows)
        check = bc(srv, "check", str(second))
        run = bc(srv, "run", str(second), stdin="n\n")
        assert run.returncode == 3
        mine, theirs = _estimates(check.stdout, run.stderr)
        assert mine == theirs  # same rows, same reused, same dates, same cost to the cent
        assert "7 reuse counts from" in mine and f"5 new ({money(5 * price)})" in mine
        cost = line(run.stderr, r"^Estimated cost: ").split(": ")[1]
        assert f"estimated cost {cost}" in check.stdout
        assert f"x {money(price)} (your account's price tier)" in check.stdout
        assert f"Price: {money(price)} per request (your account's price tier)" in run.stderr
        # the same store, options and kind: --max-age moves both the same way
        check_0 = bc(srv, "check", str(second), "--max-age", "0")
        run_0 = bc(srv, "run", str(second), "--max-age", "0", stdin="n\n")
        mine, theirs = _estimates(check_0.stdout, run_0.stderr)
        assert mine == theirs and f"12 new ({money(12 * price)})" in mine
        assert srv.stats.snapshot()["count_requests"] == 7  # check never counted anything


def test_check_without_a_key_uses_the_list_price_and_says_run_asks(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    done = bc(None, "check", str(src))
    assert done.returncode == 0
    assert "3 rows: 3 new ($0.12)" in done.stdout
    assert "run asks your account's price tier" in done.stdout
    assert not store_path().exists()  # check reads; it never creates a store
    sandbox = bc(None, "check", str(src), "--sandbox")
    assert "your account's price tier" in sandbox.stdout


def test_check_and_run_with_the_embedded_sandbox_share_counts(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    assert bc(None, "run", str(src), "--sandbox", "--yes").returncode == 0
    check = bc(None, "check", str(src), "--sandbox")
    assert "3 reuse counts from" in check.stdout and "0 new ($0.00)" in check.stdout
    live = bc(None, "check", str(src), "--api-key", LIVE_KEY)
    assert "3 rows: 3 new ($0.12)" in live.stdout  # sandbox counts are never live counts
    assert LIVE_KEY not in live.stdout + live.stderr


# --- 5. history, and what this output has cost -------------------------------------------------


def test_history_text_and_json_and_what_an_output_has_cost(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    other = write_xlsx(tmp_path / "other.xlsx", segments(5, start=10))
    assert bc(server, "run", str(src), "--yes").returncode == 0
    assert bc(server, "run", str(other), "--yes").returncode == 0
    again = bc(server, "run", str(other), "--max-age", "0", stdin="n\n")
    assert "This output (other.counted.xlsx) has cost $0.20 over 1 earlier run" in again.stderr
    assert bc(server, "run", str(other), "--max-age", "0", "--yes").returncode == 0
    third = bc(server, "run", str(other))  # all reused: nothing to ask
    assert "has cost $0.40 over 2 earlier runs" in third.stderr
    text = bc(None, "history").stdout
    rows = [x for x in text.splitlines() if re.match(r"\s*\d+\s", x)]
    assert len(rows) == 4
    assert "in.xlsx" in rows[0] and "in.counted.xlsx" in rows[0] and "$0.12" in rows[0]
    assert re.search(
        r"test\s+realtime\s+other\.xlsx\s+other\.counted\.xlsx\s+5\s+0\s+\$0\.20", rows[1]
    )
    assert "ok" in rows[2] and re.search(r"\s0\s+5\s+\$0\.00\s+ok$", rows[3])
    assert "in test mode" in text
    data = json.loads(bc(None, "history", "--json").stdout)
    assert [r["counted_new"] for r in data] == [3, 5, 5, 0]
    assert [r["reused"] for r in data] == [0, 0, 0, 5]
    outputs = [Path(r["output"]).name for r in data]
    assert outputs == ["in.counted.xlsx"] + ["other.counted.xlsx"] * 3
    assert all(r["test"] is True and r["mode"] == "realtime" for r in data)
    assert all(datetime.fromisoformat(r["started"]) for r in data)
    assert data[0]["spent"] == pytest.approx(0.12)
    assert json.loads(bc(None, "history", "--json", "--since", "2999-01-01").stdout) == []
    assert len(json.loads(bc(None, "history", "--json", "--since", "1d").stdout)) == 4
    assert len(json.loads(bc(None, "history", "--json", "--since", "2000-01-01").stdout)) == 4
    bad = bc(None, "history", "--since", "last tuesday")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_history_of_an_empty_or_missing_store(tmp_path: Path) -> None:
    done = bc(None, "history", "--store", str(tmp_path / "none.sqlite"))
    assert done.returncode == 0 and "No runs recorded" in done.stdout
    assert not (tmp_path / "none.sqlite").exists()  # reading never creates a store
    assert json.loads(bc(None, "history", "--json").stdout) == []


# --- 6. --preflight ----------------------------------------------------------------------------


def preflight_rows() -> list[list[str]]:
    rows = segments(6)
    for i in (1, 4):  # segments the cached database does not know (the sandbox's marker)
        rows[i][1] = f"Title {i} {NOT_IN_DATABASE}"
    return rows


def test_preflight_skips_segments_the_database_finds_empty(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", preflight_rows())
    check_before = bc(server, "check", str(src), "--preflight")
    assert "6 segments are counted as usual" in check_before.stdout  # nothing stored yet
    done = bc(server, "run", str(src), "--yes", "--preflight")
    assert done.returncode == 0, done.stderr
    assert "6 rows: 2 skipped by --preflight (database count 0, $0), 4 new ($0.16)" in done.stderr
    assert "rerun without --preflight" in done.stderr
    snap = server.stats.snapshot()
    assert snap["count_requests"] == 6 + 4  # 6 free database counts, 4 paid
    assert snap["billed_amount"] == pytest.approx(0.16)
    out = results(tmp_path / "in.counted.xlsx")
    assert [r["status"] for r in out] == ["ok", "skipped", "ok", "ok", "skipped", "ok"]
    for row in (out[1], out[4]):
        assert "--preflight" in str(row["message"]) and "database count" in str(row["message"])
        assert row["amount_charged"] is None
    totals = summary(tmp_path / "in.counted.xlsx")
    assert totals["Skipped by --preflight (segments)"] == 2  # a number, with its format
    # the free answers are stored: a second --preflight run asks no database count again
    other = bc(server, "run", str(src), "--yes", "--preflight", "-o", str(tmp_path / "b.xlsx"))
    assert other.returncode == 0, other.stderr
    assert "0 asked, 2 from the store" in other.stderr
    assert server.stats.snapshot()["count_requests"] == 10
    # check reads them too, and agrees with run
    check = bc(server, "check", str(src), "--preflight", "-o", str(tmp_path / "b.xlsx"))
    assert "4 reuse counts from" in check.stdout and "2 skipped by --preflight" in check.stdout
    # counting them anyway: without --preflight they are paid for
    anyway = bc(server, "run", str(src), "--yes")
    assert anyway.returncode == 0 and "2 new ($0.08)" in anyway.stderr
    assert [r["status"] for r in results(tmp_path / "in.counted.xlsx")] == ["ok"] * 6


def test_preflight_within_max_age_only(server: SandboxServer, tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", preflight_rows())
    assert bc(server, "run", str(src), "--preflight", stdin="n\n").returncode == 3
    assert server.stats.snapshot()["count_requests"] == 6  # free database counts only
    age_counts(3)
    again = bc(server, "run", str(src), "--preflight", "--max-age", "1d", stdin="n\n")
    assert "6 asked, 0 from the store" in again.stderr
    assert server.stats.snapshot()["count_requests"] == 12
    assert server.stats.snapshot()["billed_amount"] == 0
