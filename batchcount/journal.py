"""The write-ahead journal that makes resume exact.

SQLite in WAL mode beside the output. Each request is recorded as `sent` (committed) before it
goes out, and as `done` or `failed` when its answer arrives. A rerun reuses every `done` answer,
retries `failed` ones, and re-sends `sent` ones (a crash hit them mid-flight: they may have been
billed, so they are reported). Keyed by (fingerprint, mode), so re-sorted or edited sheets still
resume. The API key is never stored here.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from batchcount import __version__
from batchcount.errors import JournalError
from batchcount.throttle import Cancelled

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    fp TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sent', 'done', 'failed')),
    body TEXT NOT NULL,
    results_count INTEGER,
    amount REAL,
    message TEXT,
    sends INTEGER NOT NULL DEFAULT 0,
    rebilled INTEGER NOT NULL DEFAULT 0,
    test_mode INTEGER NOT NULL DEFAULT 0,
    sent_at REAL,
    answered_at REAL,
    PRIMARY KEY (fp, mode)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Entry:
    fp: str
    state: str  # sent | done | failed
    results_count: int | None
    amount: float | None
    message: str | None
    sends: int
    rebilled: int
    test_mode: bool


def journal_path(output: Path) -> Path:
    """`segments.counted.xlsx` -> `segments.counted.journal.sqlite`, beside the output."""
    return output.with_name(output.stem + ".journal.sqlite")


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._closed = False
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL survives a process crash (what resume protects against); only
            # a power cut could lose the last commits.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            version = self._meta("schema")
            if version is None:
                self._set_meta("schema", SCHEMA_VERSION)
                self._set_meta("created", time.strftime("%Y-%m-%d %H:%M:%S"))
                self._set_meta("created_by", f"batchcount {__version__}")
            elif version != SCHEMA_VERSION:
                raise JournalError(
                    f"{path} was written by another batchcount version (schema {version}). "
                    "Move it away, or rerun with --fresh to start over."
                )
            self._db.execute("SELECT count(*) FROM requests").fetchone()
        except sqlite3.DatabaseError as exc:
            raise JournalError(
                f"the journal {path} is damaged or is not a batchcount journal ({exc}). "
                "Move it away to start over (answers it held would be requested again), or "
                "rerun with --fresh."
            ) from None

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta(key)

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._set_meta(key, value)

    def entries(self, mode: str) -> dict[str, Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT fp, state, results_count, amount, message, sends, rebilled, test_mode "
                "FROM requests WHERE mode = ?",
                (mode,),
            ).fetchall()
        return {r[0]: Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7])) for r in rows}

    def mark_sent(self, fp: str, mode: str, body: str) -> None:
        """Committed before the request goes out."""
        with self._lock:
            if self._closed:  # the run has stopped: nothing goes out unrecorded
                raise Cancelled()
            self._db.execute(
                "INSERT INTO requests (fp, mode, state, body, sends, sent_at) "
                "VALUES (?, ?, 'sent', ?, 1, ?) "
                "ON CONFLICT (fp, mode) DO UPDATE SET state = 'sent', sends = sends + 1, "
                "sent_at = excluded.sent_at, message = NULL",
                (fp, mode, body, time.time()),
            )

    def mark_done(
        self,
        fp: str,
        mode: str,
        results_count: int,
        amount: float,
        rebilled: int,
        test_mode: bool,
    ) -> None:
        with self._lock:
            if self._closed:  # a straggler thread after the run stopped waiting
                return
            self._db.execute(
                "UPDATE requests SET state = 'done', results_count = ?, amount = ?, "
                "rebilled = rebilled + ?, test_mode = ?, answered_at = ?, message = NULL "
                "WHERE fp = ? AND mode = ?",
                (results_count, amount, rebilled, int(test_mode), time.time(), fp, mode),
            )

    def mark_failed(self, fp: str, mode: str, message: str, rebilled: int = 0) -> None:
        with self._lock:
            if self._closed:  # a straggler thread after the run stopped waiting
                return
            self._db.execute(
                "UPDATE requests SET state = 'failed', message = ?, rebilled = rebilled + ?, "
                "answered_at = ? WHERE fp = ? AND mode = ?",
                (message, rebilled, time.time(), fp, mode),
            )

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()


def remove_journal(path: Path) -> None:
    """For --fresh: drop the journal and its WAL side files."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
