"""Small performance helpers shared by the stages."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many long-lived objects.

    Reading and checking a 100k-row sheet creates ~1M tracked objects (rows, bodies, checks);
    each full collection re-scans all of them, which cost a third of `check`'s CPU (bench/).
    On the way out they are frozen (moved out of the collector's reach, still freed by
    reference counting), so the next full collection does not scan them all once more (0.8 s
    of a 100k-row `check`); cycles among them are only reclaimed at exit, fine for a command.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
