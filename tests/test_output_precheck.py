"""The output is checked before anything is paid for, and a workbook that cannot be written at
the end costs nothing to recover: the real CLI against the real sandbox on loopback."""

from __future__ import annotations

import errno
import os
import resource
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_faults import KEY, env_for, results, run_cli, segments, summary, wait_for, write_xlsx

from batchcount.api.preflight_output import check_output
from batchcount.errors import OutputFileError
from batchcount.output.atomic import remove_stale_temp_files
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox


@pytest.fixture
def server() -> SandboxServer:
    with start_sandbox(SandboxConfig(valid_keys=frozenset({KEY}))) as srv:
        yield srv


def _refused(done: subprocess.CompletedProcess[str], srv: SandboxServer) -> None:
    assert done.returncode == 2, done.stderr
    assert "Nothing was sent" in done.stderr
    assert "Proceed?" not in done.stderr  # refused before the prompt
    assert srv.stats.snapshot()["requests"] == 0  # not even the free lookups


def test_a_folder_as_output_is_refused_before_anything_is_sent(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    done = run_cli(server, src, "-o", str(folder))
    _refused(done, server)
    assert "is a folder" in done.stderr
    assert list(tmp_path.glob("*.sqlite*")) == []  # no journal was created


def test_a_missing_or_non_folder_parent_is_refused(server: SandboxServer, tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    done = run_cli(server, src, "-o", str(tmp_path / "nope" / "out.xlsx"))
    _refused(done, server)
    assert "does not exist" in done.stderr
    (tmp_path / "file").write_text("x")
    done = run_cli(server, src, "-o", str(tmp_path / "file" / "out.xlsx"))
    _refused(done, server)


def test_a_file_size_limit_is_refused_before_anything_is_sent(
    server: SandboxServer, tmp_path: Path
) -> None:
    """A real limit (RLIMIT_FSIZE, soft and hard, as `ulimit -f` sets it) that leaves no room
    for the journal or the workbook: the probe fails with EFBIG, nothing is sent. (A soft
    limit alone is raised to the hard one first, with no error: see test_limits.py.)"""
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))

    done = subprocess.run(
        [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for(server),
        preexec_fn=small_files,
    )
    assert "Traceback" not in done.stderr
    _refused(done, server)
    assert "file-size limit" in done.stderr and "ulimit -f unlimited" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]  # no journal, no probe


def test_a_soft_file_size_limit_is_raised_and_the_run_goes_on(
    server: SandboxServer, tmp_path: Path
) -> None:
    """`ulimit -S -f`: only the soft limit is small; it is raised to the hard one (what the
    user is allowed anyway), so the probe and the run succeed."""
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))

    def small_soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, resource.RLIM_INFINITY))

    done = subprocess.run(
        [sys.executable, "-m", "batchcount", "run", str(src), "--yes", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for(server),
        preexec_fn=small_soft_limit,
    )
    assert done.returncode == 0, done.stderr
    assert "ulimit -f" not in done.stderr  # nothing left to say: the limit was lifted
    assert [r["status"] for r in results(tmp_path / "in.counted.xlsx")] == ["ok"] * 3


def test_the_probe_is_not_mistaken_for_the_workbook_being_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe has its own name (.NAME.probe-PID, not the workbook's .NAME.tmp-PID), and
    one left by a killed process is cleaned up like a temp file."""
    output = tmp_path / "out.xlsx"
    seen: list[str] = []
    real_open = os.open

    def watching(path: Any, *args: Any, **kwargs: Any) -> int:
        seen.append(Path(path).name)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", watching)
    check_output(output, tmp_path / "out.journal.sqlite")
    monkeypatch.undo()
    assert seen == [f".out.xlsx.probe-{os.getpid()}"]
    assert list(tmp_path.iterdir()) == []
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(gone.stdout)
    alive = f".out.xlsx.probe-{os.getppid()}"
    for name in (f".out.xlsx.probe-{dead}", f".out.xlsx.tmp-{dead}", alive):
        (tmp_path / name).write_bytes(b"x")
    remove_stale_temp_files(output)
    assert [p.name for p in tmp_path.iterdir()] == [alive]  # its process is still running


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EDQUOT, "quota"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "no permission"),
        (errno.EFBIG, "file-size limit"),
    ],
)
def test_each_way_a_disk_refuses_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    """The kernel's answers we cannot provoke without root (a full disk, a read-only mount)
    are injected at the one system call that returns them."""

    def refuse(fd: int, data: bytes) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", refuse)
    with pytest.raises(OutputFileError) as exc:
        check_output(tmp_path / "out.xlsx", tmp_path / "out.journal.sqlite")
    monkeypatch.undo()
    assert words in exc.value.message and "Nothing was sent" in exc.value.message
    assert exc.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def _advice(stderr: str) -> list[str]:
    lines = [line.strip() for line in stderr.splitlines()]
    command = next(line for line in lines if line.startswith("batchcount run "))
    return shlex.split(command)


@pytest.mark.parametrize("stopped_early", [False, True])
def test_a_write_that_fails_at_the_end_is_recovered_for_free(
    tmp_path: Path, stopped_early: bool
) -> None:
    """The output becomes unwritable during the run (here: a folder appears where the
    workbook goes). The counts are in the count store; following the printed command (the
    same input and options, -o OTHER --max-cost 0) writes them to another file and sends
    nothing at all."""
    n = 6
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    cap = ["--max-cost", "0.12"] if stopped_early else []
    with start_sandbox(SandboxConfig(valid_keys=frozenset({KEY}), latency=0.2)) as srv:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "batchcount",
                "run",
                str(src),
                "--yes",
                "-q",
                "--sheet",
                "Sheet",
                "--concurrency",
                "1",
                *cap,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(srv),
            cwd=tmp_path,
        )
        wait_for(lambda: srv.stats.snapshot()["count_requests"] > 0)
        output.mkdir()  # the workbook can no longer be written there
        _, stderr = proc.communicate(timeout=60)
        assert "Traceback" not in stderr
        assert proc.returncode == 3, stderr
        assert "safe in the count store" in stderr
        paid = srv.stats.snapshot()
        advice = _advice(stderr)
        assert advice[:3] == ["batchcount", "run", str(src)]
        assert "--sheet" in advice and "--max-cost" in advice and "--journal" not in advice
        assert advice[advice.index("--max-cost") + 1] == "0"

        again = subprocess.run(
            [sys.executable, "-m", "batchcount", *advice[1:]],
            capture_output=True,
            text=True,
            timeout=60,
            env=env_for(srv),
            cwd=tmp_path,
        )
        assert "Traceback" not in again.stderr
        assert "Proceed?" not in again.stderr
        assert srv.stats.snapshot()["requests"] == paid["requests"]  # not one request
    other = Path(advice[advice.index("-o") + 1])
    out = results(other if other.is_absolute() else tmp_path / other)
    ok = [r for r in out if r["status"] == "ok"]
    assert len(ok) == paid["ok_answers"]  # every paid answer is in the new workbook
    # taken from the store: another output, so not charged again (the receipts belong to
    # the run that paid, and to its output)
    assert all(r["source"] == "reused" and not r["amount_charged"] for r in ok)
    assert all("not charged again" in str(r["message"]) for r in ok)
    if stopped_early:
        assert again.returncode == 3 and len(ok) == 3
        assert "nothing was sent" in again.stderr
    else:
        assert again.returncode == 0, again.stderr
        assert len(ok) == n


def test_max_cost_zero_sends_nothing_and_says_so(server: SandboxServer, tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(4))
    done = run_cli(server, src, "--max-cost", "0")
    assert done.returncode == 3, done.stderr
    assert "--max-cost $0: nothing will be sent" in done.stderr
    assert server.stats.snapshot()["requests"] == 0
    out = results(tmp_path / "in.counted.xlsx")
    assert [r["status"] for r in out] == ["skipped"] * 4
    assert "--max-cost $0" in str(summary(tmp_path / "in.counted.xlsx")["Outcome"])
    # and nothing is left beside the output (the counts live in the store)
    assert list(tmp_path.glob("*.sqlite")) == []


def test_journal_option_must_name_an_existing_journal(
    server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(2))
    done = run_cli(server, src, "--journal", str(tmp_path / "typo.journal.sqlite"))
    _refused(done, server)
    assert "--journal" in done.stderr
