"""The .xlsx overlay is scanned in a thread while calamine reads (read/overlays.Prescan): the
scanned sheet is a guess (the one asked for, else the first). Whatever the guess, the merged,
error, hidden and formatted cells reported are those of the sheet actually read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from batchcount.plan.prepare import header_scorer
from batchcount.read.sheet import read_sheet


def _book(path: Path) -> Path:
    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "README"
    cover["A1"] = "How to use this workbook"
    cover["A3"] = "=1/0"  # an error cell on the cover: never reported for the data sheet
    cover.row_dimensions[2].hidden = True
    cover["A4"] = "Questions: sales ops"
    cover["A5"] = "merged note"
    cover.merge_cells("A5:B6")
    data = book.create_sheet("Segments")
    data.append(["Job Titles", "Locations", "Created"])
    data.append(["CTO", "Germany", dt.datetime(2024, 3, 5)])
    data.append(["CFO", "France", dt.datetime(2024, 3, 6)])
    data.append(["VP Sales", "Spain", dt.datetime(2024, 3, 7)])
    data["C2"].number_format = "dd/mm/yyyy"
    data.row_dimensions[3].hidden = True
    data.merge_cells("B4:B5")
    book.save(path)
    return path


def test_the_chosen_sheet_not_the_guessed_one_gives_the_overlay(tmp_path: Path) -> None:
    # the guess is README (the first sheet); Segments is chosen (the first with a header)
    sheet = read_sheet(_book(tmp_path / "cover.xlsx"), header_score=header_scorer())
    assert sheet.sheet_name == "Segments"
    assert sheet.hidden_rows == frozenset({3})
    assert [m.ref for m in sheet.merged] == ["B4:B5"]
    assert not any("error" in n for n in sheet.notes)


def test_asked_sheet_is_scanned_beside_calamine(tmp_path: Path) -> None:
    path = _book(tmp_path / "asked.xlsx")
    sheet = read_sheet(path, sheet="Segments")
    assert sheet.hidden_rows == frozenset({3})
    assert [m.ref for m in sheet.merged] == ["B4:B5"]
    cover = read_sheet(path, sheet="README", header_row=1)
    assert cover.hidden_rows == frozenset({2})
    assert [m.ref for m in cover.merged] == ["A5:B6"]
