"""The count store in-process: opening and refusing files, claims between runs, liveness,
--max-age values and API base identities."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from store_helpers import recorder_at, stored

from batchcount.api.reuse import base_identity, effective_max_age
from batchcount.errors import JournalError, UsageError
from batchcount.store.age import DEFAULT_MAX_AGE, parse_age
from batchcount.store.db import APPLICATION_ID, SCHEMA_VERSION, Database, StoreError
from batchcount.store.liveness import RunLock, is_alive
from batchcount.store.location import store_location
from batchcount.store.recorder import AlreadyAnswered, InFlightElsewhere
from batchcount.store.records import Scope, settle_dead

SCOPE = Scope("realtime", "http://sandbox.test", True)


# --- opening, creating, refusing -------------------------------------------------------------


def test_a_new_store_is_created_whole_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "counts.sqlite"
    Database(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"counts", "runs", "imports", "info"} <= tables
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temp


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(StoreError) as caught:
        Database(path).close()
    message = caught.value.message
    assert str(path) in message and "--store" in message and "Nothing was sent" in message
    for word in words:
        assert word in message, message
    assert caught.value.exit_code == 2
    return message


def test_stores_that_cannot_be_used_are_refused_untouched(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    _refused(empty, "0 bytes")
    assert empty.read_bytes() == b""  # never initialised in place

    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"\x00\xffnot a database" * 300)
    _refused(garbage, "not an SQLite database")

    foreign = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    _refused(foreign, "another program's")
    assert foreign.read_bytes() == before  # not even switched to WAL

    newer = tmp_path / "newer.sqlite"
    Database(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    _refused(newer, "newer batchcount", "Upgrade batchcount")


def test_a_truncated_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "counts.sqlite"
    recorder = recorder_at(path)
    for i in range(400):
        fp = f"fp{i:04d}"
        recorder.mark_sent(fp, "realtime", "{}" + "x" * 300)
        recorder.mark_done(fp, "realtime", i, 0.04, 0, True)
    recorder.close()
    recorder.db.close()
    data = path.read_bytes()
    assert len(data) > 50_000
    path.write_bytes(data[: len(data) // 2])
    _refused(path, "truncated")


def test_an_empty_sqlite_file_made_for_us_is_set_up(tmp_path: Path) -> None:
    path = tmp_path / "counts.sqlite"
    sqlite3.connect(path).execute("PRAGMA user_version = 0").connection.close()
    if path.stat().st_size == 0:  # sqlite may leave it at 0 bytes: that one is refused
        _refused(path, "0 bytes")
        return
    Database(path).close()


def test_store_errors_are_journal_errors_for_the_runner() -> None:
    assert issubclass(StoreError, JournalError)


def test_store_location_option_then_env_then_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHCOUNT_STORE", str(tmp_path / "env.sqlite"))
    assert store_location(tmp_path / "opt.sqlite") == tmp_path / "opt.sqlite"
    assert store_location(None) == tmp_path / "env.sqlite"
    monkeypatch.delenv("BATCHCOUNT_STORE")
    default = store_location(None)
    assert default.name == "counts.sqlite" and "batchcount" in str(default)


# --- claims between runs ---------------------------------------------------------------------


def test_a_request_in_flight_elsewhere_is_waited_for_then_taken(tmp_path: Path) -> None:
    path = tmp_path / "counts.sqlite"
    first = recorder_at(path)
    second = recorder_at(path, cutoff=time.time() - 60)
    first.mark_sent("seg", "realtime", "{}")
    with pytest.raises(InFlightElsewhere) as busy:
        second.mark_sent("seg", "realtime", "{}")
    assert busy.value.run_id == first.run_id
    first.mark_done("seg", "realtime", 123, 0.04, 0, True)
    with pytest.raises(AlreadyAnswered) as answered:
        second.mark_sent("seg", "realtime", "{}")
    assert answered.value.record.results_count == 123
    second.wait_elsewhere("seg", lambda: False)  # returns at once: nothing in flight now
    first.close()
    second.close()


def test_a_dead_runs_request_is_resent_and_booked_as_possibly_billed(tmp_path: Path) -> None:
    path = tmp_path / "counts.sqlite"
    crashed = recorder_at(path)
    crashed.mark_sent("a", "realtime", "{}")
    crashed.mark_sent("b", "realtime", "{}")
    crashed.active.release()  # the process died: its OS lock is gone
    later = recorder_at(path)
    assert settle_dead(later.db, SCOPE, ["a"]) == {"a"}
    later.mark_sent("a", "realtime", "{}")
    later.mark_sent("b", "realtime", "{}")  # claimed directly: booked the same way
    records = stored(later)
    assert records["a"].rebilled == 1 and records["b"].rebilled == 1
    assert records["a"].owner == later.run_id
    later.close()


def test_old_answers_are_recounted_but_kept_until_replaced(tmp_path: Path) -> None:
    path = tmp_path / "counts.sqlite"
    old = recorder_at(path)
    old.mark_sent("seg", "realtime", "{}")
    old.mark_done("seg", "realtime", 5, 0.04, 0, True)
    old.close()
    fresh = recorder_at(path, cutoff=time.time() + 1)  # --max-age 0: nothing is young enough
    fresh.mark_sent("seg", "realtime", "{}")  # no AlreadyAnswered: it is recounted
    record = stored(fresh)["seg"]
    assert record.state == "sent" and record.results_count == 5  # the old answer stays
    fresh.mark_failed("seg", "realtime", "the API refused it")
    assert stored(fresh)["seg"].results_count == 5
    fresh.close()


def test_marks_never_touch_another_runs_record(tmp_path: Path) -> None:
    path = tmp_path / "counts.sqlite"
    owner = recorder_at(path)
    other = recorder_at(path)
    owner.mark_sent("seg", "realtime", "{}")
    other.mark_failed("seg", "realtime", "not sent: stopped")  # a run that never sent it
    other.mark_done("seg", "realtime", 1, 0.04, 0, True)
    record = stored(owner)["seg"]
    assert record.state == "sent" and record.owner == owner.run_id
    owner.close()
    other.close()


def test_a_closed_recorder_sends_nothing(tmp_path: Path) -> None:
    from batchcount.errors import Cancelled

    recorder = recorder_at(tmp_path / "counts.sqlite")
    recorder.close()
    with pytest.raises(Cancelled):
        recorder.mark_sent("seg", "realtime", "{}")


# --- liveness --------------------------------------------------------------------------------


def test_run_locks_tell_live_runs_from_dead_ones(tmp_path: Path) -> None:
    store = tmp_path / "counts.sqlite"
    lock = RunLock(store, 7)
    assert is_alive(store, 7)  # also from the same process (another run via the Python API)
    lock.release()
    assert not is_alive(store, 7)
    assert not is_alive(store, 8)  # never started
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from batchcount.store.liveness import RunLock;"
            f"held = RunLock(Path({str(store)!r}), 9); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        assert is_alive(store, 9)
        child.kill()
        child.wait(10)
        assert not is_alive(store, 9)  # killed: the kernel dropped its lock
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)


# --- option values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("90d", timedelta(days=90)),
        ("0", timedelta(0)),
        ("2w", timedelta(weeks=2)),
        ("30m", timedelta(minutes=30)),
        (" 1.5D ", timedelta(hours=36)),
    ],
)
def test_max_age_values(text: str, expected: timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["", "7", "-1d", "d", "7 days", "1e9999d", "nan", "inf", "3y"])
def test_bad_max_age_values_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="--max-age"):
        parse_age(text)


def test_fresh_is_max_age_zero_and_does_not_mix_with_max_age() -> None:
    assert effective_max_age(None, fresh=True) == timedelta(0)
    assert effective_max_age(None, fresh=False) == DEFAULT_MAX_AGE
    assert effective_max_age(timedelta(days=7), fresh=False) == timedelta(days=7)
    with pytest.raises(UsageError, match="--fresh"):
        effective_max_age(timedelta(days=7), fresh=True)


def test_api_base_identities() -> None:
    assert base_identity(True, "http://127.0.0.1:5555") == "sandbox"  # never its port
    same = {
        base_identity(False, url)
        for url in (
            None,
            "https://api.generect.com",
            "https://API.Generect.com/",
            "https://api.generect.com:443",
            "https://api.generect.com/api/v1",
        )
    }
    assert same == {"https://api.generect.com"}
    assert base_identity(False, "http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert base_identity(False, "https://eu.example.com") != base_identity(False, None)


# --- taking over journals --------------------------------------------------------------------


def test_a_journal_is_imported_once_even_if_the_rename_did_not_happen(tmp_path: Path) -> None:
    from batchcount.store.import_journal import import_journal
    from batchcount.store.journal import Journal
    from batchcount.store.records import lookup
    from batchcount.store.runs import list_runs

    output = tmp_path / "in.counted.xlsx"
    path = tmp_path / "in.counted.journal.sqlite"
    journal = Journal(path)
    journal.mark_sent("a", "realtime", '{"job_titles": ["A"]}')
    journal.mark_done("a", "realtime", 42, 0.04, 0, False)
    journal.mark_sent("b", "realtime", '{"job_titles": ["B"]}')  # in flight at a crash
    journal.close()
    db = Database(tmp_path / "counts.sqlite")
    scope = Scope("realtime", "https://api.generect.com", False)
    report = import_journal(db, path, output, scope.base, scope.test)
    assert report is not None and report.answers == 1 and report.crashed == {"b"}
    assert report.renamed_to == tmp_path / "in.counted.journal.imported.sqlite"
    # a crash between the import and the rename: the journal is still there
    path.write_bytes(report.renamed_to.read_bytes())
    again = import_journal(db, path, output, scope.base, scope.test)
    assert again is not None and again.already and again.answers == 0
    assert again.renamed_to == tmp_path / "in.counted.journal.imported-2.sqlite"
    records = lookup(db, scope, ["a", "b"])
    assert records["a"].results_count == 42 and records["a"].paid_output == str(output)
    assert records["b"].state == "failed" and records["b"].rebilled == 1  # booked once
    runs = list_runs(db)
    assert [(r.kind, r.counted_new, r.spent) for r in runs] == [("import", 1, 0.04)]
    assert import_journal(db, path, output, scope.base, scope.test) is None  # nothing left
    db.close()
