"""`python bench/child.py ARGS...` = `batchcount ARGS...`, plus phase timestamps for the bench.

The CLI runs unchanged in this process; a few stage functions are wrapped to record when they
start and end (wall clock, comparable with the parent's spawn time in BENCH_T0), and the
workbook-writing phase also records RSS before it and the peak during it (VmHWM is reset with
/proc/self/clear_refs just before writing). The JSON goes to the file named by BENCH_PHASES.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

PHASES: dict[str, Any] = {"t0": float(os.environ.get("BENCH_T0", time.time()))}


def _status(key: str) -> float:
    """VmRSS / VmHWM of this process in MiB."""
    text = Path("/proc/self/status").read_text()
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) / 1024 if found else 0.0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _wrap(owner: Any, attr: str, phase: str, memory: bool = False) -> None:
    original = getattr(owner, attr, None)
    if original is None:
        return

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        entry = PHASES.setdefault(phase, {"start": time.time(), "seconds": 0.0, "calls": 0})
        began = time.perf_counter()
        if memory:
            entry["rss_before_mib"] = _status("VmRSS")
            entry["peak_before_mib"] = _status("VmHWM")
            entry["peak_reset"] = _reset_peak()
        try:
            return original(*args, **kwargs)
        finally:
            entry["seconds"] += time.perf_counter() - began
            entry["calls"] += 1
            entry["end"] = time.time()
            if memory:
                entry["peak_during_mib"] = _status("VmHWM")

    setattr(owner, attr, timed)


def _install() -> None:
    import batchcount.api.finish as finish
    import batchcount.api.job as job
    import batchcount.api.session as session
    import batchcount.cli.check as cli
    import batchcount.net.runner as runner

    PHASES["imported"] = time.time()
    for module in (cli, job):
        _wrap(module, "prepare", "prepare")
    for module in (cli, finish):
        _wrap(module, "write_output", "write", memory=True)
    _wrap(job, "finish", "finish")
    _wrap(runner.Runner, "run", "count")
    _wrap(session.StoreSession, "start", "store_lookup")


def main() -> None:
    _install()
    from batchcount.cli import main as cli_main

    code = 0
    try:
        cli_main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    finally:
        PHASES["exit"] = time.time()
        write = PHASES.get("write", {})
        PHASES["peak_rss_mib"] = max(_status("VmHWM"), write.get("peak_before_mib", 0.0))
        target = os.environ.get("BENCH_PHASES")
        if target:
            with contextlib.suppress(OSError):
                Path(target).write_text(json.dumps(PHASES))
    raise SystemExit(code)


def phase_seconds(phases: dict[str, Any], name: str) -> float | None:
    entry = phases.get(name)
    return None if not entry else float(entry["seconds"])


def since_spawn(phases: dict[str, Any], name: str, key: str = "start") -> float | None:
    entry: Any = phases.get(name)
    if entry is None:
        return None
    stamp = entry[key] if isinstance(entry, dict) else entry
    return float(stamp) - float(phases["t0"])


if __name__ == "__main__":
    main()
