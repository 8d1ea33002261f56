"""`run --compare PREVIOUS.xlsx`: the real CLI against the loopback sandbox.

Rows are matched to the earlier output by request body (re-sorted, re-cased and re-formatted
bodies still match), never by position; new and gone segments are marked; a file that is not
a batchcount output is refused before anything is sent.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from test_e2e import KEY, cli, summary, write_xlsx

from batchcount.output.columns import RESULT_COLUMNS
from batchcount.sandbox.server import SandboxConfig, SandboxServer, start_sandbox

HEADERS = ["Segment", "Job Titles", "Seniorities", "Locations", "Company Headcounts"]
JANUARY = [
    ["DACH CTOs", "CTO; Chief Technology Officer", "c_suite", "Germany; Austria", "51-200"],
    ["French sales", "VP Sales; Head of Sales", "vp; head", "France", "201-500"],
    ["UK founders", "Founder", "founder", "United Kingdom", "11-50"],
    ["Nordic data", "Head of Data", "head", "Sweden; Norway", "501-1000"],
    ["US HR", "HR Director", "director", "United States", "1001-5000"],
]
COMPARE_COLUMNS = ["previous_count", "previous_counted_at", "change", "change_pct"]


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with start_sandbox(SandboxConfig(valid_keys=frozenset({KEY}))) as srv:
        yield srv


def results(path: Path) -> list[dict[str, Any]]:
    """The Results rows by header (read-only rows end at their last cell: padded here)."""
    rows = list(load_workbook(path, read_only=True)["Results"].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    padding = [None] * len(header)
    return [dict(zip(header, [*row, *padding][: len(header)], strict=True)) for row in rows[1:]]


def by_segment(path: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in results(path):
        out.setdefault(str(row["Segment"]), []).append(row)
    return out


def edit_previous(path: Path, edits: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Change cells of the earlier output by segment (as if counted another month); returns
    each segment's count as it was written."""
    wb = load_workbook(path)
    ws = wb["Results"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) for name in ("Segment", "results_count", "request")}
    counts: dict[str, int] = {}
    for row in ws.iter_rows(min_row=2):
        segment = row[col["Segment"]].value
        counts[segment] = row[col["results_count"]].value
        for name, value in edits.get(segment, {}).items():
            cell = row[header.index(name)]
            cell.value = value(cell.value) if callable(value) else value
    wb.save(path)
    return counts


def reformatted(request: str) -> str:
    """The same segment written another way: keys sorted, lists reversed and upper-cased,
    pretty-printed."""
    body = json.loads(request)
    body = {
        k: [v.upper() for v in reversed(vs)] if isinstance(vs, list) else vs
        for k, vs in sorted(body.items(), reverse=True)
    }
    return json.dumps(body, indent=2)


def test_compare_matches_by_body_not_position(server: SandboxServer, tmp_path: Path) -> None:
    previous = tmp_path / "january.counted.xlsx"
    first = cli("run", str(write_xlsx(tmp_path / "january.xlsx", JANUARY, HEADERS)), "-o",
                str(previous), "--yes", server=server)  # fmt: skip
    assert first.returncode == 0, first.stderr
    before = edit_previous(
        previous,
        {
            "DACH CTOs": {"results_count": lambda n: n // 2},  # it doubled since
            "French sales": {"results_count": None, "status": "failed"},  # no count then
            "Nordic data": {"results_count": lambda n: n + 1000, "request": reformatted},
        },
    )
    # This month: re-sorted, re-cased, one segment gone, one new, one written twice.
    now = [
        ["US HR", "hr director", "Director", "united states", "1001-5000"],
        ["Spanish CFOs", "CFO", "c_suite", "Spain", "51-200"],
        ["Nordic data", "head of data", "head", "Norway; Sweden", "501-1000"],
        ["French sales", "Head of Sales; VP Sales", "head; vp", "france", "201-500"],
        ["DACH CTOs", "chief technology officer;cto", "C_SUITE", "austria; GERMANY", "51-200"],
        ["US HR", "HR  Director", "director", "United States", "1001-5000"],
    ]
    out = tmp_path / "february.counted.xlsx"
    src = write_xlsx(tmp_path / "february.xlsx", now, HEADERS)
    done = cli("run", str(src), "-o", str(out), "--yes", "--compare", str(previous),
               server=server)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr

    header = [str(h) for h in next(load_workbook(out, read_only=True)["Results"].values)]
    fixed = len(HEADERS) + len(RESULT_COLUMNS)
    assert header[len(HEADERS) : fixed] == list(RESULT_COLUMNS)  # the fixed columns stay put
    assert header[fixed:] == COMPARE_COLUMNS

    rows = by_segment(out)
    dach = rows["DACH CTOs"][0]
    assert dach["status"] == "ok" and dach["results_count"] == before["DACH CTOs"]
    half = before["DACH CTOs"] // 2
    assert dach["previous_count"] == half
    assert dach["change"] == before["DACH CTOs"] - half
    assert dach["change_pct"] == pytest.approx((before["DACH CTOs"] - half) / half)
    assert isinstance(dach["previous_counted_at"], datetime)

    nordic = rows["Nordic data"][0]  # its previous request was rewritten: still matched
    assert nordic["previous_count"] == before["Nordic data"] + 1000
    assert nordic["change"] == -1000

    french = rows["French sales"][0]
    assert french["status"] == "ok" and french["previous_count"] is None
    assert french["change"] is None and french["change_pct"] is None
    assert "not compared: the previous output's row 3 was failed" in str(french["message"])

    spanish = rows["Spanish CFOs"][0]
    assert spanish["status"] == "ok" and spanish["previous_count"] is None
    assert "new since previous" in str(spanish["message"])

    for us in rows["US HR"]:  # both rows of the duplicate, unchanged
        assert us["previous_count"] == before["US HR"] == us["results_count"]
        assert us["change"] == 0 and us["change_pct"] == 0

    facts = summary(out)
    assert str(facts["Compared with"]).startswith("january.counted.xlsx (counted ")
    assert facts["Segments compared"] == "3"  # DACH, Nordic, US HR (its two rows once)
    assert facts["Segments changed"] == "2"
    assert facts["Not compared (not ok in the previous output)"] == "1"
    assert facts["Rows new since previous"] == "1"
    assert facts["Segments gone since previous"] == "1"
    gone = {k: v for k, v in facts.items() if "UK founders" in k}
    assert list(gone) == ["1. row 4: UK founders"]  # its row in January's input
    assert str(gone["1. row 4: UK founders"]).startswith(f"{before['UK founders']:,} (counted ")
    movers = [k for k in facts if k.startswith(("1. row", "2. row"))]
    assert any("DACH CTOs" in k for k in movers) and any("Nordic data" in k for k in movers)
    assert "Compared with january.counted.xlsx: 3 segments compared (2 changed)" in done.stderr
    assert "1 row new since previous, 1 segment gone" in done.stderr
    assert "gone: row 4 of the previous input, UK founders" in done.stderr


def test_compare_with_a_csv_output_and_an_edited_request(
    server: SandboxServer, tmp_path: Path
) -> None:
    previous = tmp_path / "before.xlsx"
    src = write_xlsx(tmp_path / "in.xlsx", JANUARY[:2], HEADERS)
    assert cli("run", str(src), "-o", str(previous), "--yes", server=server).returncode == 0
    edit_previous(previous, {"French sales": {"request": "{not json"}})
    out = tmp_path / "now.csv"
    done = cli("run", str(src), "-o", str(out), "--yes", "--compare", str(previous),
               server=server)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0])[-4:] == COMPARE_COLUMNS
    assert table[0]["previous_count"] == table[0]["results_count"] and table[0]["change"] == "0"
    assert table[0]["previous_counted_at"][:2] == "20"  # an ISO date-time, UTC
    assert "new since previous" in table[1]["message"]  # its old request is unreadable
    assert "1 row of before.xlsx: the request is not a JSON object" in done.stderr


def _not_batchcount(tmp_path: Path) -> tuple[Path, str]:
    wb = Workbook()
    ws = wb.active
    ws.title = "Results"
    ws.append(["Segment", "results_count", "status"])
    ws.append(["x", 5, "ok"])
    path = tmp_path / "other.xlsx"
    wb.save(path)
    return path, "is not a batchcount output: its Results sheet has no 'request' column"


def _input_sheet(tmp_path: Path) -> tuple[Path, str]:
    return tmp_path / "in.xlsx", "is not a batchcount output: it has no 'Results' sheet"


def _csv_output(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "before.counted.csv"
    path.write_text("Segment,results_count,status,request\r\nx,5,ok,{}\r\n", encoding="utf-8")
    return path, "is a text (CSV) file: --compare reads the Results sheet"


def _garbage(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "garbage.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    return path, "is damaged"


def _missing(tmp_path: Path) -> tuple[Path, str]:
    return tmp_path / "nope.xlsx", "the file does not exist"


@pytest.mark.parametrize(
    "make",
    [_not_batchcount, _input_sheet, _csv_output, _garbage, _missing],
    ids=lambda f: f.__name__,
)
def test_compare_refuses_what_is_not_a_batchcount_output(
    make: Any, server: SandboxServer, tmp_path: Path
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", JANUARY, HEADERS)
    previous, expected = make(tmp_path)
    done = cli("run", str(src), "--yes", "--compare", str(previous), server=server)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr and "error: --compare " in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert server.stats.snapshot()["count_requests"] == 0  # refused before anything was sent
    assert not (tmp_path / "in.counted.xlsx").exists()


def test_python_api_compare(server: SandboxServer, tmp_path: Path) -> None:
    import batchcount

    segments = [dict(zip(HEADERS, row, strict=True)) for row in JANUARY]
    previous = tmp_path / "before.xlsx"
    options: dict[str, Any] = {"api_key": KEY, "base_url": server.url, "progress": False}
    batchcount.count(segments[:3], output=previous, yes=True, **options)
    frame = batchcount.count(
        segments[1:], yes=True, compare=previous, store=tmp_path / "s.sqlite", **options
    )
    assert frame.columns[-4:] == COMPARE_COLUMNS
    assert str(frame.schema["previous_count"]) == "Int64"
    assert frame["change"].to_list() == [0, 0, None, None]
    assert frame["previous_count"][0] == frame["results_count"][0]
    assert ["new since previous" in m for m in frame["message"]] == [False, False, True, True]


def test_check_compare_says_what_matches_without_sending(
    server: SandboxServer, tmp_path: Path
) -> None:
    previous = tmp_path / "before.xlsx"
    src = write_xlsx(tmp_path / "in.xlsx", JANUARY[:3], HEADERS)
    assert cli("run", str(src), "-o", str(previous), "--yes", server=server).returncode == 0
    now = write_xlsx(tmp_path / "now.xlsx", [JANUARY[2], JANUARY[1], JANUARY[3]], HEADERS)
    report = tmp_path / "report.xlsx"
    done = cli("check", str(now), "--compare", str(previous), "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert (
        "Compared with before.xlsx: 2 segments with a previous count, 1 row new since "
        "previous, 1 segment gone" in done.stdout
    )
    assert "gone: row 2 of the previous input, DACH CTOs" in done.stdout
    rows = results(report)
    assert [r["status"] for r in rows] == ["skipped"] * 3
    assert isinstance(rows[0]["previous_count"], int) and rows[0]["change"] is None
    assert "new since previous" in str(rows[2]["message"])
    assert summary(report)["Segments with a previous count"] == "2"


def test_result_columns_are_found_by_name_the_last_of_each(tmp_path: Path) -> None:
    """An input column may be called `status` or `request`: the result columns follow the
    input's own, so the last column of each name is the one read."""
    from batchcount.read.previous import read_previous

    wb = Workbook()
    ws = wb.active
    ws.title = "Results"
    ws.append(["Segment", "status", "request", "source_row", "results_count", "status",
               "amount_charged", "counted_at", "source", "message", "request"])  # fmt: skip
    body = '{"job_titles": ["CTO"]}'
    ws.append(["A", "draft", "n/a", 2, 120, "ok", 0.04, datetime(2026, 3, 1, 9, 30), "new", "",
               body])  # fmt: skip
    ws.append(["B", "", "", 3, None, "failed", None, None, "", "(500)", body])
    ws.append(["C", "", "", 4, "n/a", "ok", None, "yesterday", "", "", "{not json"])
    path = tmp_path / "prev.xlsx"
    wb.save(path)
    previous = read_previous(path, label_header="Segment")
    first, second, third = previous.rows
    assert (first.request, first.status, first.results_count) == (body, "ok", 120)
    assert first.source_row == 2 and first.label == "A" and first.line == 2
    assert first.counted_at is not None and first.counted_at.isoformat() == (
        "2026-03-01T09:30:00+00:00"
    )
    assert (second.status, second.results_count, second.counted_at) == ("failed", None, None)
    assert (third.results_count, third.counted_at) == (None, None)  # unreadable cells: none
    assert previous.mode is None and previous.test_mode is None  # no Summary sheet
