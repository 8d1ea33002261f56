"""Issue 9, item 6: signals and pipes never cost what was counted.

Real subprocesses, real signals, against the loopback sandbox with latency:
- SIGHUP (and a real terminal hang-up: the pty closes, writes then fail with EIO) and SIGTERM
  mid-run: the answers in flight land, the workbook holds every answer, the store is whole,
  exit 130; `nohup` (SIGHUP ignored) is respected.
- A second signal of any kind abandons the requests in flight at once; they are reported as
  possibly billed and the workbook is still written.
- A signal while the workbook is being written: the write is finished, then exit 130 (never
  half a file); a Ctrl-C at the prompt stops at once with nothing sent.
- A reader that closes the pipe (`2>&1 | head -3`), or stdout/stderr closed from the start:
  the run goes on, the workbook is written, the exit code is the run's own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import sqlite3
import subprocess
import termios
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from test_crash import config, store_states
from test_faults import (
    TWICE,
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

import batchcount.api.finish
from batchcount.api.interrupts import HeldSignals
from batchcount.cli import main
from batchcount.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, EXIT_STOPPED
from batchcount.sandbox.server import start_sandbox


def _store_ok(path: Path) -> None:
    """The count store (conftest gives each test its own) is whole."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    finally:
        db.close()


def _complete(output: Path, rows: int) -> list[dict[str, Any]]:
    with zipfile.ZipFile(output) as zf:
        assert zf.testzip() is None
    out = results(output)
    assert len(out) == rows
    return out


def _read_until(stream: IO[bytes], wanted: bytes, timeout: float = 30) -> bytes:
    """Read a pipe until `wanted` shows up (without blocking past the deadline)."""
    seen = b""
    deadline = time.monotonic() + timeout
    fd = stream.fileno()
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, seen.decode(errors="replace")
        ready, _, _ = select.select([fd], [], [], min(left, 0.1))
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, seen.decode(errors="replace")  # closed before it came
            seen += chunk
    return seen


# --- SIGHUP and SIGTERM mid-run ----------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_hangup_or_term_mid_run_keeps_every_answer(tmp_path: Path, signum: signal.Signals) -> None:
    n = 30
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config(latency=0.3)) as srv:
        proc = subprocess.Popen(
            command(src, "--concurrency", "4"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env_for(srv),
        )
        wait_for(lambda: srv.stats.snapshot()["ok_answers"] >= 4)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
        text = err.decode()
        assert proc.returncode == EXIT_INTERRUPTED, text
        assert f"interrupted ({signum.name})" in text and "Traceback" not in text
        snap = settled(srv)
        out = _complete(output, n)
        statuses = Counter(r["status"] for r in out)
        # the answers in flight landed within the grace: every billed answer is in the workbook
        assert statuses["ok"] == snap["ok_answers"] and 0 < statuses["ok"] < n
        assert set(store_states()) <= {"done", "failed"}
        _store_ok(Path(os.environ["BATCHCOUNT_STORE"]))
        srv.config.latency = 0.0
        again = run_cli(srv, src, "--concurrency", "4")
        assert again.returncode == 0, again.stderr
        snap = settled(srv)
    assert max(snap["answered_bodies"].values()) == 1  # nothing paid twice


def _drain(master: int, until: Callable[[], bool], timeout: float = 30) -> None:
    """Read what the child writes to its terminal until `until()` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            with contextlib.suppress(OSError):
                os.read(master, 65536)


def test_closing_the_terminal_hangs_up_and_the_workbook_is_still_written(tmp_path: Path) -> None:
    """A real hang-up: the child's controlling terminal is a pty whose master we close. The
    kernel sends SIGHUP, and every later write to the terminal fails with EIO."""
    n = 30
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    master, slave = pty.openpty()

    def controlling_terminal() -> None:  # runs in the child, after setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    with start_sandbox(config(latency=0.3)) as srv:
        argv = [a for a in command(src, "--concurrency", "4") if a != "-q"]  # a live bar
        proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env_for(srv),
            start_new_session=True,
            preexec_fn=controlling_terminal,
        )
        os.close(slave)
        try:
            _drain(master, lambda: srv.stats.snapshot()["ok_answers"] >= 4)
        finally:
            os.close(master)  # the terminal goes away
        proc.wait(timeout=30)
        assert proc.returncode == EXIT_INTERRUPTED
        snap = settled(srv)
        statuses = Counter(r["status"] for r in _complete(output, n))
        assert statuses["ok"] == snap["ok_answers"] and 0 < statuses["ok"] < n
        assert set(store_states()) <= {"done", "failed"}
        _store_ok(Path(os.environ["BATCHCOUNT_STORE"]))


def test_nohup_keeps_sighup_ignored(tmp_path: Path) -> None:
    n = 12
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    with start_sandbox(config(latency=0.2)) as srv:
        proc = subprocess.Popen(
            command(src, "--concurrency", "3"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env_for(srv),
            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # what nohup does
        )
        wait_for(lambda: srv.stats.snapshot()["ok_answers"] >= 2)
        proc.send_signal(signal.SIGHUP)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == EXIT_OK, err.decode()
    assert [r["status"] for r in results(tmp_path / "in.counted.xlsx")] == ["ok"] * n


# --- a second signal abandons the requests in flight ---------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (signal.SIGTERM, signal.SIGINT),
        (signal.SIGHUP, signal.SIGINT),
        (signal.SIGINT, signal.SIGTERM),
    ],
    ids=["term-then-int", "hup-then-int", "int-then-term"],
)
def test_second_signal_abandons_in_flight_and_still_writes(
    tmp_path: Path, first: signal.Signals, second: signal.Signals
) -> None:
    n, concurrency = 9, 3
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config(latency=1.0)) as srv:
        proc = subprocess.Popen(
            command(src, "--concurrency", str(concurrency), "--timeout", "30"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env_for(srv),
        )
        wait_for(lambda: srv.stats.snapshot()["in_flight"] == concurrency)
        started = time.monotonic()
        proc.send_signal(first)
        time.sleep(0.3)
        proc.send_signal(second)
        _, err = proc.communicate(timeout=30)
        text = err.decode()
        assert proc.returncode == EXIT_INTERRUPTED, text
        assert time.monotonic() - started < 5  # far less than --timeout 30
        assert "Stopped waiting" in text and "Traceback" not in text
        out = _complete(output, n)
        assert [r["status"] for r in out] == ["skipped"] * n
        flagged = [r for r in out if "in flight when the run stopped" in str(r["message"])]
        assert len(flagged) == concurrency
        assert summary(output)[TWICE] == concurrency
        # not waited for: the answers (due 1 s after sending) never reached the store
        assert store_states()["sent"] == concurrency
        settled(srv)


# --- a signal while the workbook is written; Ctrl-C at the prompt ------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_during_the_final_write_finishes_it_then_exits_130(
    tmp_path: Path, signum: signal.Signals
) -> None:
    rows = [[f"Seg {i}", f"Title {i % 100}", "vp", "France", "51-200"] for i in range(10_000)]
    src = write_csv(tmp_path / "in.csv", rows)
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config()) as srv:
        proc = subprocess.Popen(
            command(src, "--concurrency", "20"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env_for(srv),
        )
        temp = f".{output.name}.tmp-{proc.pid}"  # the workbook's (the precheck's is .probe-)
        deadline = time.monotonic() + 60
        # the output precheck writes a probe under the same name before anything is sent:
        # the write phase is the temp file once every count is answered
        while not (srv.stats.snapshot()["ok_answers"] == 100 and (tmp_path / temp).exists()):
            assert proc.poll() is None and time.monotonic() < deadline, "no write phase seen"
            time.sleep(0.002)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        text = err.decode()
        snap = settled(srv)
    assert proc.returncode == EXIT_INTERRUPTED, text
    assert "Traceback" not in text
    assert "while the workbook was being written: it was finished first" in text
    out = _complete(output, len(rows))  # whole: every row, a valid zip
    assert Counter(r["status"] for r in out) == {"ok": len(rows)}
    assert not list(tmp_path.glob(f".{output.name}.tmp-*"))
    assert set(store_states()) == {"done"}
    assert snap["ok_answers"] == 100


@pytest.mark.parametrize(
    "presses", [[signal.SIGINT], [signal.SIGINT, signal.SIGINT, signal.SIGTERM]]
)
def test_presses_during_the_write_in_process(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    presses: list[signal.Signals],
) -> None:
    """Deterministic: the signals are sent from inside the write. It completes anyway."""
    real = batchcount.api.finish.write_output

    def write_while_pressed(
        path: Path, headers: Any, rows: Any, summary_source: Any, *args: Any, **kwargs: Any
    ) -> None:
        def pressed() -> Iterator[Any]:
            for i, row in enumerate(rows):
                if i == 2:
                    for signum in presses:
                        os.kill(os.getpid(), signum)
                        time.sleep(0.02)  # delivered, and handled, mid-write
                yield row

        real(path, headers, pressed(), summary_source, *args, **kwargs)  # columns, chart, matrix

    monkeypatch.setattr(batchcount.api.finish, "write_output", write_while_pressed)
    n = 8
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    with start_sandbox(config()) as srv:
        monkeypatch.setenv("GENERECT_API_KEY", "test_faults_0123456789")
        monkeypatch.setenv("GENERECT_API_BASE", srv.url)
        before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
        with pytest.raises(SystemExit) as stop:
            main(["run", str(src), "--yes", "-q"])
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    err = capsys.readouterr().err
    assert stop.value.code == EXIT_INTERRUPTED, err
    assert "while the workbook was being written: it was finished first" in err
    assert [r["status"] for r in _complete(tmp_path / "in.counted.xlsx", n)] == ["ok"] * n


def test_ctrl_c_at_the_prompt_stops_at_once_with_nothing_sent(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(5))
    with start_sandbox(config()) as srv:
        argv = [a for a in command(src) if a != "--yes"]
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env_for(srv),
        )  # fmt: skip
        assert proc.stderr is not None
        seen = _read_until(proc.stderr, b"Proceed? [y/N]")
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
        text = (seen + rest).decode()
        assert proc.returncode == EXIT_INTERRUPTED, text
        assert "(Ctrl-C): nothing more was sent." in text
        assert "Traceback" not in text
        assert srv.stats.snapshot()["count_requests"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


# --- pipes -----------------------------------------------------------------------------------


def test_reader_closing_the_pipe_does_not_stop_the_counting(tmp_path: Path) -> None:
    """`batchcount run ... 2>&1 | head -3`, with the reader in this test."""
    n = 20
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    with start_sandbox(config(latency=0.2)) as srv:
        argv = [a for a in command(src, "--concurrency", "4") if a != "-q"]
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env_for(srv)
        )
        assert proc.stdout is not None
        head = [proc.stdout.readline() for _ in range(3)]
        proc.stdout.close()  # the reader is gone: every later write hits EPIPE
        assert proc.wait(timeout=60) == EXIT_OK
        snap = settled(srv)
    assert all(head) and b"Traceback" not in b"".join(head)
    assert [r["status"] for r in _complete(tmp_path / "in.counted.xlsx", n)] == ["ok"] * n
    assert snap["ok_answers"] == n
    assert set(store_states()) == {"done"}


def test_real_head_in_a_shell_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 12
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    with start_sandbox(config(latency=0.1)) as srv:
        argv = " ".join(f"'{a}'" for a in command(src, "--concurrency", "3") if a != "-q")
        done = subprocess.run(
            ["bash", "-c", f"{argv} 2>&1 | head -3; exit ${{PIPESTATUS[0]}}"],
            capture_output=True,
            env=env_for(srv),
            timeout=60,
        )
    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    assert len(done.stdout.splitlines()) == 3 and done.stderr == b""
    assert [r["status"] for r in results(tmp_path / "in.counted.xlsx")] == ["ok"] * n


def test_failing_run_through_a_closed_pipe_keeps_its_exit_code(tmp_path: Path) -> None:
    """The exit code stays honest when nobody reads: here the key is rejected (3)."""
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    with start_sandbox(config()) as srv:
        env = env_for(srv) | {"GENERECT_API_KEY": "test_wrong_key_0123456789"}
        argv = [a for a in command(src) if a != "-q"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        assert proc.stdout is not None
        proc.stdout.readline()
        proc.stdout.close()
        assert proc.wait(timeout=60) == EXIT_STOPPED


def _close_std_fds() -> None:
    os.close(1)
    os.close(2)
    os.close(0)


def test_closed_stdout_stderr_and_stdin_from_the_start(tmp_path: Path) -> None:
    """`batchcount run ... <&- >&- 2>&-`: no stray text lands in the store or the workbook
    (which would otherwise get descriptors 1 and 2)."""
    n = 10
    src = write_xlsx(tmp_path / "in.xlsx", segments(n))
    with start_sandbox(config(latency=0.05)) as srv:
        proc = subprocess.Popen(
            [a for a in command(src) if a != "-q"], env=env_for(srv), preexec_fn=_close_std_fds
        )
        assert proc.wait(timeout=60) == EXIT_OK
    assert [r["status"] for r in _complete(tmp_path / "in.counted.xlsx", n)] == ["ok"] * n
    _store_ok(Path(os.environ["BATCHCOUNT_STORE"]))


def test_prompt_with_stdin_closed_is_a_no(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(3))
    with start_sandbox(config()) as srv:
        proc = subprocess.run(
            [a for a in command(src) if a != "--yes"],
            env=env_for(srv),
            capture_output=True,
            preexec_fn=lambda: os.close(0),
            timeout=60,
        )
        assert srv.stats.snapshot()["count_requests"] == 0
    assert proc.returncode == EXIT_STOPPED, proc.stderr
    assert b"no answer" in proc.stderr and b"Traceback" not in proc.stderr


# --- the rules, in process -----------------------------------------------------------------------


def test_held_signals_settle_the_exit_code() -> None:
    notes: list[str] = []
    held = HeldSignals()
    assert held.settle(EXIT_OK, notes.append) == EXIT_OK and notes == []
    held.received.append(signal.SIGTERM)
    assert held.settle(EXIT_OK, notes.append) == EXIT_INTERRUPTED
    assert held.settle(EXIT_PROBLEMS, notes.append) == EXIT_INTERRUPTED
    assert held.settle(EXIT_STOPPED, notes.append) == EXIT_STOPPED  # it had stopped already
    assert "SIGTERM" in notes[0] and "finished first" in notes[0]


def test_held_signals_leave_ignored_signals_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        held = HeldSignals()
        with held:
            held.hold()
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) == held._handler
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
        assert held.received == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
