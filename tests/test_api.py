"""batchcount.count from plain Python, against the real sandbox over loopback.

Money rules first: nothing is sent without yes=True or a confirm callback that says yes, a
rerun never pays twice, and errors are the command line's, typed.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from openpyxl import Workbook, load_workbook

import batchcount
from batchcount.cli import main
from batchcount.output.columns import RESULT_COLUMNS
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox

KEY = "test_api_0123456789abcdef"
HEADERS = ["Segment", "Job Titles", "Seniorities", "Locations", "Company Headcounts"]
ROWS = [
    ["Germany CTOs", "CTO", "c_suite", "Germany", "51-200"],
    ["French sales", "VP Sales; Head of Sales", "vp", "France", "201-500"],
    ["Germany CTOs again", "cto", "C_Suite", "germany", "51-200"],  # duplicate of row 2
    ["Bad size", "CEO", "", "Spain", "50-200"],  # invalid: not a bucket
]


@pytest.fixture(autouse=True)
def user_store(private_count_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The per-user count store is the test's own (conftest: BATCHCOUNT_STORE); no key from
    the shell."""
    monkeypatch.delenv("GENERECT_API_KEY", raising=False)
    monkeypatch.delenv("GENERECT_API_BASE", raising=False)
    return private_count_store


def runs_in(store: Path) -> int:
    """Runs recorded in a count store (0 if it was never created)."""
    if not store.exists():
        return 0
    db = sqlite3.connect(store)
    try:
        return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
    finally:
        db.close()


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with start_sandbox(SandboxConfig()) as srv:
        yield srv


def polars_frame() -> pl.DataFrame:
    return pl.DataFrame(dict(zip(HEADERS, zip(*ROWS, strict=True), strict=True)))


def at(server: SandboxServer) -> dict[str, Any]:
    return {"base_url": server.url, "api_key": KEY, "progress": False}


def sent(server: SandboxServer) -> int:
    return int(server.stats.snapshot()["count_requests"])


def cli_error(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The command line's exit code and its `error: ...` message."""
    with pytest.raises(SystemExit) as stop:
        main(list(args))
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert lines, err
    code = stop.value.code
    assert isinstance(code, int)
    return code, lines[-1].removeprefix("error: ")


# --- inputs: polars, pandas, list of dicts, a path ------------------------------------------


def test_polars_frame_counted_once_per_distinct_segment(server: SandboxServer) -> None:
    out = batchcount.count(polars_frame(), yes=True, **at(server))
    assert out.columns == [*HEADERS, *RESULT_COLUMNS]
    assert out["status"].to_list() == ["ok", "ok", "ok", "invalid"]
    assert out.schema["results_count"] == pl.Int64
    assert out.schema["amount_charged"] == pl.Float64
    counts = out["results_count"].to_list()
    assert counts[0] == counts[2] and all(isinstance(c, int) for c in counts[:3])
    assert out["amount_charged"].to_list()[:3] == [0.04, 0.04, 0.0]  # the duplicate is free
    assert "same segment as row 2" in out["message"][2]
    assert "row 5, Company Headcounts: '50-200'" in out["message"][3]
    assert out["message"][3].startswith("[test mode")  # a test key: flagged on every row
    body = json.loads(out["request"][1])
    assert body["job_titles"] == ["VP Sales", "Head of Sales"] and body["seniorities"] == ["vp"]
    snap = server.stats.snapshot()
    assert snap["count_requests"] == snap["ok_answers"] == 2  # duplicate merged, invalid unsent
    assert sum(out["amount_charged"].fill_null(0)) == pytest.approx(snap["billed_amount"])


def test_pandas_frame_with_numbers_dates_and_missing_values(server: SandboxServer) -> None:
    frame = pd.DataFrame(
        {
            "Job Titles": ["CTO", "CFO", None],
            "Company LinkedIn ID": [2135371, None, 7],  # a float column once None is in it
            "Locations": ["Germany", "France", "Italy"],
            "Added": pd.to_datetime(["2024-01-10", None, "2024-03-01"]),
            "Active": [True, False, True],
        }
    )
    out = batchcount.count(frame, yes=True, **at(server))
    assert out["status"].to_list() == ["ok", "ok", "ok"]
    assert json.loads(out["request"][0]) == {
        "job_titles": ["CTO"],
        "company_id": 2135371,
        "locations": ["Germany"],
    }
    assert json.loads(out["request"][2]) == {"company_id": 7, "locations": ["Italy"]}
    # the input columns come back as the text that was read: no "2135371.0", no "NaT"
    assert out["Company LinkedIn ID"].to_list() == ["2135371", "", "7"]
    assert out["Added"].to_list() == ["2024-01-10 00:00:00", "", "2024-03-01 00:00:00"]
    assert out["Active"].to_list() == ["true", "false", "true"]
    assert sent(server) == 3


def test_list_of_dicts_with_list_cells(server: SandboxServer) -> None:
    records = [
        {"Job Titles": ["CTO", "CIO"], "Locations": "Germany"},
        {"Locations": ["France", "Belgium"], "Company Headcounts": "11-50", "note": 3.0},
        {},  # a blank row keeps its place
    ]
    out = batchcount.count(records, yes=True, **at(server))
    assert out.columns[:4] == ["Job Titles", "Locations", "Company Headcounts", "note"]
    assert out["status"].to_list() == ["ok", "ok", "skipped"]
    assert json.loads(out["request"][0])["job_titles"] == ["CTO", "CIO"]
    assert json.loads(out["request"][1])["locations"] == ["France", "Belgium"]
    assert out["note"].to_list() == ["", "3", ""]
    assert out["message"][2].endswith("blank row")
    assert sent(server) == 2


def test_path_with_output_writes_the_workbook_and_the_cli_resumes_it(
    server: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in.xlsx"
    wb = Workbook()
    wb.active.append(HEADERS)
    for row in ROWS:
        wb.active.append(row)
    wb.save(src)
    output = tmp_path / "counted.xlsx"
    out = batchcount.count(str(src), output=output, yes=True, **at(server))
    assert out["status"].to_list() == ["ok", "ok", "ok", "invalid"]
    sheet = list(load_workbook(output, read_only=True)["Results"].iter_rows(values_only=True))
    status = len(HEADERS) + RESULT_COLUMNS.index("status")
    assert [r[status] for r in sheet[1:]] == out["status"].to_list()
    assert not list(tmp_path.glob("*.sqlite"))  # the counts are in the store, not beside it
    assert sent(server) == 2
    # The command line on the same output reuses the Python run's answers: nothing is sent.
    monkeypatch.setenv("GENERECT_API_BASE", server.url)
    monkeypatch.setenv("GENERECT_API_KEY", KEY)
    with pytest.raises(SystemExit) as stop:
        main(["run", str(src), "-o", str(output), "--yes", "-q"])
    assert stop.value.code == 1  # the invalid row
    err = capsys.readouterr().err
    assert "2 reuse counts from" in err and "0 new ($0.00)" in err
    assert "This output (counted.xlsx) has cost $0.08 over 1 earlier run" in err
    assert sent(server) == 2


def test_embedded_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    out = batchcount.count(polars_frame(), sandbox=True, yes=True)
    assert out["status"].to_list() == ["ok", "ok", "ok", "invalid"]
    shown = capsys.readouterr().out  # progress=True (the default) prints the CLI's lines
    assert "Billable requests: 2 (realtime mode)" in shown
    assert "TEST MODE: counts are fictional and nothing is charged" in shown


# --- money: confirmation, reuse, cap ---------------------------------------------------------


def test_paid_call_refused_without_yes_or_confirm(server: SandboxServer, user_store: Path) -> None:
    with pytest.raises(batchcount.ConfirmationRequired) as refused:
        batchcount.count(polars_frame(), **at(server))
    assert sent(server) == 0  # nothing billable reached the server
    quote = refused.value.estimate
    assert isinstance(quote, batchcount.Quote)
    assert (quote.billable, quote.price, quote.cost, quote.rows) == (2, 0.04, 0.08, 4)
    assert quote.test_mode and quote.invalid == 1 and quote.duplicates == 1
    message = str(refused.value)
    assert "would send 2 billable requests" in message and "$0.08" in message
    assert "Nothing was sent. Pass yes=True" in message
    assert isinstance(refused.value, batchcount.UsageError)  # the CLI's exit 2: nothing sent
    assert runs_in(user_store) == 0  # no run recorded: nothing was counted or spent


def test_confirm_callback_sees_the_estimate_and_can_decline(server: SandboxServer) -> None:
    seen: list[batchcount.Quote] = []

    def decline(quote: batchcount.Quote) -> bool:
        seen.append(quote)
        return False

    with pytest.raises(batchcount.NotConfirmed) as declined:
        batchcount.count(polars_frame(), confirm=decline, **at(server))
    assert sent(server) == 0
    assert len(seen) == 1 and seen[0].billable == 2 and seen[0].balance == 100.0
    assert "Billable requests: 2 (realtime mode)" in str(seen[0])  # the CLI's estimate text
    assert "Nothing was sent" in str(declined.value)
    assert isinstance(declined.value, batchcount.StopRun)  # the CLI's exit 3

    out = batchcount.count(polars_frame(), confirm=lambda q: q.cost <= 0.10, **at(server))
    assert out["status"].to_list()[:3] == ["ok", "ok", "ok"] and sent(server) == 2


def test_rerunning_the_same_cell_never_pays_twice(server: SandboxServer, user_store: Path) -> None:
    first = batchcount.count(polars_frame(), yes=True, **at(server))
    assert sent(server) == 2
    # Again, without yes: nothing billable is left, so nothing needs confirming.
    again = batchcount.count(polars_frame(), **at(server))
    assert sent(server) == 2
    assert again["results_count"].to_list() == first["results_count"].to_list()
    assert "reused the stored count of" in again["message"][0]
    assert "not charged again" in again["message"][0]
    # The same segments in another table, re-sorted, with other casing: still reused.
    other = [{"Titles": "cto", "Geo": "GERMANY", "Size": "51-200", "Seniority": "c_suite"}]
    reused = batchcount.count(other, columns={"Size": "company_headcounts"}, **at(server))
    assert reused["results_count"][0] == first["results_count"][0] and sent(server) == 2
    assert runs_in(user_store) == 3  # the per-user store: the same one `batchcount run` uses


def test_max_cost_stops_keeps_the_table_and_the_rerun_resumes(server: SandboxServer) -> None:
    frame = pl.DataFrame({"Job Titles": [f"Title {i}" for i in range(6)], "Locations": "Spain"})
    with pytest.raises(batchcount.RunStopped) as stopped:
        batchcount.count(frame, yes=True, max_cost=0.09, concurrency=1, **at(server))
    partial = stopped.value.results
    assert isinstance(partial, pl.DataFrame) and partial.height == 6
    statuses = partial["status"].to_list()
    assert statuses.count("ok") == 2 and statuses.count("skipped") == 4
    assert "budget reached" in stopped.value.reason and stopped.value.exit_code == 3
    assert "Rerun the same call to resume" in str(stopped.value)
    assert sent(server) == 2
    done = batchcount.count(frame, yes=True, **at(server))
    assert done["status"].to_list() == ["ok"] * 6
    assert sent(server) == 6  # the 2 answered ones were not paid again


def test_fresh_is_asked_like_any_cost(server: SandboxServer) -> None:
    """fresh=True recounts every segment: one question, the cost's (as the command line's
    prompt), never a silent "yes"."""
    batchcount.count(polars_frame(), yes=True, **at(server))
    with pytest.raises(batchcount.ConfirmationRequired, match="would send 2 billable"):
        batchcount.count(polars_frame(), fresh=True, **at(server))
    seen: list[batchcount.Quote] = []
    with pytest.raises(batchcount.NotConfirmed):
        batchcount.count(polars_frame(), fresh=True, confirm=seen.append, **at(server))
    assert "--fresh: recount all 2 segments" in seen[0].question
    assert "2 of them have stored counts" in seen[0].question
    assert sent(server) == 2
    batchcount.count(polars_frame(), fresh=True, confirm=lambda q: True, **at(server))
    assert sent(server) == 4
    batchcount.count(polars_frame(), fresh=True, yes=True, **at(server))
    assert sent(server) == 6


# --- errors: typed, with the command line's messages -----------------------------------------


def test_errors_carry_the_command_lines_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.csv"
    src.write_text("Job Titles\nCTO\n", encoding="utf-8")
    with pytest.raises(batchcount.UsageError) as no_key:
        batchcount.count(src, yes=True, progress=False)
    assert cli_error(capsys, "run", str(src), "--yes") == (2, no_key.value.message)
    assert "no API key: set GENERECT_API_KEY" in no_key.value.message

    missing = tmp_path / "missing.xlsx"
    with pytest.raises(batchcount.InputFileError) as unreadable:
        batchcount.count(missing, sandbox=True, yes=True, progress=False)
    assert cli_error(capsys, "run", str(missing), "--sandbox", "--yes")[1] == str(unreadable.value)
    with pytest.raises(batchcount.InputFileError) as in_check:
        batchcount.check(missing)
    assert str(in_check.value) == str(unreadable.value)

    with pytest.raises(batchcount.UsageError) as cap:
        batchcount.count(src, sandbox=True, yes=True, concurrency=0, progress=False)
    # The command line refuses it while parsing (a click usage error, worded by click); the
    # API says the same thing in its own words: both exit 2 / UsageError, nothing sent.
    with pytest.raises(SystemExit) as stop:
        main(["run", str(src), "--sandbox", "--yes", "--concurrency", "0"])
    message = capsys.readouterr().err
    assert stop.value.code == 2 and "'--concurrency'" in message and "500" in message
    assert "--concurrency 0" in str(cap.value) and "500" in str(cap.value)

    nothing = [{"Notes": "hello", "Owner": "Ana"}]
    with pytest.raises(batchcount.UsageError) as no_filter:
        batchcount.check(nothing)
    notes = tmp_path / "notes.csv"
    notes.write_text("Notes,Owner\nhello,Ana\n", encoding="utf-8")
    assert cli_error(capsys, "check", str(notes))[1] == str(no_filter.value)


def test_rejected_key_is_a_stop_and_never_shown(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "test_wrong_key_4f1d2c"
    with start_sandbox(SandboxConfig(valid_keys=frozenset({KEY}))) as srv:
        with pytest.raises(batchcount.StopRun) as rejected:
            batchcount.count(polars_frame(), base_url=srv.url, api_key=secret, yes=True)
        assert int(srv.stats.snapshot()["ok_answers"]) == 0
    text = str(rejected.value) + capsys.readouterr().out
    assert "key" in str(rejected.value).lower() and secret not in text


def test_wrong_kinds_of_arguments_are_usage_errors() -> None:
    with pytest.raises(batchcount.UsageError, match="cannot read a int as segments"):
        batchcount.count(42, yes=True)  # type: ignore[arg-type]
    with pytest.raises(batchcount.UsageError, match="mode='fast'"):
        batchcount.check([{"Job Titles": "CTO"}], mode="fast")  # type: ignore[arg-type]
    with pytest.raises(batchcount.UsageError, match="sheet= applies to spreadsheet files"):
        batchcount.read([{"Job Titles": "CTO"}], sheet="Segments")
    with pytest.raises(batchcount.UsageError, match="--concurrency fast"):
        batchcount.count([{"Job Titles": "CTO"}], sandbox=True, concurrency="fast")  # type: ignore[arg-type]
    with pytest.raises(batchcount.InputFileError, match="the list of dicts is empty"):
        batchcount.check([])


# --- progress --------------------------------------------------------------------------------


def test_progress_false_prints_nothing_and_a_callback_gets_progress(
    server: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    batchcount.count(polars_frame(), yes=True, **at(server))
    assert capsys.readouterr() == ("", "")
    seen: list[batchcount.Progress] = []
    frame = pl.DataFrame({"Job Titles": ["A", "B", "C"], "Added": [dt.date(2024, 1, 1)] * 3})
    options = {**at(server), "progress": seen.append}
    batchcount.count(frame, yes=True, **options)
    assert capsys.readouterr() == ("", "")
    assert seen and seen[-1].total == 3 and seen[-1].done == 3
    assert seen[-1].spent == pytest.approx(0.12) and seen[-1].test_mode


def test_progress_true_prints_the_messages_and_draws_a_bar(
    server: SandboxServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("batchcount.api.progress._can_draw", lambda: True)  # as in Jupyter
    options = {**at(server), "progress": True}
    batchcount.count(polars_frame(), yes=True, **options)
    out, err = capsys.readouterr()
    assert "Columns sent:" in out and "Estimated cost: $0.08" in out
    assert "Rows: 3 ok, 1 invalid" in out and "Wrote" not in out  # no file without output=
    assert "Counting: 100%" in err and "TEST MODE" in err
    assert KEY not in out + err


def test_the_per_user_store_is_the_command_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batchcount.api import userdata
    from batchcount.store.location import default_store, store_location

    monkeypatch.delenv("BATCHCOUNT_STORE")
    assert store_location(None) == default_store()  # the platform's user data folder
    assert default_store().name == "counts.sqlite" and default_store().parent.name == "batchcount"
    assert userdata.chosen_store(tmp_path) == tmp_path / "counts.sqlite"  # a folder
    assert userdata.chosen_store(tmp_path / "team.sqlite") == tmp_path / "team.sqlite"
    with pytest.raises(batchcount.UsageError, match="does not exist"):
        userdata.chosen_store(tmp_path / "nowhere" / "j.sqlite")


def test_store_names_the_count_store(
    server: SandboxServer, tmp_path: Path, user_store: Path
) -> None:
    team = tmp_path / "team.sqlite"
    batchcount.count(polars_frame(), yes=True, store=team, **at(server))
    assert runs_in(team) == 1 and runs_in(user_store) == 0
    batchcount.count(polars_frame(), store=team, **at(server))  # nothing left to pay for
    assert sent(server) == 2
    # another store knows nothing of those counts: without yes it asks before paying again
    with pytest.raises(batchcount.ConfirmationRequired):
        batchcount.count(polars_frame(), **at(server))
    assert sent(server) == 2


# --- the command line's layout options, as keywords --------------------------------------------


def test_explode_separator_and_fill_down_as_keywords() -> None:
    rows = [
        {"Segment": "EMEA", "Job Titles": "VP Sales", "Locations": "Germany, France"},
        {"Segment": "", "Job Titles": "CTO", "Locations": "Spain"},
    ]
    # one text per column (as --separator "Locations=,"), exploded (as --explode Locations)
    report = batchcount.check(rows, separator={"Locations": ","}, explode="Locations")
    assert report.estimate.billable == 3 and report.estimate.invalid == 0
    assert report.results["source_row"].to_list() == [2, 2, 3]
    assert report.results["Locations"].to_list() == ["Germany", "France", "Spain"]
    # the same sheet without the column's separator: one place called "Germany, France"
    plain = batchcount.check(rows)
    assert plain.estimate.billable == 1 and plain.estimate.invalid == 1
    # paid through the same options: every segment counted once, in the sandbox
    out = batchcount.count(
        rows,
        sandbox=True,
        yes=True,
        progress=False,
        separator={"Locations": ","},
        explode=["Locations"],
    )
    assert out["status"].to_list() == ["ok", "ok", "ok"]
    assert out["source_row"].to_list() == [2, 2, 3]


def test_header_row_is_for_files_only(tmp_path: Path) -> None:
    src = tmp_path / "titled.csv"
    src.write_text("Territory plan,\n,\nJob Titles,Locations\nCTO,Spain\n", encoding="utf-8")
    assert batchcount.check(src, header_row=3).estimate.billable == 1
    assert batchcount.read(src, header_row=3)["source_row"].to_list() == [4]
    with pytest.raises(batchcount.UsageError, match="header_row= applies to spreadsheet files"):
        batchcount.check([{"Job Titles": "CTO"}], header_row=1)
