"""Journals from before the count store: taken over on first use, so nobody pays again.

Up to version 0.1 every output had its own journal beside it (`X.counted.journal.sqlite`).
A run about to write X imports that journal's answers into the store (under the run's API
base; test answers stay test answers), records the import, and renames the file to
`X.counted.journal.imported.sqlite` (kept, never deleted: remove it yourself when you like).

A journal that cannot be read as one (0 bytes, truncated, damaged, another program's, a newer
version) is never skipped or replaced: it is an error naming the file and the choices.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from batchcount.store.db import Database
from batchcount.store.journal_reader import JournalContents, JournalEntry, read_journal
from batchcount.store.journal_reader import as_record as _as_record
from batchcount.store.records import IN_FLIGHT_AT_STOP


@dataclass(frozen=True)
class ImportReport:
    path: Path
    renamed_to: Path | None
    answers: int  # done entries taken over
    crashed: frozenset[str]  # left in flight by the run that wrote it: possibly billed
    already: bool = False  # imported before (a crash came between import and rename)


def import_journal(
    db: Database, path: Path, output: Path, base: str, test: bool
) -> ImportReport | None:
    """Take over the journal beside `output`, if there is one. Call under the output's lock.

    `base`, `test`: the API and kind of the run taking it over (a journal did not record its
    API; an answer keeps its own test flag, an unanswered request takes the run's)."""
    if not path.exists():
        return None
    contents = read_journal(path, output.name)
    journal_key = str(path.resolve())

    def work(conn: sqlite3.Connection) -> tuple[int, frozenset[str], bool]:
        seen = conn.execute(
            "SELECT 1 FROM imports WHERE journal = ? AND created = ?",
            (journal_key, contents.created),
        ).fetchone()
        if seen:
            return 0, frozenset(), True
        return (*_take_over(conn, contents, output, base, test), False)

    answers, crashed, already = db.transaction(work)
    renamed = _rename(path)
    return ImportReport(path, renamed, answers, crashed, already)


def _take_over(
    conn: sqlite3.Connection, contents: JournalContents, output: Path, base: str, test: bool
) -> tuple[int, frozenset[str]]:
    runs: dict[bool, int] = {}
    done_by: dict[bool, list[JournalEntry]] = {}
    for entry in contents.entries:
        if entry.state == "done" and entry.results_count is not None:
            done_by.setdefault(entry.test, []).append(entry)
    for test, done in done_by.items():
        finished = max((e.answered_at or contents.mtime) for e in done)
        started = min((e.answered_at or contents.mtime) for e in done)
        cursor = conn.execute(
            "INSERT INTO runs (kind, started, finished, input, output, mode, base, test, "
            "counted_new, spent, exit_code, version, note) "
            "VALUES ('import', ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'journal', ?)",
            (
                started,
                finished,
                contents.input,
                str(output.resolve()),
                done[0].mode,
                base,
                int(test),
                len(done),
                sum(e.amount or 0.0 for e in done),
                f"imported from {contents.path.name}",
            ),
        )
        runs[test] = int(cursor.lastrowid or 0)
    crashed = set()
    for entry in contents.entries:
        answered = entry.state == "done" and entry.results_count is not None
        key = (entry.fp, entry.mode, base, int(entry.test if answered else test))
        record = _as_record(entry, contents)
        rebilled = entry.rebilled
        state, message = entry.state, entry.message
        if entry.state == "sent":  # in flight when its run stopped: it may have been billed
            state, message, rebilled = "failed", IN_FLIGHT_AT_STOP, rebilled + 1
            crashed.add(entry.fp)
        elif entry.state not in ("done", "failed"):
            state = "failed"
        existing = conn.execute(
            "SELECT counted_at FROM counts WHERE fp = ? AND mode = ? AND base = ? AND test = ?",
            key,
        ).fetchone()
        paid_by = runs.get(entry.test) if record.results_count is not None else None
        if existing is None:
            conn.execute(
                "INSERT INTO counts (fp, mode, base, test, state, body, results_count, "
                "amount_charged, answer_test, counted_at, paid_by, sends, rebilled, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    state,
                    entry.body,
                    record.results_count,
                    record.amount,
                    None if record.answer_test is None else int(record.answer_test),
                    record.counted_at,
                    paid_by,
                    entry.sends,
                    rebilled,
                    message,
                ),
            )
            continue
        conn.execute(
            "UPDATE counts SET rebilled = rebilled + ?, sends = sends + ? "
            "WHERE fp = ? AND mode = ? AND base = ? AND test = ?",
            (rebilled, entry.sends, *key),
        )
        newer = record.counted_at is not None and (
            existing[0] is None or record.counted_at > float(existing[0])
        )
        if newer:  # the journal holds the more recent answer
            conn.execute(
                "UPDATE counts SET results_count = ?, amount_charged = ?, answer_test = ?, "
                "counted_at = ?, paid_by = ? WHERE fp = ? AND mode = ? AND base = ? AND test = ?",
                (
                    record.results_count,
                    record.amount,
                    int(bool(record.answer_test)),
                    record.counted_at,
                    paid_by,
                    *key,
                ),
            )
    answers = sum(len(d) for d in done_by.values())
    conn.execute(
        "INSERT INTO imports VALUES (?, ?, ?, ?)",
        (str(contents.path.resolve()), contents.created, time.time(), len(contents.entries)),
    )
    return answers, frozenset(crashed)


def _rename(path: Path) -> Path | None:
    """`X.journal.sqlite` -> `X.journal.imported.sqlite` (or -2, -3 ... if taken)."""
    stem = path.name.removesuffix(".sqlite")
    for n in range(1, 1000):
        target = path.with_name(f"{stem}.imported{'' if n == 1 else f'-{n}'}.sqlite")
        if target.exists():
            continue
        try:
            os.replace(path, target)
        except OSError:
            return None  # left in place: the imports table keeps it from being counted twice
        for suffix in ("-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                with contextlib.suppress(OSError):
                    side.unlink() if side.stat().st_size == 0 else os.replace(
                        side, Path(str(target) + suffix)
                    )
        return target
    return None
