"""Child processes for the benchmarks: the sandbox server, timed commands, their peak memory.

Everything listens on and talks to 127.0.0.1 only. Every process started here is stopped by the
context manager or the call that started it, also when the benchmark fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def compile_package() -> str:
    """Write the package's bytecode, as `pip install` does for every package it installs.

    An editable install skips that, and with PYTHONDONTWRITEBYTECODE set (as on these
    machines) every `batchcount` process would compile ~150 modules from source (~0.1 s),
    while polars, the yardstick's only import, is read from its installed bytecode."""
    import importlib.util

    spec = importlib.util.find_spec("batchcount")
    assert spec is not None and spec.submodule_search_locations
    where = next(iter(spec.submodule_search_locations))
    subprocess.run([PYTHON, "-m", "compileall", "-q", where], check=True)
    return where


@dataclass
class Timed:
    """One finished child: wall time from spawn to exit, its peak RSS, CPU, output."""

    wall: float
    peak_rss_mib: float
    cpu: float
    code: int
    stdout: str
    stderr: str
    phases: dict[str, Any] = field(default_factory=dict)


def run_timed(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 900.0,
    phases: bool = False,
    ok_codes: Sequence[int] = (0,),
) -> Timed:
    """Run `args`, measuring wall time and the child's own peak RSS (wait4 rusage)."""
    full_env = {**os.environ, **(env or {})}
    phase_file = None
    if phases:
        phase_file = Path(cwd or ROOT) / f".phases-{os.getpid()}-{time.monotonic_ns()}.json"
        full_env["BENCH_PHASES"] = str(phase_file)
    out_path = Path(cwd or ROOT) / f".out-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out_path}.1", "w+b") as out, open(f"{out_path}.2", "w+b") as err:
        full_env["BENCH_T0"] = repr(time.time())
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=full_env, cwd=cwd, stdout=out, stderr=err)
        try:
            status, usage = _wait4(proc.pid, timeout)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    for suffix in (".1", ".2"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    result = Timed(
        wall=wall,
        peak_rss_mib=usage.ru_maxrss / 1024,
        cpu=usage.ru_utime + usage.ru_stime,
        code=proc.returncode,
        stdout=stdout,
        stderr=stderr,
    )
    if phase_file is not None and phase_file.exists():
        result.phases = json.loads(phase_file.read_text())
        phase_file.unlink()
    if result.code not in ok_codes:
        raise RuntimeError(
            f"{' '.join(args)} exited {result.code}:\n{stderr[-2000:]}\n{stdout[-1000:]}"
        )
    return result


def _wait4(pid: int, timeout: float) -> tuple[int, Any]:
    deadline = time.monotonic() + timeout
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got == pid:
            return status, usage
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} still running after {timeout:g} s")
        time.sleep(0.005)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Sandbox:
    """`python -m batchcount sandbox` in its own process (its own GIL), on a free port.
    `extra`: more `batchcount sandbox` options (--latency-max, --max-parallel, ...)."""

    def __init__(self, latency: float, extra: Sequence[str] = ()) -> None:
        self.latency = latency
        self.extra = list(extra)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> Sandbox:
        args = [
            PYTHON,
            "-m",
            "batchcount",
            "sandbox",
            "--port",
            "0",
            "--latency",
            str(self.latency),
            *self.extra,
        ]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
        )
        assert self.proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 20
        line = b""
        while b"\n" not in line and time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        selector.close()
        text = line.decode(errors="replace")
        marker = "http://127.0.0.1:"
        if marker not in text:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {text!r}")
        port = int(text.split(marker, 1)[1].split()[0].rstrip("/").split("/")[0])
        self.url = f"http://127.0.0.1:{port}"
        return self

    def cpu(self) -> float:
        assert self.proc is not None
        return process_cpu(self.proc.pid)

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_sandbox/stats", timeout=30) as response:
            data: dict[str, Any] = json.loads(response.read())
        data.pop("answered_bodies", None)
        return data

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def sandbox(latency: float, extra: Sequence[str] = ()) -> Iterator[Sandbox]:
    server = Sandbox(latency, extra)
    server.start()
    try:
        yield server
    finally:
        server.stop()
