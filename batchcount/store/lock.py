"""One run per output at a time: an OS lock held for the whole run.

Two runs writing the same output would both pay for the same segments; a marker file would
outlive a crash, an OS lock does not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from batchcount.errors import JournalError

__all__ = ["exclusive"]


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the journal's lock for a whole run: two runs on one output would both pay for
    the same segments. An OS lock (not a marker file), so a crash never leaves it held."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; one run at a time is then up to the user
        yield
        return
    lock_path = Path(str(path) + ".lock")
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise JournalError(
            f"cannot create {lock_path} ({exc.strerror}); check that the output folder is "
            "writable, or choose another -o."
        ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise JournalError(
                f"another batchcount run is using {path.name} (same output). Wait for it to "
                "finish, or choose another -o; running both would pay twice for the same rows."
            ) from None
        try:
            yield
        finally:
            # Tidy up while still holding it; a run that opened the old file meanwhile fails
            # its non-blocking lock attempt and says so, it never runs alongside.
            with contextlib.suppress(OSError):
                lock_path.unlink()
    finally:
        handle.close()  # releases the lock
