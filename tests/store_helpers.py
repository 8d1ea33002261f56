"""Helpers for tests that drive the runner in-process: a count store and a run recording in it."""

from __future__ import annotations

import time
from pathlib import Path

from batchcount.store.db import Database
from batchcount.store.recorder import Recorder
from batchcount.store.records import Record, Scope, lookup
from batchcount.store.runs import ActiveRun, begin_run

SCOPE = Scope("realtime", "http://sandbox.test", True)


class RunRecorder(Recorder):
    """A Recorder with its run registered (and alive until `close`)."""

    active: ActiveRun

    def close(self) -> None:
        super().close()
        self.active.release()


def recorder_at(path: Path, scope: Scope = SCOPE, cutoff: float | None = None) -> RunRecorder:
    db = Database(path)
    active = begin_run(db, scope, path.with_suffix(".xlsx"), path.with_suffix(".counted.xlsx"))
    recorder = RunRecorder(db, scope, active.id, time.time() if cutoff is None else cutoff)
    recorder.active = active
    return recorder


def stored(recorder: Recorder) -> dict[str, Record]:
    """Every record in the recorder's scope."""
    fps = [
        str(r[0]) for r in recorder.db.read(lambda c: c.execute("SELECT fp FROM counts").fetchall())
    ]
    return lookup(recorder.db, recorder.scope, fps)
