"""Is the run that left a request `sent` still running?

Several processes share the store, so a `sent` record is either in flight right now (another
run is waiting for its answer: do not send it again) or left by a run that crashed (re-send
it, reported as possibly billed twice). Each run holds an OS lock on a small file of its own
beside the store for as long as it runs; the kernel drops the lock when the process dies, so
"can I take that lock?" answers "is it dead?" without trusting pids or clocks.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO, Any


def runs_folder(store: Path) -> Path:
    return store.with_name(store.name + ".runs")


def _lock_file(store: Path, run_id: int) -> Path:
    return runs_folder(store) / f"run-{run_id}.lock"


def _try_lock(handle: IO[Any]) -> bool:
    """Take an exclusive lock without waiting; False if someone else holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        # flock, not lockf: it belongs to this open file, so another handle in the same
        # process (a second run through the Python API) sees it as held too
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class RunLock:
    """Held by a run from its first request to its end."""

    def __init__(self, store: Path, run_id: int) -> None:
        self.path = _lock_file(store, run_id)
        self._handle: IO[Any] | None = None
        for _ in range(5):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                handle = open(self.path, "a+")  # noqa: SIM115 - held until release()
            except OSError:
                return  # best effort: other runs then treat ours as stopped (and say so)
            if _try_lock(handle) and _same_file(handle, self.path):
                self._handle = handle
                return
            # a checker took it for a dead run's leftover and removed it meanwhile: again
            handle.close()

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still holding it: nobody can mistake a new file
        handle.close()


def _same_file(handle: IO[Any], path: Path) -> bool:
    try:
        return os.fstat(handle.fileno()).st_ino == path.stat().st_ino
    except OSError:
        return False


def is_alive(store: Path, run_id: int) -> bool:
    """True while the run holds its lock (checked without disturbing it)."""
    path = _lock_file(store, run_id)
    try:
        handle = open(path, "r+")  # noqa: SIM115 - closed below
    except OSError:
        return False  # never locked, or released and removed: not running
    try:
        if _try_lock(handle):
            with contextlib.suppress(OSError):
                os.unlink(path)  # a crashed run's leftover: tidy it
            return False
        return True
    finally:
        handle.close()
