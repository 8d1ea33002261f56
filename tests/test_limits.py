"""Issue 9, item 8: machine limits never cost what was paid for.

- Open files (`ulimit -n`): the soft limit is raised toward the hard one; if that is not
  enough, --concurrency is lowered with a note, and the run still counts everything.
- File size (`ulimit -f`, in a subprocess via resource.setrlimit) and a full disk (ENOSPC
  injected into the workbook write): a clear error with an honest exit code, the journal
  intact, and the rerun the message asks for writes the workbook without paying again.
"""

from __future__ import annotations

import errno
import os
import resource
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_faults import command, env_for, results, run_cli, segments, settled, write_xlsx

import batchcount.output.atomic
from batchcount.api.limits import FIXED_FILES, PER_CONNECTION, fit_concurrency, unwritten
from batchcount.cli import main
from batchcount.errors import EXIT_STOPPED, EXIT_USAGE, OutputFileError
from batchcount.net.runner import Outcome, RunReport
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox

KEY = "test_faults_0123456789"
INF = resource.RLIM_INFINITY


def _config(**changes: Any) -> SandboxConfig:
    return SandboxConfig(valid_keys=frozenset({KEY}), **changes)


def _store() -> Path:
    """This test's count store (conftest sets BATCHCOUNT_STORE; subprocesses inherit it)."""
    return Path(os.environ["BATCHCOUNT_STORE"])


def _store_rows(path: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        return {
            str(s): int(n)
            for s, n in db.execute("SELECT state, count(*) FROM counts GROUP BY state")
        }
    finally:
        db.close()


# --- open files ----------------------------------------------------------------------------------


def test_fit_concurrency_arithmetic() -> None:
    need = FIXED_FILES + 100 * PER_CONNECTION
    assert fit_concurrency(100, False, 4096, 4096, INF) == (100, 4096)  # fits: unchanged
    assert fit_concurrency(100, False, 64, INF, INF) == (100, need)  # raise the soft limit
    assert fit_concurrency(100, False, 64, 1024, INF) == (100, need)  # up to the hard one
    fits, target = fit_concurrency(100, False, 64, 100, INF)  # the hard limit is too low
    assert target == 100 and fits == (100 - FIXED_FILES) // PER_CONNECTION
    assert fit_concurrency(100, False, 20, 20, INF)[0] == 1  # never below one
    sandbox_fits, _ = fit_concurrency(100, True, 100, 100, INF)
    assert sandbox_fits < fits  # the built-in sandbox holds the other end of each connection


def _limit_open_files(soft: int, hard: int) -> Any:
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_concurrency_above_the_open_file_limit_is_lowered_with_a_note(tmp_path: Path) -> None:
    n = 40
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    with start_sandbox(_config(latency=0.05)) as srv:
        done = subprocess.run(
            [a for a in command(src, "--concurrency", "300") if a != "-q"],
            capture_output=True,
            text=True,
            env=env_for(srv),
            preexec_fn=_limit_open_files(80, 80),  # cannot be raised
            timeout=120,
        )
        snap = settled(srv)
    assert done.returncode == 0, done.stderr
    expected = (80 - FIXED_FILES) // PER_CONNECTION
    assert f"--concurrency 300 needs about {FIXED_FILES + 300 * PER_CONNECTION} open files" in (
        done.stderr
    )
    assert f"using --concurrency {expected}" in done.stderr and "ulimit -n" in done.stderr
    assert "Traceback" not in done.stderr
    assert snap["max_in_flight"] <= expected and snap["ok_answers"] == n
    assert [r["status"] for r in results(tmp_path / "in.counted.xlsx")] == ["ok"] * n


def test_soft_open_file_limit_is_raised_toward_the_hard_one(tmp_path: Path) -> None:
    n = 24
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    with start_sandbox(_config(latency=0.2)) as srv:
        done = subprocess.run(
            [a for a in command(src, "--concurrency", "24") if a != "-q"],
            capture_output=True,
            text=True,
            env=env_for(srv),
            preexec_fn=_limit_open_files(60, 4096),  # 24 connections need ~96: raise it
            timeout=120,
        )
        snap = settled(srv)
    assert done.returncode == 0, done.stderr
    assert "ulimit -n" not in done.stderr  # nothing to say: it was raised quietly
    assert snap["max_in_flight"] > (60 - FIXED_FILES) // PER_CONNECTION


# --- file size and full disk --------------------------------------------------------------------


def _limit_file_size(size: int) -> Any:
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def _run_limited(server: SandboxServer, src: Path, size: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(src, "--concurrency", "4"),
        capture_output=True,
        text=True,
        env=env_for(server),
        preexec_fn=_limit_file_size(size),
        timeout=120,
    )


def test_file_size_limit_mid_run_stops_cleanly_and_the_rerun_finishes(tmp_path: Path) -> None:
    """The count store fills the allowed size mid-run: SIGXFSZ does not kill the process, the
    run stops with exit 3 and says what to do; the store stays whole and the rerun (no
    limit) finishes without paying again for anything the store recorded."""
    n = 300
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    journal = _store()
    with start_sandbox(_config()) as srv:
        done = _run_limited(srv, src, 64_000)  # room for about half of the counts
        assert done.returncode == EXIT_STOPPED, done.stderr
        assert "Traceback" not in done.stderr
        assert "could not be written" in done.stderr and "ulimit -f" in done.stderr
        first = settled(srv)
        states = _store_rows(journal)  # intact, and it knows what was answered
        assert 0 < states.get("done", 0) < n
        unrecorded = first["ok_answers"] - states["done"]
        if unrecorded:  # answers that came after the journal was full: said, not hidden
            assert f"{unrecorded} answers paid for in this run could not be recorded" in (
                done.stderr
            )
        again = run_cli(srv, src, "--concurrency", "4")
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert [r["status"] for r in results(tmp_path / "in.counted.xlsx")] == ["ok"] * n
    paid_twice = sum(c - 1 for c in snap["answered_bodies"].values())
    # only answers that arrived after the journal was full can be paid twice
    assert paid_twice == unrecorded <= 4  # at most what was in flight when it filled


def test_workbook_over_the_file_size_limit_is_a_clear_error_and_nothing_is_resent(
    tmp_path: Path,
) -> None:
    """Everything is in the count store; only the workbook does not fit under `ulimit -f`."""
    distinct = 20
    rows = segments(distinct) * 100  # 2,000 rows: a workbook much bigger than the journal
    n = len(rows)
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(_config()) as srv:
        assert run_cli(srv, src, "--concurrency", "8").returncode == 0
        size = output.stat().st_size
        output.unlink()
        # the store's files fit (the -shm index alone is 32 KiB), the workbook cannot
        journal_size = _store().stat().st_size
        limit = max(journal_size, 32_768) + 16_384
        assert limit < size
        done = _run_limited(srv, src, limit)
        assert done.returncode == EXIT_USAGE, done.stderr  # nothing was sent in this run
        assert "file-size limit (ulimit -f)" in done.stderr
        assert "safe in the count store" in done.stderr
        assert "rerun the same command" in done.stderr and "Traceback" not in done.stderr
        assert not output.exists() and not list(tmp_path.glob(".in.counted.xlsx.tmp-*"))
        assert _store_rows(_store()) == {"done": distinct}
        again = run_cli(srv, src)
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert snap["ok_answers"] == distinct and max(snap["answered_bodies"].values()) == 1
    assert len(results(output)) == n


class _FillingFile:
    """A file whose disk fills after `room` bytes (ENOSPC), like a real full disk."""

    def __init__(self, real: Any, room: int) -> None:
        self._real = real
        self._room = room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return int(self._real.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> _FillingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def test_disk_full_while_writing_after_a_paid_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    n = 30
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    real_open = open

    def filling_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(path, mode, *args, **kwargs)
        return _FillingFile(handle, 2_000) if "w" in mode else handle

    with start_sandbox(_config()) as srv:
        monkeypatch.setenv("GENERECT_API_KEY", KEY)
        monkeypatch.setenv("GENERECT_API_BASE", srv.url)
        monkeypatch.setattr(batchcount.output.atomic, "open", filling_open, raising=False)
        with pytest.raises(SystemExit) as stop:
            main(["run", str(src), "--yes", "-q"])
        err = capsys.readouterr().err
        assert stop.value.code == EXIT_STOPPED, err  # paid requests went out: not "2"
        assert "could not be written (the disk is full)" in err
        assert f"safe in the count store {_store()}" in err
        assert not output.exists() and not list(tmp_path.glob(".in.counted.xlsx.tmp-*"))
        assert _store_rows(_store()) == {"done": n}
        monkeypatch.undo()
        again = run_cli(srv, src)
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert snap["ok_answers"] == n and max(snap["answered_bodies"].values()) == 1
    assert [r["status"] for r in results(output)] == ["ok"] * n


def test_unwritten_is_honest_about_answers_the_journal_could_not_hold() -> None:
    cause = OSError(errno.EFBIG, "File too large")
    try:
        raise OutputFileError("Cannot write out.xlsx") from cause
    except OutputFileError as exc:
        failed = exc
    report = RunReport(sent=3)
    report.outcomes = {fp: Outcome(fp, "ok", 10, 0.04) for fp in ("a", "b", "c")}
    from batchcount.store.records import Record

    # b, c never recorded
    entries = {"a": Record("a", "realtime", "done", "{}", 10, 0.04, 1.0, True, 1, 1, None, 1, 0)}
    error = unwritten(failed, Path("out.xlsx"), Path("counts.sqlite"), report, entries)
    assert error.exit_code == EXIT_STOPPED
    assert "file-size limit (ulimit -f)" in error.message
    assert "2 answers paid for in this run could not be recorded" in error.message
    assert "pays for them, again" in error.message


def test_a_store_the_machine_cannot_write_is_not_called_damaged(tmp_path: Path) -> None:
    """Under a tiny `ulimit -f` SQLite cannot even create its -shm index beside a good
    count store: the message must not send the user to delete it (and pay for it all
    again)."""
    n = 40
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    journal = _store()
    with start_sandbox(_config()) as srv:
        assert run_cli(srv, src).returncode == 0
        before = journal.read_bytes()
        done = _run_limited(srv, src, 8_192)
        assert done.returncode == EXIT_USAGE, done.stderr
        assert "cannot be used: this machine refused to write beside it" in done.stderr
        assert "keep it" in done.stderr and "damaged" not in done.stderr
        assert "Traceback" not in done.stderr
        assert journal.read_bytes() == before
        again = run_cli(srv, src)
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert snap["ok_answers"] == n and max(snap["answered_bodies"].values()) == 1
