"""Issue 9, item 8: machine limits never cost what was paid for.

- Open files (`ulimit -n`): the soft limit is raised toward the hard one; if that is not
  enough, --concurrency is lowered with a note, and the run still counts everything.
- File size (`ulimit -f`, in a subprocess via resource.setrlimit) and a full disk (ENOSPC
  injected into the workbook write): a clear error with an honest exit code, the journal
  intact, and the $0 command the message gives writes the workbook without paying again.
  A limit too small for the output precheck's probe (PROBE_BYTES) is refused before anything
  is sent (tests/test_output_precheck.py); the limits here are above it, so the later
  failures (the journal mid-run, the workbook at the end) stay tested.
"""

from __future__ import annotations

import errno
import os
import resource
import shlex
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_faults import command, env_for, results, run_cli, segments, settled, write_xlsx

import batchcount.output.atomic
from batchcount.api.limits import FIXED_FILES, PER_CONNECTION, fit_concurrency, unrecorded_note
from batchcount.api.options import RunOptions
from batchcount.api.preflight_output import PROBE_BYTES, write_failed
from batchcount.cli import main
from batchcount.errors import EXIT_STOPPED, EXIT_USAGE
from batchcount.net.runner import Outcome, RunReport
from batchcount.plan.prepare import InputOptions
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox
from batchcount.store.records import Record

KEY = "test_faults_0123456789"
INF = resource.RLIM_INFINITY


def _config(**changes: Any) -> SandboxConfig:
    return SandboxConfig(valid_keys=frozenset({KEY}), **changes)


def _answers(n: int) -> str:
    return "1 answer" if n == 1 else f"{n} answers"


def _advice(stderr: str) -> list[str]:
    """The $0 command the write-failure message gives, as argv (without `batchcount`)."""
    line = next(x.strip() for x in stderr.splitlines() if x.strip().startswith("batchcount run "))
    argv = shlex.split(line)[1:]
    assert argv[argv.index("--max-cost") + 1] == "0"
    return argv


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
    n = 400
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    journal = _store()
    with start_sandbox(_config()) as srv:
        # room for the precheck's probe, and for about half of the counts
        done = _run_limited(srv, src, PROBE_BYTES + 16_384)
        assert done.returncode == EXIT_STOPPED, done.stderr
        assert "Traceback" not in done.stderr
        assert "could not be written" in done.stderr and "ulimit -f" in done.stderr
        first = settled(srv)
        states = _store_rows(journal)  # intact, and it knows what was answered
        assert 0 < states.get("done", 0) < n
        unrecorded = first["ok_answers"] - states["done"]
        if unrecorded:  # answers that came after the journal was full: said, not hidden
            assert f"{_answers(unrecorded)} paid for in this run could not be recorded" in (
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
        # the store's files (the -shm index alone is 32 KiB) and the precheck's probe fit,
        # the workbook cannot
        store = _store()
        limit = max(store.stat().st_size, 32_768, PROBE_BYTES) + 16_384
        assert limit < size
        done = _run_limited(srv, src, limit)
        assert done.returncode == EXIT_USAGE, done.stderr  # nothing was sent in this run
        assert "file-size limit (ulimit -f)" in done.stderr
        assert "Nothing was sent in this run" in done.stderr
        assert f"Every count is safe in the count store {store}" in done.stderr
        assert "Traceback" not in done.stderr
        assert not output.exists() and not list(tmp_path.glob(".in.counted.xlsx.tmp-*"))
        assert _store_rows(store) == {"done": distinct}
        # the limit raised, the command the message gives writes the workbook for $0
        advice = _advice(done.stderr)
        again = subprocess.run(
            [sys.executable, "-m", "batchcount", *advice],
            capture_output=True,
            text=True,
            env=env_for(srv),
            timeout=120,
        )
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert snap["ok_answers"] == distinct and max(snap["answered_bodies"].values()) == 1
    other = Path(advice[advice.index("-o") + 1])
    assert other != output and [r["status"] for r in results(other)] == ["ok"] * n


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
        assert f"Cannot write {output}: the disk is full" in err
        assert f"Every count is safe in the count store {_store()}" in err
        assert "Nothing was sent" not in err and "could not be recorded" not in err
        assert not output.exists() and not list(tmp_path.glob(".in.counted.xlsx.tmp-*"))
        assert _store_rows(_store()) == {"done": n}
        store = _store()
        monkeypatch.undo()  # (this also undoes conftest's BATCHCOUNT_STORE: pass it on)
        advice = _advice(err)  # space freed: the command the message gives
        again = subprocess.run(
            [sys.executable, "-m", "batchcount", *advice],
            capture_output=True,
            text=True,
            env={**env_for(srv), "BATCHCOUNT_STORE": str(store)},
            timeout=120,
        )
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert snap["ok_answers"] == n and max(snap["answered_bodies"].values()) == 1
    other = Path(advice[advice.index("-o") + 1])
    assert [r["status"] for r in results(other)] == ["ok"] * n


def _options(tmp: Path) -> RunOptions:
    return RunOptions(inputs=InputOptions(path=tmp / "in.xlsx"), command=(str(tmp / "in.xlsx"),))


def test_write_failure_is_honest_about_answers_the_journal_could_not_hold(
    tmp_path: Path,
) -> None:
    report = RunReport(sent=3)
    report.outcomes = {fp: Outcome(fp, "ok", 10, 0.04) for fp in ("a", "b", "c")}
    # b, c never recorded
    entries = {"a": Record("a", "realtime", "done", "{}", 10, 0.04, 1.0, True, 1, 1, None, 1, 0)}
    journal, output = tmp_path / "counts.sqlite", tmp_path / "out.xlsx"
    note = unrecorded_note(report, entries, journal)
    assert "2 answers paid for in this run could not be recorded" in note
    assert "pays for them, again" in note
    assert unrecorded_note(report, {**entries, "b": entries["a"], "c": entries["a"]}, journal) == ""
    problem = "Cannot write out.xlsx: it would be larger than this system's file-size limit"
    error = write_failed(
        _options(tmp_path), output, journal, problem, sent=True, held=True, note=note
    )
    assert error.exit_code == EXIT_STOPPED  # requests went out in this run
    assert error.message.startswith(problem)
    assert note in error.message and "Every count is safe" not in error.message
    assert "-o" in error.message and "--max-cost 0" in error.message
    assert "--journal" not in error.message  # the count store holds them: no journal to name
    # nothing sent in this run, answers from earlier runs in the store: exit 2, still $0
    error = write_failed(_options(tmp_path), output, journal, problem, sent=False, held=True)
    assert error.exit_code == EXIT_USAGE
    assert "Nothing was sent in this run. Every count is safe in the count store" in error.message
    assert "--max-cost 0" in error.message
    # nothing in the store for this input: nothing to rewrite, another -o is enough
    error = write_failed(_options(tmp_path), output, journal, problem, sent=False, held=False)
    assert error.exit_code == EXIT_USAGE and "--max-cost" not in error.message
    assert "Nothing was sent" in error.message


def test_a_limit_too_small_for_anything_is_refused_before_sending_and_the_store_kept(
    tmp_path: Path,
) -> None:
    """Under a tiny `ulimit -f` nothing can be written, not the workbook nor the store's
    -shm index: the output precheck's probe is the first honest failure. It names the folder
    and the fix, sends nothing, and leaves the good count store alone (never "damaged")."""
    n = 40
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    journal = _store()
    with start_sandbox(_config()) as srv:
        assert run_cli(srv, src).returncode == 0
        before = journal.read_bytes()
        sent = srv.stats.snapshot()["requests"]
        done = _run_limited(srv, src, 8_192)
        assert done.returncode == EXIT_USAGE, done.stderr
        assert srv.stats.snapshot()["requests"] == sent  # not even the free lookups
        assert f"in the folder {tmp_path}, a file-size limit (ulimit -f)" in done.stderr
        assert "Nothing was sent" in done.stderr and "ulimit -f unlimited" in done.stderr
        assert "damaged" not in done.stderr and "Traceback" not in done.stderr
        assert journal.read_bytes() == before
        assert not list(tmp_path.glob(".in.counted.xlsx.*"))  # no probe left behind
        again = run_cli(srv, src)
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert snap["ok_answers"] == n and max(snap["answered_bodies"].values()) == 1


# The real CLI, with the limit lowered right after the output precheck (as if the disk filled
# or a quota kicked in between the probe and opening the count store).
_LIMITED_AFTER_THE_PROBE = textwrap.dedent(
    """
    import resource, sys
    import batchcount.api.job as job
    from batchcount.cli.main import main

    probe = job.check_output

    def then_limited(*args):
        probe(*args)
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), hard))

    job.check_output = then_limited
    main(sys.argv[2:])
    """
)


def test_a_store_the_machine_cannot_write_is_not_called_damaged(tmp_path: Path) -> None:
    """The probe passes, then SQLite cannot even create its -shm index beside a good
    count store: the message must not send the user to delete it (and pay for it all again)."""
    n = 40
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    journal = _store()
    with start_sandbox(_config()) as srv:
        assert run_cli(srv, src).returncode == 0
        before = journal.read_bytes()
        sent = srv.stats.snapshot()["requests"]
        done = subprocess.run(
            [sys.executable, "-c", _LIMITED_AFTER_THE_PROBE, "8192", "run", str(src), "--yes"],
            capture_output=True,
            text=True,
            env=env_for(srv),
            timeout=120,
        )
        assert done.returncode == EXIT_USAGE, done.stderr
        assert srv.stats.snapshot()["requests"] == sent
        assert "cannot be used: this machine refused to write beside it" in done.stderr
        assert "keep it" in done.stderr and "damaged" not in done.stderr
        assert "Traceback" not in done.stderr
        assert journal.read_bytes() == before
        again = run_cli(srv, src)
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert snap["ok_answers"] == n and max(snap["answered_bodies"].values()) == 1
