"""The signals that stop a run, and their names in messages.

Ctrl-C first; then the ones that want the process gone soon (a service manager's SIGTERM, a
closed terminal's SIGHUP), for which the runner waits only a short grace for the answers in
flight. Platforms without SIGHUP (Windows) simply do not list it.
"""

from __future__ import annotations

import signal

STOP_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
HURRIED = frozenset(s for s in STOP_SIGNALS if s != signal.SIGINT)


def signal_name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
