"""Ctrl-C, SIGTERM and SIGHUP over a whole run: every press counts, none cuts a write.

Two behaviours, one set of handlers:
- *raising* (before anything is sent: reading, the estimate, the prompt): a signal raises
  KeyboardInterrupt at once; nothing was spent, so stopping on the spot loses nothing.
- *held* (from the first request to the end of the command): a signal is only recorded.
  The runner reads the same record (first signal: stop sending and let the answers in flight
  land; second: abandon them), and the workbook and the journal are always written in full;
  a signal that arrives while they are written turns the exit code into 130 afterwards.

A signal the process was started with ignored (`nohup` ignores SIGHUP; background jobs of a
script ignore SIGINT) stays ignored.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import Any

from batchcount.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS
from batchcount.net.signals import STOP_SIGNALS, signal_name


class HeldSignals:
    """Records SIGINT/SIGTERM/SIGHUP in `received` (shared with the Runner)."""

    def __init__(self, raising: bool = False) -> None:
        self.received: list[int] = []
        self._raising = raising
        self._installed = False
        self._previous: dict[int, Any] = {}

    # -- installing ---------------------------------------------------------------------------
    def __enter__(self) -> HeldSignals:
        if self._raising:
            self._install()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self._raising:
            raise KeyboardInterrupt

    def _install(self) -> None:
        if self._installed or threading.current_thread() is not threading.main_thread():
            return
        for signum in STOP_SIGNALS:
            with contextlib.suppress(ValueError, OSError):
                current = signal.getsignal(signum)
                if current is signal.SIG_IGN:  # nohup, or a background job: keep it so
                    continue
                self._previous[signum] = current
                signal.signal(signum, self._handler)
        self._installed = True

    def hold(self) -> None:
        """From now on, record only: nothing can cut the bookkeeping or a write."""
        self._raising = False
        self._install()

    @contextlib.contextmanager
    def raising(self) -> Iterator[None]:
        """While asking the user again (the canary's second question): a signal raises, as at
        the first prompt; nothing is being sent or written then."""
        before = self._raising
        self._raising = True
        try:
            yield
        finally:
            self._raising = before

    def release(self) -> None:
        for signum, previous in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signum, previous)
        self._previous.clear()
        self._installed = False

    # -- reading ------------------------------------------------------------------------------
    @property
    def last_name(self) -> str:
        return signal_name(self.received[-1]) if self.received else "Ctrl-C"

    def settle(self, code: int, notice: Callable[[str], None]) -> int:
        """The exit code once everything is written. A signal the runner did not act on (it
        came after the counting, while the workbook was written) turns a "finished" code
        (0/1) into 130; the write was completed first, which the notice says."""
        if self.received and code in (EXIT_OK, EXIT_PROBLEMS):
            notice(
                f"Interrupted ({signal_name(self.received[-1])}) while the workbook was being "
                "written: it was finished first, so it and the journal are complete."
            )
            return EXIT_INTERRUPTED
        return code
