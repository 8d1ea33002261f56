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
from dataclasses import dataclass, field
from pathlib import Path

from batchcount.errors import JournalError
from batchcount.store.db import Database, file_problem
from batchcount.store.records import IN_FLIGHT_AT_STOP, Record, Scope

JOURNAL_SCHEMA = "1"  # the journal's own schema version (store/journal.py)


@dataclass(frozen=True)
class JournalEntry:
    fp: str
    mode: str
    state: str
    body: str
    results_count: int | None
    amount: float | None
    message: str | None
    sends: int
    rebilled: int
    test: bool
    answered_at: float | None


@dataclass
class JournalContents:
    path: Path
    created: str
    input: str | None
    entries: list[JournalEntry] = field(default_factory=list)
    mtime: float = 0.0


@dataclass(frozen=True)
class ImportReport:
    path: Path
    renamed_to: Path | None
    answers: int  # done entries taken over
    crashed: frozenset[str]  # left in flight by the run that wrote it: possibly billed
    already: bool = False  # imported before (a crash came between import and rename)


def _refuse(path: Path, output_name: str, problem: str) -> JournalError:
    return JournalError(
        f"the journal {path} {problem}. Nothing was sent. batchcount takes over the counts "
        f"of the journal beside {output_name} before writing it; choices: move the journal "
        "away (the counts it held would then be paid for again), or write another output "
        "with -o OTHER.xlsx."
    )


def read_journal(path: Path, output_name: str) -> JournalContents:
    """Validate and read a journal; JournalError (exit 2) if it is not one we can take over."""
    problem = file_problem(path)
    if problem:
        raise _refuse(path, output_name, problem)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise _refuse(path, output_name, f"cannot be opened ({exc})") from None
    try:
        return _read(conn, path, output_name)
    except sqlite3.Error as exc:
        raise _refuse(path, output_name, f"is damaged ({exc})") from None
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


def _read(conn: sqlite3.Connection, path: Path, output_name: str) -> JournalContents:
    tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"meta", "requests"} <= tables:
        raise _refuse(path, output_name, "is another program's SQLite database, not a journal")
    meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}
    version = meta.get("schema")
    if version != JOURNAL_SCHEMA:
        newer = version is not None and version.isdigit() and int(version) > int(JOURNAL_SCHEMA)
        what = "a newer" if newer else "another"
        raise _refuse(
            path,
            output_name,
            f"was written by {what} batchcount version (journal schema {version}); "
            "upgrade batchcount to read it",
        )
    check = conn.execute("PRAGMA quick_check").fetchall()
    if [tuple(r) for r in check] != [("ok",)]:
        raise _refuse(path, output_name, f"is damaged (integrity check: {check[0][0]})")
    rows = conn.execute(
        "SELECT fp, mode, state, body, results_count, amount, message, sends, rebilled, "
        "test_mode, answered_at FROM requests"
    ).fetchall()
    entries = [
        JournalEntry(
            fp=str(r[0]),
            mode=str(r[1]),
            state=str(r[2]),
            body=str(r[3]),
            results_count=None if r[4] is None else int(r[4]),
            amount=None if r[5] is None else float(r[5]),
            message=r[6],
            sends=int(r[7] or 0),
            rebilled=int(r[8] or 0),
            test=bool(r[9]),
            answered_at=None if r[10] is None else float(r[10]),
        )
        for r in rows
    ]
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return JournalContents(
        path=path,
        created=meta.get("created", ""),
        input=meta.get("input"),
        entries=entries,
        mtime=path.stat().st_mtime,
    )


def as_records(contents: JournalContents, scope: Scope) -> dict[str, Record]:
    """The journal's entries as the store would hold them after the import (for `check`,
    which reads a journal without taking it over)."""
    found = {}
    for entry in contents.entries:
        answered = entry.state == "done" and entry.results_count is not None
        if entry.mode != scope.mode or (answered and entry.test != scope.test):
            continue
        found[entry.fp] = _as_record(entry, contents)
    return found


def _as_record(entry: JournalEntry, contents: JournalContents) -> Record:
    done = entry.state == "done" and entry.results_count is not None
    return Record(
        fp=entry.fp,
        mode=entry.mode,
        state=entry.state,
        body=entry.body,
        results_count=entry.results_count if done else None,
        amount=entry.amount if done else None,
        counted_at=(entry.answered_at or contents.mtime) if done else None,
        answer_test=entry.test if done else None,
        paid_by=None,
        owner=None,
        message=entry.message,
        sends=entry.sends,
        rebilled=entry.rebilled,
        paid_output=None,
    )


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
