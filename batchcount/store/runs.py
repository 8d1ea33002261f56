"""The runs table: one row per run that counted (or reused) anything, for `history` and for
"this output has cost $2.00 over 2 earlier runs"."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from batchcount import __version__
from batchcount.store.db import Database
from batchcount.store.liveness import RunLock, is_alive
from batchcount.store.records import Scope


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str  # run | import
    started: float
    finished: float | None
    input: str | None
    output: str | None
    mode: str
    base: str
    test: bool
    counted_new: int
    reused: int
    failed: int
    preflight_skipped: int
    spent: float
    exit_code: int | None
    version: str
    note: str | None
    running: bool = False  # not finished, and its process still holds its lock


@dataclass(frozen=True)
class OutputCost:
    runs: int
    spent: float


class ActiveRun:
    """A run registered in the store; holds the lock that tells others it is alive."""

    def __init__(self, db: Database, run_id: int) -> None:
        self.db = db
        self.id = run_id
        self._lock = RunLock(db.path, run_id)

    def add(self, reused: int = 0, preflight_skipped: int = 0) -> None:
        self.db.transaction(
            lambda conn: conn.execute(
                "UPDATE runs SET reused = reused + ?, preflight_skipped = preflight_skipped + ? "
                "WHERE id = ?",
                (reused, preflight_skipped, self.id),
            )
        )

    def finish(self, exit_code: int, failed: int, test_mode: bool = False) -> None:
        """`test_mode`: the API answered in test mode (a live-looking key on a test server)."""
        try:
            self.db.transaction(
                lambda conn: conn.execute(
                    "UPDATE runs SET finished = ?, exit_code = ?, failed = ?, "
                    "test = max(test, ?) WHERE id = ?",
                    (time.time(), exit_code, failed, int(test_mode), self.id),
                )
            )
        finally:
            self._lock.release()

    def release(self) -> None:
        self._lock.release()


def begin_run(
    db: Database, scope: Scope, input_path: Path, output: Path | None, kind: str = "run"
) -> ActiveRun:
    """`output` None: a run that writes no file (the Python API's in-memory results)."""

    def work(conn: sqlite3.Connection) -> int:
        cursor = conn.execute(
            "INSERT INTO runs (kind, started, input, output, mode, base, test, version, pid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind,
                time.time(),
                str(_absolute(input_path)),
                None if output is None else str(_absolute(output)),
                scope.mode,
                scope.base,
                int(scope.test),
                __version__,
                os.getpid(),
            ),
        )
        return int(cursor.lastrowid or 0)

    return ActiveRun(db, db.transaction(work))


def output_cost(db: Database, output: Path, test: bool) -> OutputCost:
    """What earlier runs of the same kind spent writing this output."""
    row = db.read(
        lambda conn: conn.execute(
            "SELECT count(*), coalesce(sum(spent), 0) FROM runs WHERE output = ? AND test = ? "
            "AND (counted_new > 0 OR reused > 0 OR spent > 0)",
            (str(_absolute(output)), int(test)),
        ).fetchone()
    )
    return OutputCost(int(row[0]), float(row[1]))


def list_runs(db: Database, since: float | None = None) -> list[RunRow]:
    rows = db.read(
        lambda conn: conn.execute(
            "SELECT id, kind, started, finished, input, output, mode, base, test, counted_new, "
            "reused, failed, preflight_skipped, spent, exit_code, version, note FROM runs "
            "WHERE started >= ? ORDER BY started, id",
            (since if since is not None else float("-inf"),),
        ).fetchall()
    )
    found = []
    for r in rows:
        finished = None if r[3] is None else float(r[3])
        found.append(
            RunRow(
                id=int(r[0]),
                kind=str(r[1]),
                started=float(r[2]),
                finished=finished,
                input=r[4],
                output=r[5],
                mode=str(r[6]),
                base=str(r[7]),
                test=bool(r[8]),
                counted_new=int(r[9]),
                reused=int(r[10]),
                failed=int(r[11]),
                preflight_skipped=int(r[12]),
                spent=float(r[13]),
                exit_code=None if r[14] is None else int(r[14]),
                version=str(r[15]),
                note=r[16],
                running=finished is None and str(r[1]) == "run" and is_alive(db.path, int(r[0])),
            )
        )
    return found


def _absolute(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
