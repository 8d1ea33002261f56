"""`batchcount template`: sheets, dropdowns, text format, complete lists, atomic write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from batchcount.errors import OutputFileError
from batchcount.output.template import HEADERS, TEMPLATE_ROWS, write_template
from batchcount.resources import vocabulary_data


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "segments.xlsx"
    write_template(path)
    return path


@pytest.fixture(scope="module")
def book(template: Path) -> Any:
    return openpyxl.load_workbook(template)


def column_values(ws: Any, col: int) -> list[str]:
    values = [row[0] for row in ws.iter_rows(min_row=2, min_col=col, max_col=col, values_only=True)]
    return [v for v in values if v is not None]


def test_sheets_and_header(book: Any) -> None:
    assert book.sheetnames == ["Segments", "Instructions", "Lists"]
    ws = book["Segments"]
    header = [c.value for c in ws[1]]
    assert header == [
        "Segment",
        "Job Titles",
        "Seniorities",
        "Locations",
        "Company Industries",
        "Company Headcounts",
        "Company Types",
        "Company Locations",
        "Keywords",
        "Functions",
        "Notes",
    ]
    assert list(HEADERS) == header
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "B2"
    assert all(ws.column_dimensions[c].width >= 15 for c in "ABCDEFGHIJK")


def test_example_rows(book: Any) -> None:
    ws = book["Segments"]
    first = dict(
        zip(HEADERS, next(ws.iter_rows(min_row=2, max_row=2, values_only=True)), strict=True)
    )
    assert first["Segment"] == "VP Sales, US SaaS mid-market"
    assert first["Job Titles"] == "VP Sales;Head of Sales"
    assert first["Seniorities"] == "vp;head"
    assert first["Company Headcounts"] == "51-200;201-500"
    assert first["Company Types"] == "Privately Held"
    assert ws.cell(3, 1).value and ws.cell(4, 1).value is None
    # every listed example value is one the Lists sheet allows
    lists = _lists(book)
    for row in ws.iter_rows(min_row=2, max_row=3, values_only=True):
        cells = dict(zip(HEADERS, row, strict=True))
        for header in ("Seniorities", "Company Headcounts", "Company Types", "Company Industries"):
            for value in (cells[header] or "").split(";"):
                assert not value or value in lists[header], (header, value)


def test_headcount_column_is_text(book: Any) -> None:
    ws = book["Segments"]
    col = HEADERS.index("Company Headcounts") + 1
    letter = openpyxl.utils.get_column_letter(col)
    assert ws.column_dimensions[letter].number_format == "@"
    assert all(ws.cell(r, col).number_format == "@" for r in range(2, TEMPLATE_ROWS + 1))
    assert ws.cell(2, col).data_type == "s"


def _lists(book: Any) -> dict[str, list[str]]:
    ws = book["Lists"]
    return {ws.cell(1, c).value: column_values(ws, c) for c in range(1, ws.max_column + 1)}


def test_lists_are_complete(book: Any) -> None:
    vocabulary = vocabulary_data()
    lists = _lists(book)
    assert lists["Seniorities"] == vocabulary["seniorities_documented_request_values"]
    assert lists["Company Headcounts"] == vocabulary["headcounts"]
    assert "10 000+" in lists["Company Headcounts"]
    assert lists["Company Types"] == vocabulary["company_types"]
    assert lists["Functions"] == vocabulary["functions"]
    industries = [item["name"] for item in vocabulary["industries"]]
    assert lists["Company Industries"] == industries and len(industries) == 434
    assert len(lists["Industry sector (parent)"]) == 434


def test_dropdowns(book: Any) -> None:
    ws = book["Segments"]
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    lists = _lists(book)
    expected = {
        "Seniorities": "list_seniorities",
        "Company Headcounts": "list_company_headcounts",
        "Company Types": "list_company_types",
        "Company Industries": "list_company_industries",
        "Functions": "list_functions",
    }
    for header, name in expected.items():
        letter = openpyxl.utils.get_column_letter(HEADERS.index(header) + 1)
        dv = validations[f"{letter}2:{letter}{TEMPLATE_ROWS}"]
        assert dv.type == "list" and dv.formula1 == name
        assert dv.errorStyle == "warning" and dv.showErrorMessage
        assert "';'" in dv.prompt and "';'" in dv.error
        assert len(dv.prompt) <= 255 and len(dv.error) <= 225 and len(dv.promptTitle) <= 32
        # the defined name covers exactly the values on the Lists sheet
        sheet, cells = next(book.defined_names[name].destinations)
        assert sheet == "Lists"
        values = [c.value for (c,) in book["Lists"][cells.replace("$", "")]]
        assert values == lists[header]


def test_instructions_name_the_file_and_commands(book: Any) -> None:
    text = "\n".join(str(c.value) for c in book["Instructions"]["A"] if c.value)
    assert "batchcount check segments.xlsx" in text
    assert "batchcount run segments.xlsx" in text
    assert "';'" in text and "Lists sheet" in text
    assert "realtime" in text and "database" in text
    assert "empty cell" in text.lower()


def test_reader_sees_only_the_example_rows(template: Path) -> None:
    # Formatting 1000 rows must not make readers see 998 blank segments.
    fastexcel = pytest.importorskip("fastexcel")
    sheet = fastexcel.read_excel(str(template)).load_sheet("Segments")
    assert sheet.height == 2


def test_overwrite_is_atomic_and_quotes_spaced_names(tmp_path: Path) -> None:
    path = tmp_path / "my segments.xlsx"
    path.write_bytes(b"old")
    write_template(path)
    assert [p.name for p in tmp_path.iterdir()] == ["my segments.xlsx"]
    book = openpyxl.load_workbook(path)
    text = "\n".join(str(c.value) for c in book["Instructions"]["A"] if c.value)
    assert 'batchcount run "my segments.xlsx"' in text


def test_bad_targets(tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match=r"\.xlsx"):
        write_template(tmp_path / "segments.csv")
    with pytest.raises(OutputFileError, match=r"\.xlsx"):
        write_template(tmp_path / "segments.xlsm")
    folder = tmp_path / "dir.xlsx"
    folder.mkdir()
    with pytest.raises(OutputFileError, match="folder"):
        write_template(folder)
    assert [p.name for p in tmp_path.iterdir()] == ["dir.xlsx"]
