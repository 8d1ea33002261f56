"""The count store's database: opening, validating, creating, and retrying when busy.

One SQLite file per user (see `location`), shared by every run on the machine, so several
processes may use it at once: WAL mode (readers never block the writer), a busy timeout, short
transactions, and a few retries when SQLite still answers SQLITE_BUSY.

A file that is not a store we can use is never replaced or "repaired": 0 bytes, truncated,
damaged, another program's database, or written by a newer batchcount are each a StoreError
naming the file and the ways out, before anything is sent (exit 2).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from batchcount import __version__
from batchcount.errors import JournalError
from batchcount.store.schema import APPLICATION_ID, SCHEMA_VERSION, initialise

BUSY_TIMEOUT_S = 10.0  # SQLite waits this long for another process's write to finish
BUSY_RETRIES = 5  # then we retry the whole statement/transaction a few times
# A full integrity scan on every start costs ~0.2 s per 100k stored counts; above this size
# the cheap checks (header, size, tables) stand alone, and a damaged page met later is still
# a StoreError before anything is sent (lookups) or a stop (marks).
QUICK_CHECK_LIMIT = 64 * 1024 * 1024

T = TypeVar("T")

# The machine refused a read or a write (a full disk, `ulimit -f`, a read-only folder): the
# file may be perfectly good, so never tell the user to move it away (and pay again).
_NOT_THE_FILE = ("SQLITE_IOERR", "SQLITE_FULL", "SQLITE_READONLY", "SQLITE_PERM")


class StoreError(JournalError):
    """The count store cannot be used (damaged, foreign, newer, unwritable): exit 2."""


def store_choices() -> str:
    return (
        "Nothing was sent. Choices: --store OTHER.sqlite (or BATCHCOUNT_STORE) to use another "
        "store, or move the file away to start a new one (the counts it held would then be "
        "paid for again)."
    )


def file_problem(path: Path) -> str | None:
    """Why an existing file cannot be an SQLite database we may open, or None.

    Cheap checks SQLite itself does not make: it would silently treat a 0-byte file as a new
    empty database, and read a truncated one until it met the missing pages mid-run.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if size == 0:
        return "is empty (0 bytes): a copy or a write was cut short"
    if not header.startswith(b"SQLite format 3\x00"):
        return "is not an SQLite database (damaged, or another kind of file)"
    if len(header) < 100:
        return "is truncated (shorter than an SQLite header)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    change_counter = int.from_bytes(header[24:28], "big")
    pages = int.from_bytes(header[28:32], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    # The header's page count is trustworthy when written by SQLite >= 3.7.0 (valid_for
    # matches the change counter); the file must then hold every page. Unless a write-ahead
    # log sits beside it: a checkpoint cut short (a full disk, `ulimit -f`) leaves the file
    # shorter than its header says while the log still holds every page, and SQLite
    # completes it on the next open; refusing then would strand paid answers.
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    if pages and valid_for == change_counter and size < pages * page_size:
        return f"is truncated ({size} bytes, {pages * page_size} expected)"
    return None


def is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


class Database:
    """A connection to the store, safe to share between the threads of one process."""

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.closed = False
        if path.exists():
            problem = file_problem(path)
            if problem:
                raise StoreError(f"the count store {path} {problem}. {store_choices()}")
        elif create:
            _create(path)
        else:
            raise FileNotFoundError(path)
        try:
            self.conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise self.damaged(exc) from None
        try:
            self._check()
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
            raise

    def _check(self) -> None:
        try:
            app = int(self.conn.execute("PRAGMA application_id").fetchone()[0])
            version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {
                str(r[0])
                for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.Error as exc:
            raise self.damaged(exc) from None
        if app != APPLICATION_ID and tables:
            raise StoreError(
                f"the count store {self.path} is another program's SQLite database, not a "
                f"batchcount count store. {store_choices()}"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the count store {self.path} was written by a newer batchcount (store "
                f"version {version}; this is batchcount {__version__}, store version "
                f"{SCHEMA_VERSION}). Upgrade batchcount, or use another store: "
                f"{store_choices()}"
            )
        try:
            # only now that the file is known to be ours (never change another's database)
            if str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL: safe across a process crash
        except sqlite3.Error as exc:
            raise self.damaged(exc) from None
        if not tables:  # an empty SQLite file someone made for us: set it up
            self.transaction(initialise)
        if self.path.stat().st_size > QUICK_CHECK_LIMIT:
            return
        try:
            check = self.conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.Error as exc:
            raise self.damaged(exc) from None
        if [tuple(r) for r in check] != [("ok",)]:
            raise StoreError(
                f"the count store {self.path} is damaged (integrity check: {check[0][0]}). "
                f"{store_choices()}"
            )

    # -- errors ---------------------------------------------------------------------------
    def damaged(self, exc: sqlite3.Error) -> StoreError:
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
            return StoreError(
                f"the count store {self.path} cannot be opened ({exc}). Check that its folder "
                f"is writable. {store_choices()}"
            )
        if str(getattr(exc, "sqlite_errorname", "")).startswith(_NOT_THE_FILE):
            # the file may be perfectly good: never suggest moving it away (and paying again)
            return StoreError(
                f"the count store {self.path} cannot be used: this machine refused to write "
                f"beside it ({exc}; a full disk, a file-size limit (ulimit -f) or a read-only "
                "folder). Nothing was sent, and the store was not changed: keep it. Make room "
                "or raise the limit, then rerun the same command; nothing it holds is paid "
                "for again."
            )
        return StoreError(f"the count store {self.path} is damaged ({exc}). {store_choices()}")

    def unwritable(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(
            f"the count store {self.path} could not be written ({exc}), so the run stopped: "
            "nothing goes out unrecorded. Free some disk space, raise the file-size limit "
            "(ulimit -f) or fix the folder's permissions, then rerun the same command to "
            "resume."
        )

    # -- access ---------------------------------------------------------------------------
    def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """A read (in its own implicit transaction), retried while another process writes."""
        return self._retry(lambda: work(self.conn), self.damaged)

    def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in one short write transaction (BEGIN IMMEDIATE: takes the write lock
        first, so a read-modify-write never meets a conflicting writer half-way)."""

        def attempt() -> T:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(self.conn)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            return result

        def once_more(exc: sqlite3.Error) -> StoreError:
            raise exc

        try:
            return self._retry(attempt, once_more)
        except sqlite3.Error as exc:
            if not str(getattr(exc, "sqlite_errorname", "")).startswith(
                ("SQLITE_FULL", "SQLITE_IOERR")
            ):
                raise self.unwritable(exc) from None
        # A full disk or a file-size limit (ulimit -f) stops the WAL from growing; a
        # checkpoint moves it into the database and empties it, which often makes room for
        # this record (an answer already paid for) and many more.
        try:
            with self.lock:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass
        return self._retry(attempt, self.unwritable)

    def _retry(self, attempt: Callable[[], T], error: Callable[[sqlite3.Error], StoreError]) -> T:
        with self.lock:
            for tries in range(BUSY_RETRIES + 1):
                try:
                    return attempt()
                except sqlite3.Error as exc:
                    if is_busy(exc) and tries < BUSY_RETRIES:
                        time.sleep(0.05 * 2**tries)
                        continue
                    raise error(exc) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()


def _create(path: Path) -> None:
    """Create a new store atomically: built beside, then linked into place, so a crash never
    leaves a 0-byte or half-made store and two processes creating it at once both end up
    using the same complete file."""
    temp = path.with_name(f".{path.name}.new-{os.getpid()}-{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # persistent: every later open uses WAL
            conn.execute("BEGIN IMMEDIATE")
            initialise(conn)
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        try:
            os.link(temp, path)  # fails if another process created it first: use theirs
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temp, path)
    except sqlite3.Error as exc:
        raise StoreError(
            f"cannot create the count store {path} ({exc}). Check that the folder is "
            "writable, or choose another with --store PATH (or BATCHCOUNT_STORE). Nothing was "
            "sent."
        ) from None
    except OSError as exc:
        raise StoreError(
            f"cannot create the count store {path} ({exc.strerror}). Check that the folder "
            "is writable, or choose another with --store PATH (or BATCHCOUNT_STORE). Nothing "
            "was sent."
        ) from None
    finally:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(temp) + suffix).unlink()


@contextlib.contextmanager
def opened(path: Path, create: bool = True) -> Iterator[Database]:
    db = Database(path, create)
    try:
        yield db
    finally:
        db.close()
