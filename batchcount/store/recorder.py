"""One run's write-ahead marks in the count store, which are claims too.

A request is marked `sent` (committed) right before it leaves and `done`/`failed` when its
answer lands. If another live run has the same request in flight, `mark_sent` says so (wait
for its answer); if another run answered it meanwhile, it hands over that answer instead of
letting this run pay again. Marks after the claim only ever touch records this run holds.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from batchcount.errors import Cancelled
from batchcount.store.db import Database
from batchcount.store.liveness import is_alive
from batchcount.store.records import COLUMNS, Record, Scope, lookup, record_from


class AlreadyAnswered(Exception):
    """Another run answered this request after this run planned it: use that answer."""

    def __init__(self, record: Record) -> None:
        super().__init__(record.fp)
        self.record = record


class InFlightElsewhere(Exception):
    """Another live run has this request in flight right now: wait for its answer."""

    def __init__(self, run_id: int) -> None:
        super().__init__(run_id)
        self.run_id = run_id


class Recorder:
    """One run's marks in the store. Thread-safe (the database serialises them)."""

    def __init__(self, db: Database, scope: Scope, run_id: int, cutoff: float) -> None:
        self.db = db
        self.scope = scope
        self.run_id = run_id
        self.cutoff = cutoff  # answers this recent (from any run) need not be paid again
        self.closed = False

    def _key(self, fp: str) -> tuple[object, ...]:
        return (fp, self.scope.mode, self.scope.base, int(self.scope.test))

    def mark_sent(self, fp: str, mode: str, body: str) -> None:
        """Committed right before the request leaves. Raises AlreadyAnswered or
        InFlightElsewhere instead when another run has (or is getting) the answer."""
        if self.closed:  # the run has stopped: nothing goes out unrecorded
            raise Cancelled()
        key = self._key(fp)
        me = self.run_id

        def work(conn: sqlite3.Connection) -> None:
            if self.closed:  # checked under the store's lock: close() cannot slip between
                raise Cancelled()
            row = conn.execute(
                f"SELECT {COLUMNS} FROM counts c LEFT JOIN runs r ON r.id = c.paid_by "
                "WHERE c.fp = ? AND c.mode = ? AND c.base = ? AND c.test = ?",
                key,
            ).fetchone()
            now = time.time()
            if row is None:
                conn.execute(
                    "INSERT INTO counts (fp, mode, base, test, state, body, owner, sent_at, "
                    "sends) VALUES (?, ?, ?, ?, 'sent', ?, ?, ?, 1)",
                    (*key, body, me, now),
                )
                return
            record = record_from(row)
            extra = 0
            if record.owner != me:
                if record.usable(self.cutoff, self.scope.test):
                    raise AlreadyAnswered(record)
                busy = record.state in ("sent", "retrying") and record.owner is not None
                if busy and is_alive(self.db.path, record.owner):  # type: ignore[arg-type]
                    raise InFlightElsewhere(record.owner)  # type: ignore[arg-type]
                extra = int(record.state == "sent")  # a dead run left it in flight
            conn.execute(
                "UPDATE counts SET state = 'sent', owner = ?, sends = sends + 1, sent_at = ?, "
                "rebilled = rebilled + ?, message = NULL, body = ? "
                "WHERE fp = ? AND mode = ? AND base = ? AND test = ?",
                (me, now, extra, body, *key),
            )

        self.db.transaction(work)

    def _mine(self, sql: str, args: tuple[object, ...], fp: str) -> None:
        """An update of a record this run holds (a stale mark never touches another run's)."""
        self.db.transaction(
            lambda conn: conn.execute(
                f"{sql} WHERE fp = ? AND mode = ? AND base = ? AND test = ? AND owner = ?",
                (*args, *self._key(fp), self.run_id),
            )
        )

    def mark_retrying(self, fp: str, mode: str, unanswered: int) -> None:
        """An attempt ended without a usable answer; another follows after a pause."""
        if self.closed:
            return
        self._mine(
            "UPDATE counts SET state = 'retrying', rebilled = rebilled + ?, message = 'retrying'",
            (unanswered,),
            fp,
        )

    def mark_done(
        self,
        fp: str,
        mode: str,
        results_count: int | None,
        amount: float,
        rebilled: int,
        test: bool,
        message: str | None = None,
    ) -> None:
        """Answered: never paid again within --max-age. `results_count` None: the answer was
        billed but its count unusable (`message` says why); it stays answered, so no rerun
        pays for it again automatically."""
        if self.closed:  # a straggler thread after the run stopped waiting
            return
        key, me = self._key(fp), self.run_id

        def work(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE counts SET state = 'done', results_count = ?, amount_charged = ?, "
                "answer_test = ?, counted_at = ?, paid_by = ?, rebilled = rebilled + ?, "
                "message = ? WHERE fp = ? AND mode = ? AND base = ? AND test = ? "
                "AND owner = ?",
                (results_count, amount, int(test), time.time(), me, rebilled, message, *key, me),
            )
            if cursor.rowcount:
                conn.execute(
                    "UPDATE runs SET counted_new = counted_new + 1, spent = spent + ? WHERE id = ?",
                    (amount, me),
                )

        self.db.transaction(work)

    def mark_failed(self, fp: str, mode: str, message: str, rebilled: int = 0) -> None:
        if self.closed:
            return
        self._mine(
            "UPDATE counts SET state = 'failed', message = ?, rebilled = rebilled + ?",
            (message, rebilled),
            fp,
        )

    def wait_elsewhere(self, fp: str, stopping: Callable[[], bool], poll: float = 0.2) -> None:
        """Until the run that has this request in flight answers it, fails it or dies."""
        while not stopping() and not self.closed:
            record = lookup(self.db, self.scope, [fp]).get(fp)
            if (
                record is None
                or record.state not in ("sent", "retrying")
                or record.owner in (None, self.run_id)
                or not is_alive(self.db.path, record.owner)
            ):
                return
            time.sleep(poll)

    def close(self) -> None:
        with self.db.lock:  # waits for a mark under way; no request leaves after this
            self.closed = True
