"""stdout and stderr that can never stop a run: a reader that went away costs only the text.

`batchcount run ... 2>&1 | head -3` closes the pipe after three lines; a closed terminal
(SIGHUP) makes every write fail with EIO; a full disk under `2> log.txt` fails with ENOSPC.
None of that may cost the counting: the first failed write turns the stream into a sink
(the file descriptor is pointed at the null device, so Python's own flush at exit is quiet
too), and the run goes on, writes its workbook and exits with its honest code.

Every write is also passed through `redact`: whatever prints (a library warning, click's own
usage errors), the API key cannot reach the terminal or a log file.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from batchcount.cli.common import redact


class QuietStream:
    """A text stream wrapper: redacts, and turns into a sink on the first failed write."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self.dead = stream is None

    # what click, tqdm and print() use ---------------------------------------------------------
    @property
    def encoding(self) -> str:
        return str(getattr(self._stream, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str:
        return str(getattr(self._stream, "errors", None) or "replace")

    def write(self, text: str) -> int:
        written = len(text)
        if self.dead or self._stream is None:
            return written
        text = redact(text)
        try:
            try:
                self._stream.write(text)
            except UnicodeEncodeError:  # an ASCII-only terminal: "?" rather than nothing
                self._stream.write(text.encode(self.encoding, "replace").decode(self.encoding))
        except (OSError, ValueError):  # EPIPE, EIO, ENOSPC; ValueError: closed by someone
            self._die()
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.dead or self._stream is None:
            return
        try:
            self._stream.flush()
        except (OSError, ValueError):
            self._die()

    def isatty(self) -> bool:
        if self.dead or self._stream is None:
            return False
        try:
            return bool(self._stream.isatty())
        except (OSError, ValueError):
            return False

    def writable(self) -> bool:
        return True

    @property
    def buffer(self) -> None:
        """No binary side door: every byte goes through `write` (redacted, never fatal)."""
        return None

    def fileno(self) -> int:
        if self._stream is None:
            raise OSError("no stream")
        return self._stream.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _die(self) -> None:
        """Point the descriptor at the null device: the text still buffered in the real
        stream (and anything written at exit) then goes nowhere instead of failing again."""
        self.dead = True
        stream = self._stream
        if stream is None:
            return
        with contextlib.suppress(OSError, ValueError, AttributeError):
            fd = stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, fd)
            finally:
                os.close(null)
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def ensure_standard_fds() -> None:
    """Started with stdin, stdout or stderr closed (`batchcount run ... >&- 2>&-`)? Put the
    null device there before anything opens a file: otherwise the journal or the workbook
    could get descriptor 1 or 2, and a stray write meant for the terminal would land in it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:  # the lowest free descriptor is fd itself; be sure anyway
                os.dup2(null, fd)
                os.close(null)
    if sys.stdin is None:  # Python saw it closed at start-up: reads end at once (no answer)
        sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process


@contextlib.contextmanager
def quiet_streams() -> Iterator[tuple[QuietStream, QuietStream]]:
    """sys.stdout and sys.stderr wrapped for the duration of a command."""
    saved = sys.stdout, sys.stderr
    out, err = QuietStream(sys.stdout), QuietStream(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        out.flush()
        err.flush()
        sys.stdout, sys.stderr = saved
