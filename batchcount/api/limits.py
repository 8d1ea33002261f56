"""What this machine allows a run: open files for its connections, the size of a file; and
which paid answers a journal that could not be written failed to hold.

- Open files (`ulimit -n`): every connection in flight holds a socket. Above the limit,
  connections fail with EMFILE in the middle of a paid run; so the soft limit is raised
  toward the hard one first (what well-behaved tools do) and, if that is not enough,
  `--concurrency` is lowered with a note.
- File size (`ulimit -f`): by default a write past the limit kills the process (SIGXFSZ)
  between two store records. Ignored, the write fails with EFBIG instead, which the
  store and the workbook writer report like a full disk. This runs before the output
  precheck (api.preflight_output), so a limit still too small for its probe is refused
  there, before anything is sent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
from collections.abc import Mapping
from pathlib import Path

from batchcount.api.options import UI, RunOptions
from batchcount.net.runner import RunReport
from batchcount.store.records import Record

try:
    import resource
except ImportError:  # Windows: no rlimits
    resource = None  # type: ignore[assignment]

# stdio, the store (database, -wal, -shm, run lock), the output's lock, the input, the
# output and its temp file, the CA bundle while TLS loads it, Python's own, and headroom
FIXED_FILES = 48
PER_CONNECTION = 2  # its socket, and a second while a dropped connection is replaced
PER_CONNECTION_SANDBOX = 4  # the built-in sandbox serves the other end in this process


def files_needed(concurrency: int, sandbox: bool) -> int:
    return FIXED_FILES + concurrency * (PER_CONNECTION_SANDBOX if sandbox else PER_CONNECTION)


def fit_concurrency(
    concurrency: int, sandbox: bool, soft: int, hard: int, infinity: int
) -> tuple[int, int]:
    """(concurrency that fits, soft limit to ask for). Pure: the arithmetic alone."""
    need = files_needed(concurrency, sandbox)
    if soft == infinity or soft >= need:
        return concurrency, soft
    target = need if hard == infinity else min(need, hard)
    if target >= need:
        return concurrency, target
    per = PER_CONNECTION_SANDBOX if sandbox else PER_CONNECTION
    return max(1, (target - FIXED_FILES) // per), target


def open_files_note(options: RunOptions) -> tuple[int, str | None]:
    """The most requests in flight this machine's open-file limit allows, raising the soft
    limit first; a note when the number (--concurrency N, or --max-concurrency with auto) had
    to be lowered."""
    auto = options.concurrency == "auto"
    wanted = options.max_concurrency if auto else int(options.concurrency)
    flag = "--max-concurrency" if auto else "--concurrency"
    if resource is None:
        return wanted, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    inf = resource.RLIM_INFINITY
    fits, target = fit_concurrency(wanted, options.sandbox, soft, hard, inf)
    if target != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):  # e.g. macOS caps below the hard limit: fit the soft one
            fits, target = fit_concurrency(wanted, options.sandbox, soft, soft, inf)
    if fits >= wanted:
        return wanted, None
    need = files_needed(wanted, options.sandbox)
    return fits, (
        f"{flag} {wanted} needs about {need} open files, but this system allows {target} "
        f"(ulimit -n); using {flag} {fits}. To go faster, raise the limit (ulimit -n {need}) "
        "and rerun."
    )


def file_size_note() -> str | None:
    """Raise the file-size soft limit to the hard one; a note if a limit remains. Also makes
    a write past it fail (EFBIG) instead of killing the process."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGXFSZ"):
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(signal.SIGXFSZ) in (signal.SIG_DFL, None):
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    inf = resource.RLIM_INFINITY
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
            soft = hard
    if soft == inf:
        return None
    return (
        f"Note: files are limited to {_size(soft)} here (ulimit -f); a workbook or count store "
        "larger than that cannot be written. Raise it (ulimit -f unlimited) for big inputs."
    )


def fit_to_machine(options: RunOptions, ui: UI) -> RunOptions:
    """The options this machine can run, with a note for each change."""
    fits, note = open_files_note(options)
    for line in (note, file_size_note()):
        if line:
            ui.info(line)
    if note is None:
        return options
    if options.concurrency == "auto":
        return dataclasses.replace(options, max_concurrency=fits)
    return dataclasses.replace(options, concurrency=fits)


def _size(limit: int) -> str:
    return f"{limit / 2**20:.1f} MB" if limit >= 2**20 else f"{limit:,} bytes"


# --- answers the journal could not hold ------------------------------------------------------


def unrecorded_note(report: RunReport, entries: Mapping[str, Record], store: Path) -> str:
    """Answers paid for in this run that not even the count store could hold (a full disk),
    said honestly: the next run pays for them again. "" when every answer is in the store.
    The workbook-write error (api.preflight_output.write_failed) says it instead of "every
    count is safe"."""
    lost = sum(
        1
        for fp, outcome in report.outcomes.items()
        if outcome.status == "ok" and (fp not in entries or entries[fp].state != "done")
    )
    if not lost:
        return ""
    answers = "1 answer" if lost == 1 else f"{lost} answers"
    return (
        f"{answers} paid for in this run could not be recorded (the count store "
        f"{store} could not be written either): the next run counts them, and pays "
        "for them, again. Every other answer is safe in the store."
    )
