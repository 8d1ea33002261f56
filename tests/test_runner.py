"""The old journal (still read to import it), and the runner recording in the count store,
against the real sandbox on loopback (no mocks)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import recorder_at, stored

from batchcount.errors import EXIT_STOPPED, JournalError
from batchcount.net.client import ClientConfig, GenerectClient
from batchcount.net.runner import Job, Runner
from batchcount.net.throttle import Throttle
from batchcount.plan.estimate import fingerprint
from batchcount.sandbox.server import SANDBOX_KEY, SandboxConfig, SandboxServer, start_sandbox
from batchcount.store.journal import Journal, journal_path, remove_journal


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with start_sandbox(SandboxConfig()) as srv:
        yield srv


def jobs(n: int, mode: str = "realtime") -> list[Job]:
    out = []
    for i in range(n):
        body = {"job_titles": [f"Title {i}"], "locations": ["United States"]}
        out.append(Job(fingerprint(body, mode), body))
    return out


def client_for(server: SandboxServer, concurrency: int = 4, retries: int = 4) -> GenerectClient:
    return GenerectClient(
        ClientConfig(
            base_url=server.url,
            api_key=SANDBOX_KEY,
            max_retries=retries,
            backoff_base=0.01,
            timeout=5,
        ),
        throttle=Throttle(concurrency),
    )


def test_journal_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    journal.mark_sent("a", "realtime", "{}")
    journal.mark_sent("b", "realtime", "{}")
    journal.mark_done("a", "realtime", 10, 0.04, 0, True)
    journal.mark_failed("b", "realtime", "nope")
    journal.mark_sent("c", "realtime", "{}")
    journal.close()
    entries = Journal(path).entries("realtime")
    assert entries["a"].state == "done" and entries["a"].results_count == 10
    assert entries["b"].state == "failed" and entries["b"].message == "nope"
    assert entries["c"].state == "sent"  # a crash left it in flight
    assert Journal(path).entries("database") == {}


def test_journal_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.journal.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(JournalError, match="damaged"):
        Journal(path)
    remove_journal(path)
    assert not path.exists()


def test_journal_other_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    Journal(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="another batchcount version"):
        Journal(path)


def test_journal_path_beside_output(tmp_path: Path) -> None:
    assert journal_path(tmp_path / "a.counted.xlsx") == tmp_path / "a.counted.journal.sqlite"


def test_run_all_ok_in_any_order(server: SandboxServer, tmp_path: Path) -> None:
    journal = recorder_at(tmp_path / "j.sqlite")
    work = jobs(40)
    report = Runner(client_for(server), journal, "realtime", 8, 0.04).run(work)
    assert report.stop_reason is None
    assert {o.status for o in report.outcomes.values()} == {"ok"}
    assert set(report.outcomes) == {j.fp for j in work}
    assert report.spent == pytest.approx(40 * 0.04)
    assert server.stats.snapshot()["ok_answers"] == 40
    entries = stored(journal)
    assert all(entries[j.fp].state == "done" for j in work)


def test_max_cost_holds_under_concurrency(server: SandboxServer, tmp_path: Path) -> None:
    server.config.latency = 0.05
    journal = recorder_at(tmp_path / "j.sqlite")
    report = Runner(client_for(server, 10), journal, "realtime", 10, 0.04, max_cost=0.2).run(
        jobs(30)
    )
    assert report.exit_code == EXIT_STOPPED and "budget" in (report.stop_reason or "")
    assert server.stats.snapshot()["billed_amount"] <= 0.2 + 1e-9
    assert sum(1 for o in report.outcomes.values() if o.status == "ok") == 5


def test_funds_out_stops_the_run(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(funds_after=3, funds_status=400)) as srv:
        journal = recorder_at(tmp_path / "j.sqlite")
        report = Runner(client_for(srv, 1), journal, "realtime", 1, 0.04).run(jobs(10))
        assert report.exit_code == EXIT_STOPPED
        assert "insufficient funds" in (report.stop_reason or "")
        assert sum(1 for o in report.outcomes.values() if o.status == "ok") == 3
        assert srv.stats.snapshot()["count_requests"] == 4  # stopped at the first refusal


def test_faults_are_retried(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(fail_rate=0.3, seed=7)) as srv:
        srv.config.retry_after_on_429 = False
        journal = recorder_at(tmp_path / "j.sqlite")
        report = Runner(client_for(srv, 4, retries=8), journal, "realtime", 4, 0.04).run(jobs(40))
        assert {o.status for o in report.outcomes.values()} == {"ok"}
        snap = srv.stats.snapshot()
        assert max(snap["answered_bodies"].values()) == 1  # nothing answered was sent again


def test_key_rejected_stops(server: SandboxServer, tmp_path: Path) -> None:
    client = GenerectClient(
        ClientConfig(base_url=server.url, api_key="nottest"), throttle=Throttle(2)
    )
    report = Runner(client, recorder_at(tmp_path / "j.sqlite"), "realtime", 2, 0.04).run(jobs(5))
    assert report.exit_code == EXIT_STOPPED and "rejected" in (report.stop_reason or "")
    assert not any(o.status == "ok" for o in report.outcomes.values())


def test_400_marks_row_failed_and_run_goes_on(server: SandboxServer, tmp_path: Path) -> None:
    bad = {"company_headcounts": ["999"]}
    work = [Job(fingerprint(bad, "realtime"), bad), *jobs(3)]
    report = Runner(
        client_for(server), recorder_at(tmp_path / "j.sqlite"), "realtime", 2, 0.04
    ).run(work)
    assert report.outcomes[work[0].fp].status == "failed"
    assert "company_headcounts" in report.outcomes[work[0].fp].message
    assert sum(1 for o in report.outcomes.values() if o.status == "ok") == 3


def test_stop_from_another_thread_cancels_cleanly(tmp_path: Path) -> None:
    with start_sandbox(SandboxConfig(latency=0.2)) as srv:
        runner = Runner(
            client_for(srv, 2), recorder_at(tmp_path / "j.sqlite"), "realtime", 2, 0.04, grace=2.0
        )
        threading.Timer(0.3, runner.stop, args=("interrupted (test)", 130)).start()
        report = runner.run(jobs(50))
        assert report.exit_code == 130
        ok = sum(1 for o in report.outcomes.values() if o.status == "ok")
        assert 0 < ok < 50
        assert srv.stats.snapshot()["count_requests"] == ok  # nothing sent after the stop
