"""Stored counts: lookups, and the write-ahead marks a run makes around every request.

A count is keyed by (fingerprint of the canonical body and mode, mode, API base, test/live).
A run marks a request `sent` (committed) right before it leaves and `done`/`failed` when its
answer lands, so a crash leaves the store knowing what may have been billed. The marks are
claims too: if another live run has the same request in flight, or answered it meanwhile,
`mark_sent` says so instead of letting this run pay for it again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from batchcount.errors import Cancelled
from batchcount.store.db import Database
from batchcount.store.liveness import is_alive

IN_FLIGHT_AT_STOP = "in flight when an earlier run stopped: it may have been billed"
_CHUNK = 500  # fingerprints per IN (...) query: well under SQLite's variable limit

_COLUMNS = (
    "c.fp, c.mode, c.state, c.body, c.results_count, c.amount_charged, c.counted_at, "
    "c.answer_test, c.paid_by, c.owner, c.message, c.sends, c.rebilled, r.output"
)


@dataclass(frozen=True)
class Scope:
    """Which stored counts a run may see: never test answers for live runs, nor another
    API's, nor another mode's."""

    mode: str
    base: str
    test: bool


@dataclass(frozen=True)
class Record:
    fp: str
    mode: str
    state: str  # sent | retrying | done | failed (of the latest attempt)
    body: str
    results_count: int | None  # the last answer, kept while a recount is under way
    amount: float | None
    counted_at: float | None  # epoch seconds the answer landed
    answer_test: bool | None
    paid_by: int | None
    owner: int | None
    message: str | None
    sends: int
    rebilled: int
    paid_output: str | None = None  # the output the paying run wrote

    @property
    def answered_at(self) -> float | None:
        return self.counted_at

    def usable(self, cutoff: float, test: bool) -> bool:
        """An answer young enough, of this run's kind (a test answer never stands in for a
        live one, nor the reverse)."""
        return (
            self.results_count is not None
            and self.counted_at is not None
            and self.counted_at >= cutoff
            and bool(self.answer_test) == test
        )


def _record(row: Sequence[object]) -> Record:
    return Record(
        fp=str(row[0]),
        mode=str(row[1]),
        state=str(row[2]),
        body=str(row[3]),
        results_count=None if row[4] is None else int(row[4]),  # type: ignore[call-overload]
        amount=None if row[5] is None else float(row[5]),  # type: ignore[arg-type]
        counted_at=None if row[6] is None else float(row[6]),  # type: ignore[arg-type]
        answer_test=None if row[7] is None else bool(row[7]),
        paid_by=None if row[8] is None else int(row[8]),  # type: ignore[call-overload]
        owner=None if row[9] is None else int(row[9]),  # type: ignore[call-overload]
        message=None if row[10] is None else str(row[10]),
        sends=int(row[11]),  # type: ignore[call-overload]
        rebilled=int(row[12]),  # type: ignore[call-overload]
        paid_output=None if row[13] is None else str(row[13]),
    )


def lookup(db: Database, scope: Scope, fps: Iterable[str]) -> dict[str, Record]:
    """The stored records for these fingerprints (any state, any age)."""
    wanted = list(fps)

    def work(conn: sqlite3.Connection) -> dict[str, Record]:
        found: dict[str, Record] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM counts c LEFT JOIN runs r ON r.id = c.paid_by "
                f"WHERE c.mode = ? AND c.base = ? AND c.test = ? AND c.fp IN ({marks})",
                (scope.mode, scope.base, int(scope.test), *chunk),
            ).fetchall()
            for row in rows:
                found[str(row[0])] = _record(row)
        return found

    return db.read(work)


def other_kind(db: Database, scope: Scope, fps: Iterable[str]) -> int:
    """How many of these segments have answers stored from the other kind (test vs live),
    under any API base: they are not reused, and the run says so."""
    wanted = list(fps)

    def work(conn: sqlite3.Connection) -> int:
        seen: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            seen.update(
                str(r[0])
                for r in conn.execute(
                    f"SELECT fp FROM counts WHERE mode = ? AND results_count IS NOT NULL "
                    f"AND answer_test = ? AND fp IN ({marks})",
                    (scope.mode, int(not scope.test), *chunk),
                )
            )
        return len(seen)

    return db.read(work)


def dead_in_flight(db: Database, records: Iterable[Record]) -> set[str]:
    """Records left `sent` by runs that are no longer running (a crash, an abandoned stop):
    they may have been billed, and will be sent again."""
    alive: dict[int, bool] = {}
    found = set()
    for record in records:
        if record.state != "sent" or record.owner is None:
            continue
        if record.owner not in alive:
            alive[record.owner] = is_alive(db.path, record.owner)
        if not alive[record.owner]:
            found.add(record.fp)
    return found


def settle_dead(db: Database, scope: Scope, fps: Iterable[str]) -> set[str]:
    """At the start of a run: book each request a dead run left `sent` as possibly billed
    (once) and mark it failed, so it is sent again. Returns their fingerprints."""
    candidates = dead_in_flight(db, lookup(db, scope, fps).values())
    if not candidates:
        return set()

    def work(conn: sqlite3.Connection) -> set[str]:
        settled = set()
        for fp in candidates:
            cursor = conn.execute(
                "UPDATE counts SET state = 'failed', rebilled = rebilled + 1, message = ? "
                "WHERE fp = ? AND mode = ? AND base = ? AND test = ? AND state = 'sent'",
                (IN_FLIGHT_AT_STOP, fp, scope.mode, scope.base, int(scope.test)),
            )
            if cursor.rowcount:
                settled.add(fp)
        return settled

    return db.transaction(work)


def put_free_answer(
    db: Database, scope: Scope, fp: str, body: str, count: int, amount: float, test: bool
) -> None:
    """Store a free answer (a --preflight database count): nothing to claim, nothing billed."""
    now = time.time()
    db.transaction(
        lambda conn: conn.execute(
            "INSERT INTO counts (fp, mode, base, test, state, body, results_count, "
            "amount_charged, answer_test, counted_at, sent_at, sends) "
            "VALUES (?, ?, ?, ?, 'done', ?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (fp, mode, base, test) DO UPDATE SET state = 'done', "
            "results_count = excluded.results_count, amount_charged = excluded.amount_charged, "
            "answer_test = excluded.answer_test, counted_at = excluded.counted_at, "
            "sends = sends + 1, message = NULL, body = excluded.body",
            (fp, scope.mode, scope.base, int(scope.test), body, count, amount, int(test), now, now),
        )
    )


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
                f"SELECT {_COLUMNS} FROM counts c LEFT JOIN runs r ON r.id = c.paid_by "
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
            record = _record(row)
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
        self, fp: str, mode: str, results_count: int, amount: float, rebilled: int, test: bool
    ) -> None:
        if self.closed:  # a straggler thread after the run stopped waiting
            return
        key, me = self._key(fp), self.run_id

        def work(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE counts SET state = 'done', results_count = ?, amount_charged = ?, "
                "answer_test = ?, counted_at = ?, paid_by = ?, rebilled = rebilled + ?, "
                "message = NULL WHERE fp = ? AND mode = ? AND base = ? AND test = ? "
                "AND owner = ?",
                (results_count, amount, int(test), time.time(), me, rebilled, *key, me),
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


def with_state(record: Record, state: str) -> Record:
    return replace(record, state=state)
