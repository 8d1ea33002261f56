"""Stored counts: what the store holds for a plan, and what crashed runs left in flight.

A count is keyed by (fingerprint of the canonical body and mode, mode, API base, test/live).
The marks a run makes around each request live in `recorder`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from batchcount.store.db import Database
from batchcount.store.liveness import is_alive

IN_FLIGHT_AT_STOP = "in flight when an earlier run stopped: it may have been billed"
_CHUNK = 500  # fingerprints per IN (...) query: well under SQLite's variable limit

COLUMNS = (
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
        live one, nor the reverse). A billed answer whose count was unusable (done, no count)
        counts too: it is never paid for again automatically (--fresh recounts it)."""
        return (
            (self.results_count is not None or self.state == "done")
            and self.counted_at is not None
            and self.counted_at >= cutoff
            and bool(self.answer_test) == test
        )


def record_from(row: Sequence[object]) -> Record:
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
                f"SELECT {COLUMNS} FROM counts c LEFT JOIN runs r ON r.id = c.paid_by "
                f"WHERE c.mode = ? AND c.base = ? AND c.test = ? AND c.fp IN ({marks})",
                (scope.mode, scope.base, int(scope.test), *chunk),
            ).fetchall()
            for row in rows:
                found[str(row[0])] = record_from(row)
        return found

    return db.read(work)


def holds_mode(db: Database, mode: str) -> bool:
    """Whether anything at all is stored for `mode`: when nothing is, a plan is not looked up
    (fingerprinting 50k segments is a tenth of a second of `check` on 100k rows)."""

    def work(conn: sqlite3.Connection) -> bool:
        return (
            conn.execute("SELECT 1 FROM counts WHERE mode = ? LIMIT 1", (mode,)).fetchone()
            is not None
        )

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


def in_flight(db: Database, scope: Scope, fps: Iterable[str]) -> dict[str, Record]:
    """The stored records of these fingerprints left `sent` (one query over the few in
    flight, not a lookup of every segment: a rerun of 50k answered segments has none)."""
    wanted = set(fps)

    def work(conn: sqlite3.Connection) -> dict[str, Record]:
        rows = conn.execute(
            f"SELECT {COLUMNS} FROM counts c LEFT JOIN runs r ON r.id = c.paid_by "
            "WHERE c.mode = ? AND c.base = ? AND c.test = ? AND c.state = 'sent'",
            (scope.mode, scope.base, int(scope.test)),
        ).fetchall()
        return {str(row[0]): record_from(row) for row in rows if str(row[0]) in wanted}

    return db.read(work)


def settle_dead(db: Database, scope: Scope, fps: Iterable[str]) -> set[str]:
    """At the start of a run: book each request a dead run left `sent` as possibly billed
    (once) and mark it failed, so it is sent again. Returns their fingerprints."""
    candidates = dead_in_flight(db, in_flight(db, scope, fps).values())
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


def with_state(record: Record, state: str) -> Record:
    return replace(record, state=state)
