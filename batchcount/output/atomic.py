"""Atomic output files: write beside the target, fsync, then rename over it.

A crash, a bad row or a file locked by Excel never leaves a half-written file where the
results belong: the previous file (or none) stays until the new one is complete.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from batchcount.errors import OutputFileError

TEMP_SUFFIX = ".tmp-"  # .NAME.tmp-PID: the workbook being written
PROBE_SUFFIX = ".probe-"  # .NAME.probe-PID: the precheck's test write (api.preflight_output)


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """Yield a binary file that replaces `path` only if the block completes."""
    path = Path(path)
    if path.is_dir():
        raise OutputFileError(
            f"Cannot write {path}: it is a folder. Give a file name, e.g. -o results.xlsx."
        )
    folder = path.parent
    if not folder.is_dir():
        raise OutputFileError(
            f"Cannot write {path}: the folder {folder} does not exist. "
            "Create it or choose another -o."
        )
    tmp = folder / f".{path.name}{TEMP_SUFFIX}{os.getpid()}"
    try:
        fh = open(tmp, "wb")  # noqa: SIM115 - closed below, before the replace
    except OSError as exc:
        raise OutputFileError(
            f"Cannot write in the folder {folder} ({exc.strerror or exc}). Choose another -o."
        ) from exc
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputFileError(
                f"Cannot write {path} ({exc.strerror or exc}). If it is open in Excel or "
                "another program, close it in Excel or choose another -o."
            ) from exc
        _fsync_folder(folder)
    except OSError as exc:
        _remove_quietly(tmp)
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise OutputFileError(
                f"Cannot write {path}: the disk is full. Free some space or choose another -o."
            ) from exc
        if exc.errno == errno.EFBIG:  # `ulimit -f` (SIGXFSZ ignored, so the write fails)
            raise OutputFileError(
                f"Cannot write {path}: it would be larger than this system's file-size limit "
                "(ulimit -f). Raise the limit (ulimit -f unlimited) and rerun."
            ) from exc
        raise OutputFileError(
            f"Cannot write {path} ({exc.strerror or exc}). Check the folder and the disk, "
            "then rerun."
        ) from exc
    except BaseException:
        _remove_quietly(tmp)
        raise


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open folders, so best effort.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temp_files(output: Path) -> None:
    """A process killed while writing leaves `.NAME.tmp-PID` (atomic_output) or, while the
    output was probed, `.NAME.probe-PID` beside the output; remove those whose process is
    gone. POSIX only: elsewhere, signal 0 is not a harmless probe."""
    if os.name != "posix":
        return
    for suffix in (TEMP_SUFFIX, PROBE_SUFFIX):
        for tmp in output.parent.glob(f".{glob.escape(output.name)}{suffix}*"):
            pid_text = tmp.name.rpartition(suffix)[2]
            if not pid_text.isdigit() or int(pid_text) == os.getpid():
                continue
            try:
                os.kill(int(pid_text), 0)
            except ProcessLookupError:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            except OSError:
                pass  # alive, owned by someone else: leave it
