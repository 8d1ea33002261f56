"""The wired input side: header detection below a title, and what check and run share."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from batchcount.plan.prepare import InputOptions, prepare


def test_header_found_below_a_title_block(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Territory plan, Q3"])
    ws.append(["owner: Ana", None, None, "draft"])
    ws.append([])
    ws.append(["Segment", "Title", "Geo", "Notes"])
    ws.append(["A", "CTO", "United States", ""])
    ws.append(["B", "CEO", "Germany", "x"])
    wb.save(tmp_path / "t.xlsx")
    prepared = prepare(InputOptions(path=tmp_path / "t.xlsx"))
    assert prepared.sheet.header_row == 4
    assert prepared.sheet.row_numbers == [5, 6]
    assert [r.check.body for r in prepared.plan.rows] == [
        {"job_titles": ["CTO"], "locations": ["United States"]},
        {"job_titles": ["CEO"], "locations": ["Germany"]},
    ]
    assert any(
        note.startswith("header: row 4 (rows 1-3 are a title block")
        for note in prepared.sheet.notes
    )


def test_header_named_only_by_map_is_found(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("Report\nPersona,Where\nCTO,Germany\n", encoding="utf-8")
    prepared = prepare(InputOptions(path=src, maps=("Persona=job_titles", "Where=locations")))
    assert prepared.sheet.header_row == 2
    assert prepared.plan.rows[0].check.body == {"job_titles": ["CTO"], "locations": ["Germany"]}


def test_plain_sheet_keeps_row_one_as_header(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("Notes,Job Titles\nhello,CTO\n", encoding="utf-8")
    prepared = prepare(InputOptions(path=src))
    assert prepared.sheet.header_row == 1 and prepared.sheet.row_numbers == [2]


def test_legacy_xls_is_read_with_its_row_numbers() -> None:
    # tests/data/legacy.xls was written by xlwt (Excel 97-2003 BIFF8): row 4 is blank
    src = Path(__file__).parent / "data" / "legacy.xls"
    prepared = prepare(InputOptions(path=src))
    assert prepared.sheet.format == "xls"
    assert prepared.sheet.row_numbers == [2, 3, 4, 5, 6]
    statuses = [r.check.status for r in prepared.plan.rows]
    assert statuses == ["valid", "valid", "blank", "valid", "invalid"]
    assert prepared.plan.rows[1].check.body == {
        "job_titles": ["VP Sales"], "seniorities": ["vp"], "locations": ["Germany"],
        "company_headcounts": ["10 000+"],
    }  # fmt: skip
    assert "'42' is not a headcount bucket" in prepared.plan.rows[4].check.errors[0]
