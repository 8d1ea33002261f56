"""--explode: one segment per list value, crossed; Results one row per segment; source_row;
the estimate after explosion and merging; large rows named, refused with -y."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from batchcount.cli import main
from batchcount.plan import explode as explode_module
from batchcount.plan.prepare import InputOptions, prepare

MakeFile = Callable[..., Path]  # the make_csv / make_xlsx fixtures (conftest.py)

HEADERS = ["Segment", "Job Titles", "Seniorities", "Locations", "Company Headcounts", "Notes"]
EMEA = ["EMEA sales", "Head of Sales", "VP;Director", "Germany;France;Spain", "51-200", "q3"]


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, out, err


def sheet_rows(path: Path, name: str = "Results") -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_six_segments_crossed_in_input_order(make_xlsx: MakeFile) -> None:
    src = make_xlsx([HEADERS, EMEA])
    prepared = prepare(InputOptions(src, explode=("Locations", "seniorities")))
    plan = prepared.plan
    assert len(plan.rows) == 6 and len(plan.requests) == 6
    bodies = [r.check.body for r in plan.rows]
    assert [(b["locations"], b["seniorities"]) for b in bodies if b] == [
        (["Germany"], ["vp"]),
        (["Germany"], ["director"]),
        (["France"], ["vp"]),
        (["France"], ["director"]),
        (["Spain"], ["vp"]),
        (["Spain"], ["director"]),
    ]
    # every segment keeps the row's other filters
    assert all(b and b["job_titles"] == ["Head of Sales"] for b in bodies)
    assert all(b and b["company_headcounts"] == ["51-200"] for b in bodies)
    assert {r.check.row_number for r in plan.rows} == {2}
    assert [r.segment for r in plan.rows][:2] == [("Germany", "VP"), ("Germany", "Director")]


@pytest.mark.parametrize("name", ["Locations", "locations", " LOCATIONS ", "Locations "])
def test_explode_names_a_header_or_a_field(make_xlsx: MakeFile, name: str) -> None:
    src = make_xlsx([HEADERS, EMEA])
    prepared = prepare(InputOptions(src, explode=(name,)))
    assert len(prepared.plan.rows) == 3


def test_explode_by_field_when_the_header_is_an_alias(make_xlsx: MakeFile) -> None:
    src = make_xlsx([["Name", "Country", "Title"], ["a", "Germany;France", "CEO"]])
    prepared = prepare(InputOptions(src, explode=("locations",)))
    assert [r.segment for r in prepared.plan.rows] == [("Germany",), ("France",)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Region", "no such column"),
        ("Segment", "not sent as a filter"),
        ("Company Name", "holds one value, not a list"),
    ],
)
def test_bad_explode_column_is_a_usage_error(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], name: str, expected: str
) -> None:
    src = make_xlsx([[*HEADERS, "Company Name"], [*EMEA, "Acme"]])
    code, _, err = run_main(capsys, "check", str(src), "--explode", name)
    assert code == 2 and expected in err and "Traceback" not in err


def test_explode_twice_is_a_usage_error(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_xlsx([HEADERS, EMEA])
    code, _, err = run_main(
        capsys, "check", str(src), "--explode", "Locations", "--explode", "locations"
    )
    assert code == 2 and "given twice" in err


def test_check_report_one_row_per_segment_with_source_row(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A title block above the header shifts every row: source_row must follow the sheet.
    src = make_xlsx(
        [
            ["Territory plan Q3"],
            [],
            HEADERS,
            EMEA,
            [],
            ["Poland", "CEO", "c_suite", "", "11-50", ""],
        ]
    )
    report = tmp_path / "report.xlsx"
    code, out, _ = run_main(
        capsys,
        "check",
        str(src),
        "--explode",
        "Locations",
        "--explode",
        "Seniorities",
        "--report",
        str(report),
    )
    assert code == 0, out
    assert "Exploded Locations × Seniorities: 2 rows → 7 segments" in out
    assert "8 segments: 7 valid, 0 invalid, 1 blank" in out  # the blank row stays in place
    rows = sheet_rows(report)
    assert [r["source_row"] for r in rows] == [4] * 6 + [5, 6]
    # the exploded cells show the segment's single value; the other cells are kept
    assert [(r["Locations"], r["Seniorities"]) for r in rows[:3]] == [
        ("Germany", "VP"),
        ("Germany", "Director"),
        ("France", "VP"),
    ]
    assert {r["Segment"] for r in rows[:6]} == {"EMEA sales"}
    assert {r["Notes"] for r in rows[:6]} == {"q3"}
    assert rows[6]["status"] == "skipped" and rows[6]["message"] == "blank row"
    # an empty exploded cell is one segment with no location filter
    assert rows[7]["Locations"] is None
    assert "locations" not in json.loads(rows[7]["request"])
    assert json.loads(rows[0]["request"])["locations"] == ["Germany"]
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == ["Results", "Summary", "Matrix"]
    assert wb["Results"]["A1"].value == "Segment"


def test_a_bad_value_makes_only_its_segment_invalid(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([HEADERS, ["Sizes", "CFO", "vp", "Germany", "51-200;50-200;201-500", ""]])
    report = tmp_path / "r.xlsx"
    code, out, _ = run_main(
        capsys, "check", str(src), "--explode", "Company Headcounts", "--report", str(report)
    )
    assert code == 1
    assert "row 2: 1 of 3 segments invalid (not sent); the other 2 are still sent" in out
    assert "Billable requests: 2 x" in out
    rows = sheet_rows(report)
    assert [r["status"] for r in rows] == ["skipped", "invalid", "skipped"]
    assert [r["source_row"] for r in rows] == [2, 2, 2]
    assert "row 2, Company Headcounts: '50-200'" in rows[1]["message"]
    assert "did you mean '51-200'" in rows[1]["message"]


def test_estimate_counts_after_explosion_and_merging(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        HEADERS,
        EMEA,  # 6 segments
        ["Again", "head of sales", "vp", "germany;Italy", "51-200", ""],  # Germany×vp repeats
    ]
    src = make_xlsx(rows)
    code, out, _ = run_main(
        capsys, "check", str(src), "--explode", "Locations", "--explode", "Seniorities"
    )
    assert code == 0
    assert "8 segments: 8 valid, 0 invalid, 0 blank; 1 duplicate segment merged" in out
    assert "Billable requests: 7 x $0.04 (list price) = estimated cost $0.28" in out


def test_large_rows_are_named_and_refused_with_yes(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    titles = ";".join(f"Title {i}" for i in range(30))
    places = ";".join(f"City {i}" for i in range(40))
    src = make_xlsx(
        [HEADERS, ["Big", titles, "", places, "", ""], ["Small", "CEO", "", "", "", ""]]
    )
    explode = ["--explode", "Job Titles", "--explode", "Locations"]
    code, out, _ = run_main(capsys, "check", str(src), *explode)
    assert code == 0
    assert "Large: row 2 expands to 1,200 segments (30 Job Titles × 40 Locations)" in out
    assert "more than --max-segments 1,000" in out
    out_path = tmp_path / "out.xlsx"
    code, _, err = run_main(
        capsys, "run", str(src), *explode, "--sandbox", "-y", "-o", str(out_path)
    )
    assert code == 2
    assert "row 2 (1,200 segments)" in err and "--max-segments 1200" in err
    assert not out_path.exists() and not list(tmp_path.glob("*.journal*"))
    # raising the limit on purpose is accepted (check shows nothing large then)
    code, out, _ = run_main(capsys, "check", str(src), *explode, "--max-segments", "1200")
    assert code == 0 and "Large:" not in out


def test_a_row_beyond_the_hard_limit_is_invalid_not_expanded(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(explode_module, "HARD_LIMIT", 10)
    src = make_xlsx([HEADERS, ["Huge", "A;B;C;D", "vp", "X;Y;Z", "", ""], EMEA])
    prepared = prepare(InputOptions(src, explode=("Job Titles", "Locations")))
    first = prepared.plan.rows[0]
    assert first.check.status == "invalid" and first.check.row_number == 2
    assert "would make 12 segments" in first.check.errors[0]
    assert len(prepared.plan.rows) == 1 + 3


def test_run_writes_one_row_per_segment_and_cites_the_sent_segment(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # a title block above the header: source_row and messages follow the sheet's numbers
    dup = ["Dup", "Head of Sales", "vp", "France", "51-200", ""]
    src = make_xlsx([["EMEA plan"], HEADERS, EMEA, dup])
    out_path = tmp_path / "out.xlsx"
    code, _, err = run_main(
        capsys,
        "run",
        str(src),
        "--explode",
        "Locations",
        "--explode",
        "Seniorities",
        "--sandbox",
        "-y",
        "-o",
        str(out_path),
    )
    assert code == 0, err
    assert "Billable requests: 6 (realtime mode)" in err
    rows = sheet_rows(out_path)
    assert len(rows) == 7 and all(r["status"] == "ok" for r in rows)
    assert all(isinstance(r["results_count"], int) for r in rows)
    assert [r["source_row"] for r in rows] == [3] * 6 + [4]
    assert rows[6]["source"] == "duplicate" and rows[6]["amount_charged"] == 0
    assert "same segment as row 3 (France × VP)" in rows[6]["message"]
    assert rows[6]["results_count"] == rows[2]["results_count"]


def test_csv_output_carries_segments_and_source_row(
    make_csv: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_csv([HEADERS, EMEA])
    out_path = tmp_path / "out.csv"
    code, _, err = run_main(
        capsys, "run", str(src), "--explode", "Seniorities", "--sandbox", "-y", "-o", str(out_path)
    )
    assert code == 0, err
    lines = out_path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3
    assert lines[1].split(",")[2] == "VP" and lines[2].split(",")[2] == "Director"
    assert lines[1].split(",")[6] == "2" and lines[2].split(",")[6] == "2"


def test_a_comma_list_in_an_exploded_cell_is_pointed_out(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str]
) -> None:
    src = make_xlsx([HEADERS, ["EU", "CFO", "vp", "Germany, France, Spain", "", ""]])
    code, out, _ = run_main(capsys, "check", str(src), "--explode", "Locations")
    assert code == 1  # countries joined by commas would be sent as one place: refused
    assert "Exploded Locations: 1 row → 1 segment" in out
    assert "row 2, Locations: 'Germany, France, Spain' is one value, so one segment" in out
    assert '--separator "Locations=,"' in out and "--separator ','" not in out
    assert "'Germany, France, Spain' is 3 countries in one value" in out
    code, out, _ = run_main(capsys, "check", str(src), "--explode", "Locations", "--separator", ",")
    assert code == 0
    assert "1 row → 3 segments" in out and "is one value" not in out
    # the column's own separator splits the exploded cell too
    code, out, _ = run_main(
        capsys, "check", str(src), "--explode", "Locations", "--separator", "Locations=,"
    )
    assert code == 0
    assert "1 row → 3 segments" in out and "is one value" not in out
