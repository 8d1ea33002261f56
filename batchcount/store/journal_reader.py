"""Reading a journal written before the count store (version 0.1), without trusting it.

A journal that cannot be read as one (0 bytes, truncated, damaged, another program's, a newer
version) is an error naming the file and the choices, never skipped or replaced.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from batchcount.errors import JournalError
from batchcount.store.db import file_problem
from batchcount.store.records import Record, Scope

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
        found[entry.fp] = as_record(entry, contents)
    return found


def as_record(entry: JournalEntry, contents: JournalContents) -> Record:
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
