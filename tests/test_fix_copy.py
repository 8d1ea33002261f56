"""check --fix OUT.xlsx: safe fixes applied and listed on a Fixes sheet, problem cells
highlighted with their message as a comment, the input untouched, and a check of the fixed
copy showing only what needs a person."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from batchcount.cli import main
from batchcount.plan.fixes import fixed_text
from batchcount.plan.rows import RowOptions

MakeFile = Callable[..., Path]  # the make_csv / make_xlsx fixtures (conftest.py)
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["check", *args])
    out, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, out, err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fixes(path: Path) -> list[dict[str, Any]]:
    rows = list(openpyxl.load_workbook(path)["Fixes"].iter_rows(values_only=True))
    assert rows[0][:5] == ("row", "column", "before", "after", "why")
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_messy_sample_fixed_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "messy.xlsx"
    shutil.copy(SAMPLES / "segments-messy.xlsx", src)
    before = digest(src)
    fixed = tmp_path / "fixed.xlsx"
    code, out, _ = check(capsys, str(src), "--fix", str(fixed))
    assert code == 1
    assert "Repaired: 7" in out
    assert f"Wrote {fixed}: 7 cells fixed" in out and "5 cells need you" in out
    assert digest(src) == before  # the input is never touched
    wb = openpyxl.load_workbook(fixed)
    assert wb.sheetnames == ["Territory plan", "Fixes"]
    ws = wb["Territory plan"]
    listed = fixes(fixed)
    assert [(f["row"], f["column"], f["before"], f["after"]) for f in listed] == [
        (2, "Seniority", "CXO", "c_suite"),
        (3, "Seniority", "Vice President", "vp"),
        (3, "Industry", "software development", "Software Development"),
        (3, "Company Size", "10001+", "10 000+"),
        (3, "Company Type", "privately held", "Privately Held"),
        (4, "Company Size", "2024-01-10 0:00:00", "1-10"),
        (5, "Company Size", "1950-11-01 0:00:00", "11-50"),
    ]
    assert "Excel had turned the bucket into a date" in listed[5]["why"]
    assert "exact LinkedIn industry name" in listed[2]["why"]
    # fixed cells: the new value, as text (Excel cannot turn '1-10' into a date again), green
    assert ws["F4"].value == "1-10" and ws["F4"].data_type == "s"
    assert ws["F4"].number_format == "@"
    assert ws["F4"].fill.fgColor.rgb.endswith("C6EFCE")
    assert "Fixed by batchcount" in ws["F4"].comment.text
    # problem cells: red, with the message check prints
    assert ws["E2"].value == "Fintech" and ws["E2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "row 2, Industry: 'Fintech' is not a LinkedIn industry" in ws["E2"].comment.text
    assert "did you mean 'Financial Services'" in ws["E2"].comment.text
    assert "row 6, Company Size: '50-200'" in ws["F6"].comment.text
    # row-level problems sit on the row's first cell
    assert "no filter is filled in" in ws["A9"].comment.text
    assert "are both filled" in ws["A8"].comment.text
    # checking the fixed copy shows only what needed a human
    code, again, _ = check(capsys, str(fixed))
    assert code == 1
    assert "Repaired" not in again
    assert again.count("\n  row ") == out.split("Repaired")[0].count("\n  row ")


def test_csv_input_becomes_an_xlsx_with_the_same_row_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "plan.csv"
    src.write_text(
        "Territory plan\n\nSegment,Seniorities,Locations,Company Headcounts\n"
        "A,Vice President,USA;Germany,10001+\nB,vp,=1+1,50-200\n",
        encoding="utf-8",
    )
    fixed = tmp_path / "plan.fixed.xlsx"
    code, out, _ = check(capsys, str(src), "--fix", str(fixed))
    assert code == 1
    assert "the input is CSV: the fixed copy is a new .xlsx" in out
    ws = openpyxl.load_workbook(fixed).worksheets[0]
    assert ws["A1"].value == "Territory plan" and ws["A3"].value == "Segment"
    assert ws["B4"].value == "vp" and ws["C4"].value == "United States;Germany"
    assert ws["D4"].value == "10 000+"
    assert ws["C5"].value == "=1+1" and ws["C5"].data_type == "s"  # text stays text
    assert "row 5, Company Headcounts: '50-200'" in ws["D5"].comment.text
    code, again, _ = check(capsys, str(fixed))
    assert "Repaired" not in again and "header: row 3" in again
    assert "row 5, Company Headcounts: '50-200'" in again


def test_xlsx_keeps_other_sheets_formatting_and_the_analysts_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws.append(["Segment", "Industry", "Company Size"])
    ws.append(["A", "software development", datetime(2024, 1, 10)])
    ws.append(["B", "SaaS", "51-200"])
    ws["A1"].font = Font(bold=True, color="FF0000")
    ws["A2"].fill = PatternFill("solid", fgColor="DDEBF7")
    ws["B3"].comment = Comment("ask Ana", "Ana")
    ws.column_dimensions["B"].width = 33
    notes = wb.create_sheet("Notes")
    notes["A1"] = "keep me"
    src = tmp_path / "plan.xlsx"
    wb.save(src)
    before = digest(src)
    fixed = tmp_path / "fixed.xlsx"
    check(capsys, str(src), "--fix", str(fixed))
    assert digest(src) == before
    copy = openpyxl.load_workbook(fixed)
    assert copy.sheetnames == ["Plan", "Notes", "Fixes"]
    assert copy["Notes"]["A1"].value == "keep me"
    plan = copy["Plan"]
    assert plan["A1"].font.bold and plan["A1"].font.color.rgb.endswith("FF0000")
    assert plan["A2"].fill.fgColor.rgb.endswith("DDEBF7")
    assert plan.column_dimensions["B"].width == 33
    assert plan["B2"].value == "Software Development" and plan["C2"].value == "1-10"
    assert plan["B3"].comment.text.startswith("ask Ana")  # the analyst's note stays
    assert "'SaaS' is not a LinkedIn industry" in plan["B3"].comment.text


def test_a_sheet_named_fixes_is_not_overwritten(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([["Job Titles", "Seniorities"], ["CTO", "CXO"]], sheet="Fixes")
    fixed = tmp_path / "f.xlsx"
    code, _, _ = check(capsys, str(src), "--fix", str(fixed))
    assert code == 0
    wb = openpyxl.load_workbook(fixed)
    assert wb.sheetnames == ["Fixes", "Fixes 2"]
    assert wb["Fixes"]["B2"].value == "c_suite"


@pytest.mark.parametrize("name", ["out.csv", "out.xlsm", "input.xlsx"])
def test_bad_fix_targets_are_usage_errors(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    src = make_xlsx([["Job Titles"], ["CTO"]])
    before = digest(src)
    code, _, err = check(capsys, str(src), "--fix", str(tmp_path / name))
    assert code == 2 and "--fix" in err and "Traceback" not in err
    assert digest(src) == before


def test_fixed_text_changes_only_what_validation_canonicalises() -> None:
    options = RowOptions()
    assert fixed_text("company_industries", "software development; Fintech", options) == (
        "Software Development; Fintech",
        ("'software development' → 'Software Development'",),
    )
    assert fixed_text("locations", "UK;Germany;uk", options) is not None
    assert fixed_text("locations", "UK;Germany;uk", options)[0] == "United Kingdom;Germany"  # type: ignore[index]
    assert fixed_text("seniorities", "VP;director", options) is None  # codes in capitals: fine
    assert fixed_text("job_titles", "CTO, CIO, VP Engineering", options) is None  # a person decides
    assert fixed_text("company_headcounts", "Jan-10\n11-50", options) == (
        "1-10\n11-50",
        (
            "'Jan-10' looks like Excel turned '1-10' into a date; sent as '1-10' (format the "
            "column as Text to stop this)",
        ),
    )
