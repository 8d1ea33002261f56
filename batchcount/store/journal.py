"""The write-ahead journal that makes resume exact.

SQLite in WAL mode beside the output. Each request is recorded as `sent` (committed) before it
goes out, and as `done` or `failed` when its answer arrives. A rerun reuses every `done` answer,
retries `failed` ones, and re-sends `sent` ones (a crash hit them mid-flight: they may have been
billed, so they are reported). Keyed by (fingerprint, mode), so re-sorted or edited sheets still
resume. The API key is never stored here.

`rebilled` counts, per segment, the attempts that went out and got no answer (timeouts, dropped
connections, a crash or a stop while in flight): each may have been billed without a receipt,
so the output reports them as "possibly billed twice". A write that fails raises JournalError:
the run stops rather than send anything unrecorded.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from batchcount import __version__
from batchcount.errors import Cancelled, JournalError
from batchcount.store.lock import exclusive

__all__ = ["Entry", "Journal", "exclusive", "journal_path", "remove_journal"]

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
    answered_at: float | None = None  # epoch seconds of the answer (done/failed)


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
            tables = {
                str(r[0])
                for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if tables and not {"meta", "requests"} <= tables:
                raise sqlite3.DatabaseError("an SQLite database, but not a batchcount journal")
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
            # a truncated or overwritten file fails here, before anything is sent
            check = self._db.execute("PRAGMA quick_check").fetchall()
            if [tuple(r) for r in check] != [("ok",)]:
                raise sqlite3.DatabaseError(f"integrity check failed: {check[0][0]}")
        except JournalError:
            with contextlib.suppress(Exception):
                self._db.close()
            raise
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(Exception):
                self._db.close()
            raise _damaged(path, exc) from None

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        with self._lock:
            try:
                return self._meta(key)
            except sqlite3.DatabaseError as exc:
                raise _damaged(self.path, exc) from None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            try:
                self._set_meta(key, value)
            except sqlite3.DatabaseError as exc:
                raise _unwritable(self.path, exc) from None

    def entries(self, mode: str) -> dict[str, Entry]:
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT fp, state, results_count, amount, message, sends, rebilled, "
                    "test_mode, answered_at FROM requests WHERE mode = ?",
                    (mode,),
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                raise _damaged(self.path, exc) from None
        return {
            r[0]: Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8]) for r in rows
        }

    def modes(self) -> dict[str, int]:
        """Segments held per mode."""
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT mode, count(*) FROM requests GROUP BY mode"
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                raise _damaged(self.path, exc) from None
        return {str(m): int(n) for m, n in rows}

    def settle_unanswered(self, mode: str) -> list[str]:
        """At the start of a run: requests left `sent` by a crash or an abandoned stop may
        have been billed. Count that attempt in `rebilled` and mark them `failed` (to be
        re-sent), in one transaction. Returns their fingerprints."""
        message = "in flight when an earlier run stopped: it may have been billed"
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    fps = [
                        str(r[0])
                        for r in self._db.execute(
                            "SELECT fp FROM requests WHERE mode = ? AND state = 'sent'", (mode,)
                        )
                    ]
                    self._db.execute(
                        "UPDATE requests SET state = 'failed', rebilled = rebilled + 1, "
                        "message = ? WHERE mode = ? AND state = 'sent'",
                        (message, mode),
                    )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.DatabaseError as exc:
                raise _unwritable(self.path, exc) from None
        return fps

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        try:
            self._db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            # A full disk or a file-size limit (ulimit -f) stops the WAL from growing; a
            # checkpoint moves it into the database and empties it, which often makes room
            # for this record (an answer already paid for) and many more.
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._db.execute(sql, args)
            except sqlite3.DatabaseError:
                raise _unwritable(self.path, exc) from None

    def mark_sent(self, fp: str, mode: str, body: str) -> None:
        """Committed before the request goes out."""
        with self._lock:
            if self._closed:  # the run has stopped: nothing goes out unrecorded
                raise Cancelled()
            self._write(
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
        results_count: int | None,
        amount: float,
        rebilled: int,
        test_mode: bool,
        message: str | None = None,
    ) -> None:
        """Answered: never sent again. `results_count` None: the answer was billed but its
        count unusable (`message` says why); it stays answered, so no rerun pays again."""
        with self._lock:
            if self._closed:  # a straggler thread after the run stopped waiting
                return
            self._write(
                "UPDATE requests SET state = 'done', results_count = ?, amount = ?, "
                "rebilled = rebilled + ?, test_mode = ?, answered_at = ?, message = ? "
                "WHERE fp = ? AND mode = ?",
                (results_count, amount, rebilled, int(test_mode), time.time(), message, fp, mode),
            )

    def mark_failed(self, fp: str, mode: str, message: str, rebilled: int = 0) -> None:
        with self._lock:
            if self._closed:  # a straggler thread after the run stopped waiting
                return
            self._write(
                "UPDATE requests SET state = 'failed', message = ?, rebilled = rebilled + ?, "
                "answered_at = ? WHERE fp = ? AND mode = ?",
                (message, rebilled, time.time(), fp, mode),
            )

    def is_empty(self) -> bool:
        """No request was ever recorded (a run that sent nothing)."""
        with self._lock:
            if self._closed:
                return False
            try:
                return self._db.execute("SELECT 1 FROM requests LIMIT 1").fetchone() is None
            except sqlite3.DatabaseError:
                return False

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()


# The machine refused a read or a write (a full disk, `ulimit -f`, a read-only folder): the
# file may be perfectly good, so never tell the user to delete it (and pay again).
_NOT_THE_FILE = ("SQLITE_IOERR", "SQLITE_FULL", "SQLITE_READONLY", "SQLITE_PERM")


def _damaged(path: Path, exc: sqlite3.Error) -> JournalError:
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
        return JournalError(
            f"the journal {path} cannot be opened ({exc}). Check that the output folder is "
            "writable, or choose another -o."
        )
    if str(getattr(exc, "sqlite_errorname", "")).startswith(_NOT_THE_FILE):
        return JournalError(
            f"the journal {path} cannot be used: this machine refused to write beside it "
            f"({exc}; a full disk, a file-size limit (ulimit -f) or a read-only folder). "
            "Nothing was sent, and the journal was not changed: keep it. Make room or raise "
            "the limit, then rerun the same command; nothing it holds is paid for again."
        )
    return JournalError(
        f"the journal {path} is damaged or is not a batchcount journal ({exc}). Nothing was "
        "sent. Move it away (or delete it) to start over, or rerun with --fresh; the answers "
        "it held would then be requested, and paid for, again."
    )


def _unwritable(path: Path, exc: sqlite3.Error) -> JournalError:
    return JournalError(
        f"the journal {path} could not be written ({exc}), so the run stopped: nothing goes "
        "out unrecorded. Free some disk space, raise the file-size limit (ulimit -f) or fix "
        "the folder's permissions, then rerun the same command to resume."
    )


def remove_journal(path: Path) -> None:
    """For --fresh: drop the journal and its WAL side files."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
