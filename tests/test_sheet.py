"""Tests for batchcount.read.sheet: every format, encoding, delimiter and bad file."""

from __future__ import annotations

import datetime as dt
import re
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference

from batchcount.errors import InputFileError, UsageError
from batchcount.read.sheet import Sheet, column_label, read_sheet

# ---------------------------------------------------------------------------- helpers


def write_text(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def make_xlsx(
    folder: Path,
    name: str,
    sheets: dict[str, dict[str, Any]],
    hidden: Iterable[str] = (),
) -> Path:
    """Workbook from {sheet: {"B3": value, ...}}; a sheet with {} stays empty."""
    book = openpyxl.Workbook()
    first = True
    for title, cells in sheets.items():
        ws = book.active if first else book.create_sheet(title)
        ws.title = title
        first = False
        for ref, value in cells.items():
            ws[ref] = value
        if title in hidden:
            ws.sheet_state = "hidden"
    path = folder / name
    book.save(path)
    return path


def table(rows: list[list[Any]], top: int = 1, left: str = "A") -> dict[str, Any]:
    """Cells of a table whose top-left cell is at `left``top`."""
    start = ord(left) - ord("A")
    cells: dict[str, Any] = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                cells[f"{column_label(start + c)}{top + r}"] = value
    return cells


def rewrite_member(path: Path, member: str, change: Callable[[str], str]) -> None:
    """Edit one XML part of a zip in place (e.g. add a cached formula value)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[member] = change(parts[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for filename, data in parts.items():
            target.writestr(filename, data)


def raw_xlsx(path: Path, rows: Iterable[list[str | int]]) -> None:
    """A minimal valid .xlsx written without openpyxl (fast for big fixtures)."""
    lines = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{column_label(c)}{r}"
            if isinstance(value, int):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
        lines.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    sheet = f'<worksheet xmlns="{main}"><sheetData>{"".join(lines)}</sheetData></worksheet>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{pkg}/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)


def read_error(path: Path, kind: type[Exception] = InputFileError, **options: Any) -> str:
    with pytest.raises(kind) as caught:
        read_sheet(path, **options)
    assert type(caught.value) is kind
    return str(caught.value)


def assert_consistent(sheet: Sheet) -> None:
    assert len(sheet.rows) == len(sheet.row_numbers)
    assert all(len(row) == len(sheet.headers) for row in sheet.rows)
    assert all(isinstance(cell, str) for row in sheet.rows for cell in row)


# ---------------------------------------------------------------------------- column labels


@pytest.mark.parametrize(
    ("index", "label"),
    [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")],
)
def test_column_label(index: int, label: str) -> None:
    assert column_label(index) == label


def test_column_label_rejects_negative() -> None:
    with pytest.raises(ValueError):
        column_label(-1)


# ---------------------------------------------------------------------------- encodings


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = write_text(tmp_path, "s.csv", "Title,Location\nCTO,München\n")
    sheet = read_sheet(path)
    assert sheet.format == "csv"
    assert sheet.encoding == "utf-8"
    assert sheet.delimiter == ","
    assert sheet.headers == ["Title", "Location"]
    assert sheet.rows == [["CTO", "München"]]
    assert sheet.row_numbers == [2]
    assert sheet.sheet_name is None and sheet.sheet_names == []
    assert "UTF-8" in sheet.notes
    assert "','-delimited" in sheet.notes
    assert "1 data row (row 2)" in sheet.notes


def test_utf8_with_bom_is_not_part_of_the_header(tmp_path: Path) -> None:
    path = write_text(tmp_path, "s.csv", "Title,Location\r\nCTO,Zürich\r\n", "utf-8-sig")
    sheet = read_sheet(path)
    assert sheet.encoding == "utf-8-sig"
    assert sheet.headers == ["Title", "Location"]
    assert sheet.rows == [["CTO", "Zürich"]]
    assert "UTF-8 with BOM" in sheet.notes


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom_excel_unicode_text(tmp_path: Path, codec: str) -> None:
    text = "Title\tLocation\r\nCTO;CEO\tSão Paulo\r\nVP\tKöln\r\n"
    data = text.encode("utf-16") if codec == "utf-16" else b"\xfe\xff" + text.encode(codec)
    sheet = read_sheet(write_bytes(tmp_path, "unicode.txt", data))
    assert sheet.format == "txt"
    assert sheet.encoding == "utf-16"
    assert sheet.delimiter == "\t"
    assert sheet.headers == ["Title", "Location"]
    assert sheet.rows == [["CTO;CEO", "São Paulo"], ["VP", "Köln"]]
    assert "UTF-16 (Excel Unicode text)" in sheet.notes
    assert "tab-delimited" in sheet.notes


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    data = "Title\tCountry\r\nCTO\tFrance\r\n".encode("utf-16-le")
    sheet = read_sheet(write_bytes(tmp_path, "nobom.txt", data))
    assert sheet.encoding == "utf-16-le"
    assert sheet.rows == [["CTO", "France"]]


def test_cp1252_fallback_keeps_accents_and_euro(tmp_path: Path) -> None:
    path = write_text(tmp_path, "s.csv", "Name;Budget\nCafé Crème;€100\n", "cp1252")
    sheet = read_sheet(path)
    assert sheet.encoding == "cp1252"
    assert sheet.delimiter == ";"
    assert sheet.rows == [["Café Crème", "€100"]]
    assert any(note.startswith("Windows-1252") for note in sheet.notes)


def test_encoding_option_overrides_detection(tmp_path: Path) -> None:
    path = write_text(tmp_path, "s.csv", "Name\nJosé\n")
    sheet = read_sheet(path, encoding="cp1252")
    assert sheet.encoding == "cp1252"
    assert sheet.rows == [["JosÃ©"]]
    assert "cp1252 (from --encoding)" in sheet.notes


def test_encoding_option_that_does_not_fit_names_the_byte(tmp_path: Path) -> None:
    path = write_text(tmp_path, "s.csv", "Name\nJosé\n", "cp1252")
    message = read_error(path, encoding="utf-8")
    assert "s.csv is not valid utf-8 text (byte 0xE9" in message
    assert "omit --encoding" in message


@pytest.mark.parametrize("name", ["klingon-8", "rot13"])
def test_unknown_encoding_name_is_a_usage_error(tmp_path: Path, name: str) -> None:
    path = write_text(tmp_path, "s.csv", "a\n1\n")
    message = read_error(path, UsageError, encoding=name)
    assert f"unknown --encoding '{name}'" in message
    assert "cp1252" in message


# ---------------------------------------------------------------------------- delimiters


def test_semicolon_file_with_quoted_lists_and_commas_in_cells(tmp_path: Path) -> None:
    text = (
        "Title;Location;Company size\n"
        '"CTO;CEO";Paris, France;51-200\n'
        'VP Sales;"Berlin;Munich";11-50\n'
        "Founder;Lyon, France;1-10\n"
    )
    sheet = read_sheet(write_text(tmp_path, "eu.csv", text))
    assert sheet.delimiter == ";"
    assert sheet.headers == ["Title", "Location", "Company size"]
    assert sheet.rows[0] == ["CTO;CEO", "Paris, France", "51-200"]
    assert sheet.rows[1] == ["VP Sales", "Berlin;Munich", "11-50"]
    assert sheet.row_problems == {}
    assert "';'-delimited" in sheet.notes


def test_comma_file_with_semicolons_inside_cells(tmp_path: Path) -> None:
    text = "Title,Location\nCTO;CEO,US\nVP;Director;Head,DE\nFounder,FR\n"
    sheet = read_sheet(write_text(tmp_path, "us.csv", text))
    assert sheet.delimiter == ","
    assert sheet.rows == [["CTO;CEO", "US"], ["VP;Director;Head", "DE"], ["Founder", "FR"]]


def test_semicolon_file_whose_header_contains_commas(tmp_path: Path) -> None:
    text = "Size, min;Size, max;Country\n1,5;10,5;FR\n2,5;20,5;DE\n"
    sheet = read_sheet(write_text(tmp_path, "eu.csv", text))
    assert sheet.delimiter == ";"
    assert sheet.headers == ["Size, min", "Size, max", "Country"]


def test_title_line_above_a_semicolon_table(tmp_path: Path) -> None:
    text = "Segments, Q3 2024\nTitle;Location;Size\nCTO;Paris, France;51-200\nVP;Lyon;1-10\n"
    sheet = read_sheet(write_text(tmp_path, "eu.csv", text))
    assert sheet.delimiter == ";"
    assert sheet.headers == ["Segments, Q3 2024"]  # the first non-blank row is the header
    assert sheet.rows[0] == ["Title"]
    assert 3 in sheet.row_problems and "(extra: 'Location', 'Size')" in sheet.row_problems[2]


def test_tab_delimited_with_commas_inside_cells(tmp_path: Path) -> None:
    text = "Title\tLocation\nCTO, CEO\tParis, France\nVP\tBerlin\n"
    sheet = read_sheet(write_text(tmp_path, "s.tsv", text))
    assert sheet.format == "tsv"
    assert sheet.delimiter == "\t"
    assert sheet.rows == [["CTO, CEO", "Paris, France"], ["VP", "Berlin"]]


def test_single_column_file(tmp_path: Path) -> None:
    sheet = read_sheet(write_text(tmp_path, "titles.csv", "Title\nCTO\nVP Sales\n"))
    assert sheet.headers == ["Title"]
    assert sheet.rows == [["CTO"], ["VP Sales"]]
    assert "one column (no ',', ';' or tab found)" in sheet.notes


def test_unknown_extension_with_text_is_sniffed_and_said(tmp_path: Path) -> None:
    sheet = read_sheet(write_text(tmp_path, "export.dat", "a;b\n1;2\n"))
    assert sheet.format == "csv"
    assert sheet.delimiter == ";"
    assert sheet.rows == [["1", "2"]]
    assert any("extension '.dat'" in note and "text" in note for note in sheet.notes)


def test_excel_sep_line_sets_the_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    sheet = read_sheet(write_text(tmp_path, "s.csv", "sep=;\r\nTitle;Size\r\nCTO, CEO;1-10\r\n"))
    assert sheet.delimiter == ";"
    assert sheet.header_row == 1
    assert sheet.headers == ["Title", "Size"]
    assert sheet.rows == [["CTO, CEO", "1-10"]]
    assert sheet.row_numbers == [2]
    assert any("'sep=;' first line" in note for note in sheet.notes)


# ---------------------------------------------------------------------------- row numbering


def test_mixed_line_endings(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "s.csv", b"a,b\r\n1,2\n3,4\r5,6\r\n7,8")
    sheet = read_sheet(path)
    assert sheet.rows == [["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]]
    assert sheet.row_numbers == [2, 3, 4, 5]


def test_quoted_newline_stays_in_one_row(tmp_path: Path) -> None:
    text = 'Title,Note\n"CTO\nand CEO",first\r\nVP,"two\r\nlines\rhere"\nHead,last\n'
    sheet = read_sheet(write_text(tmp_path, "s.csv", text))
    assert sheet.rows == [
        ["CTO\nand CEO", "first"],
        ["VP", "two\r\nlines\rhere"],
        ["Head", "last"],
    ]
    assert sheet.row_numbers == [2, 3, 4]


def test_blank_lines_keep_their_place_and_trailing_ones_are_dropped(tmp_path: Path) -> None:
    text = "\n \nTitle,Size\nCTO,1-10\n\n , \nVP,11-50\n\n\n  \n"
    sheet = read_sheet(write_text(tmp_path, "s.csv", text))
    assert sheet.header_row == 3
    assert sheet.row_numbers == [4, 5, 6, 7]
    assert sheet.rows == [["CTO", "1-10"], ["", ""], ["", ""], ["VP", "11-50"]]
    assert "header on row 3 (rows 1-2 above it not read as data)" in sheet.notes
    assert "4 data rows (rows 4-7), 2 of them blank" in sheet.notes


def test_header_only_gives_no_rows(tmp_path: Path) -> None:
    sheet = read_sheet(write_text(tmp_path, "s.csv", "Title,Location\n"))
    assert sheet.headers == ["Title", "Location"]
    assert sheet.rows == [] and sheet.row_numbers == []
    assert "no data rows below the header" in sheet.notes


def test_duplicate_and_blank_headers_are_kept_as_written(tmp_path: Path) -> None:
    sheet = read_sheet(write_text(tmp_path, "s.csv", "Title, Title ,,Size\nCTO,VP,x,1-10\n"))
    assert sheet.headers == ["Title", " Title ", "", "Size"]
    assert sheet.rows == [["CTO", "VP", "x", "1-10"]]


def test_trailing_empty_column_is_dropped_but_one_with_data_is_kept(tmp_path: Path) -> None:
    empty = read_sheet(write_text(tmp_path, "a.csv", "Title,Size,\nCTO,1-10,\nVP,11-50,\n"))
    assert empty.headers == ["Title", "Size"]
    assert empty.rows == [["CTO", "1-10"], ["VP", "11-50"]]
    kept = read_sheet(write_text(tmp_path, "b.csv", "Title,Size,\nCTO,1-10,note\nVP,11-50,\n"))
    assert kept.headers == ["Title", "Size", ""]
    assert kept.rows == [["CTO", "1-10", "note"], ["VP", "11-50", ""]]


# ---------------------------------------------------------------------------- ragged rows


def test_ragged_rows_are_padded_or_reported(tmp_path: Path) -> None:
    text = "a,b,c,d,e\n1,2,3\n1,2,3,4,5,,\n1,2,3,4,5,x\n1,2,3,4,5,x,y,z,w\n"
    sheet = read_sheet(write_text(tmp_path, "s.csv", text))
    assert_consistent(sheet)
    assert sheet.rows[0] == ["1", "2", "3", "", ""]
    assert sheet.rows[1] == ["1", "2", "3", "4", "5"]
    assert sheet.rows[2] == ["1", "2", "3", "4", "5"]
    assert sheet.row_problems[4] == (
        "row 4 has 6 cells but the header has 5 (extra: 'x'); a list inside a cell may need "
        "quotes, or the delimiter is wrong"
    )
    assert "(extra: 'x', 'y', 'z', ...)" in sheet.row_problems[5]
    assert set(sheet.row_problems) == {4, 5}
    assert "2 rows have more cells than the header (rows 4, 5)" in sheet.notes


# ---------------------------------------------------------------------------- odd content


def test_nul_bytes_are_removed_with_a_note(tmp_path: Path) -> None:
    sheet = read_sheet(write_bytes(tmp_path, "s.csv", b"Title,Size\nC\x00TO,1-10\x00\n"))
    assert sheet.rows == [["CTO", "1-10"]]
    assert "removed 2 NUL bytes (0x00)" in sheet.notes


def test_one_megabyte_cell(tmp_path: Path) -> None:
    big = "x" * 1_000_000
    sheet = read_sheet(write_text(tmp_path, "s.csv", f'Title,Note\nCTO,"{big}"\nVP,{big}\n'))
    assert sheet.rows[0] == ["CTO", big]
    assert sheet.rows[1] == ["VP", big]


def test_two_thousand_columns(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(2000))
    row = ",".join(str(i) for i in range(2000))
    sheet = read_sheet(write_text(tmp_path, "wide.csv", f"{header}\n{row}\n"))
    assert len(sheet.headers) == 2000
    assert sheet.rows[0][1999] == "1999"


def test_sheet_option_on_a_text_file_is_noted(tmp_path: Path) -> None:
    sheet = read_sheet(write_text(tmp_path, "s.csv", "a\n1\n"), sheet="Segments")
    assert "--sheet 'Segments' ignored: a text file has no sheets" in sheet.notes


def test_quoted_multiline_last_cell_followed_by_spaces_is_fine(tmp_path: Path) -> None:
    sheet = read_sheet(write_text(tmp_path, "s.csv", 'Title,Note\nCTO,"a\nb"  \n'))
    assert sheet.rows == [["CTO", "a\nb  "]]


def test_unclosed_quote_is_refused_with_its_row(tmp_path: Path) -> None:
    text = 'Title,Note\nCTO,ok\nVP,"never closed\nHead,x\nOwner,y\n'
    message = read_error(write_text(tmp_path, "s.csv", text))
    assert "s.csv: a quote opened in row 3 is never closed" in message
    assert "closing quote" in message


# ---------------------------------------------------------------------------- workbooks


def test_xlsx_blank_rows_in_middle_kept_and_trailing_dropped(tmp_path: Path) -> None:
    cells = table([["Title", "Size"], ["CTO", "1-10"], ["VP", "11-50"]])
    cells.update({"A5": "Head", "B5": "51-200", "A6": " ", "B8": "  "})
    sheet = read_sheet(make_xlsx(tmp_path, "s.xlsx", {"Segments": cells}))
    assert sheet.format == "xlsx"
    assert sheet.sheet_name == "Segments"
    assert sheet.encoding is None and sheet.delimiter is None
    assert sheet.header_row == 1
    assert sheet.row_numbers == [2, 3, 4, 5]
    assert sheet.rows == [["CTO", "1-10"], ["VP", "11-50"], ["", ""], ["Head", "51-200"]]
    assert "sheet 'Segments' (1 of 1: Segments)" in sheet.notes


def test_xlsx_used_range_starting_at_b3_keeps_excel_rows_and_columns(tmp_path: Path) -> None:
    cells = table([["Title", "Size"], ["CTO", "1-10"], [None, None], ["VP", "11-50"]], 3, "B")
    sheet = read_sheet(make_xlsx(tmp_path, "s.xlsx", {"Segments": cells}))
    assert sheet.header_row == 3
    assert sheet.headers == ["", "Title", "Size"]
    assert column_label(sheet.headers.index("Size")) == "C"
    assert sheet.row_numbers == [4, 5, 6]
    assert sheet.rows == [["", "CTO", "1-10"], ["", "", ""], ["", "VP", "11-50"]]
    assert "header on row 3 (rows 1-2 above it not read as data)" in sheet.notes
    assert any("starts in column B" in note for note in sheet.notes)


def test_chart_sheet_first_and_table_far_down_and_right(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Data"
    ws["D1000"], ws["E1000"], ws["D1002"], ws["E1002"] = "Title", "Size", "CTO", 7
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=5, min_row=1000, max_row=1002))
    book.create_chartsheet("Chart", 0).add_chart(chart)
    book.save(tmp_path / "s.xlsx")
    sheet = read_sheet(tmp_path / "s.xlsx")
    assert (sheet.sheet_name, sheet.sheet_names) == ("Data", ["Chart", "Data"])
    assert sheet.header_row == 1000
    assert sheet.headers == ["", "", "", "Title", "Size"]
    assert sheet.rows == [["", "", "", "", ""], ["", "", "", "CTO", "7"]]
    assert sheet.row_numbers == [1001, 1002]
    # calamine logs "'chartsheet' not a valid worksheet"; outside pytest's log capture that
    # would reach stderr through logging.lastResort, so check in a clean interpreter.
    code = "import sys; from batchcount.read.sheet import read_sheet; read_sheet(sys.argv[1])"
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "s.xlsx")], capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_xlsm_extension(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path, "s.xlsm", {"Data": table([["Title"], ["CTO"]])})
    sheet = read_sheet(path)
    assert sheet.format == "xlsm"
    assert sheet.rows == [["CTO"]]


def test_xlsx_numbers_dates_booleans_and_formulas_become_text(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["Whole", "Fraction", "Big", "Date", "Flag", "Formula", "Cached"],
        [3.0, 3.5, 2135371, dt.datetime(2024, 1, 10), True, "=A2*2", "=A2+1"],
        [4, 0.25, 10, dt.datetime(2023, 12, 31, 15, 30), False, "=A3*2", "=NA()"],
    ]
    path = make_xlsx(tmp_path, "s.xlsx", {"Data": table(rows)})

    def cache(xml: str) -> str:  # give G2 a saved value and G3 a saved error, as Excel does
        xml = xml.replace("<f>A2+1</f><v></v>", "<f>A2+1</f><v>4</v>")
        return re.sub(
            r'<c r="G3"([^>]*)><f>NA\(\)</f><v></v>', r'<c r="G3" t="e"><f>NA()</f><v>#N/A</v>', xml
        )

    rewrite_member(path, "xl/worksheets/sheet1.xml", cache)
    sheet = read_sheet(path)
    # dates as Excel shows them in openpyxl's default format "yyyy-mm-dd h:mm:ss"
    assert sheet.rows[0] == ["3", "3.5", "2135371", "2024-01-10 0:00:00", "true", "", "4"]
    assert sheet.rows[1] == ["4", "0.25", "10", "2023-12-31 15:30:00", "false", "", "#N/A"]
    assert "2 formula cells had no saved value; open and save the file in Excel" in sheet.notes
    assert any("1 cell shows an Excel error (#N/A)" in note for note in sheet.notes)


def test_text_after_row_1000_in_a_numeric_column_stays_text(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Employees", "Title"]]
    rows += [[i, f"T{i}"] for i in range(1, 1500)]
    rows[1200][0] = "51-200"
    sheet = read_sheet(make_xlsx(tmp_path, "s.xlsx", {"Data": table(rows)}))
    assert sheet.rows[1199] == ["51-200", "T1200"]
    assert sheet.row_numbers[1199] == 1201
    assert sheet.rows[0] == ["1", "T1"]


def test_sheet_choice_by_name_case_and_number(tmp_path: Path) -> None:
    sheets = {
        "Segments": table([["Title"], ["CTO"]]),
        "Notes": table([["Note"], ["hello"]]),
        "Lists": table([["Value"], ["x"]]),
    }
    path = make_xlsx(tmp_path, "s.xlsx", sheets)
    default = read_sheet(path)
    assert default.sheet_name == "Segments"
    assert default.sheet_names == ["Segments", "Notes", "Lists"]
    assert "sheet 'Segments' (1 of 3: Segments, Notes, Lists)" in default.notes
    named = read_sheet(path, sheet="Notes")
    assert (named.sheet_name, named.rows) == ("Notes", [["hello"]])
    assert "sheet 'Notes' (2 of 3: Segments, Notes, Lists)" in named.notes
    assert read_sheet(path, sheet="lists ").sheet_name == "Lists"
    assert read_sheet(path, sheet="3").sheet_name == "Lists"


def test_unknown_sheet_lists_the_names(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path, "s.xlsx", {"Segments": table([["a"], [1]]), "Notes": {}})
    message = read_error(path, UsageError, sheet="Segmnts")
    assert "s.xlsx has no sheet named 'Segmnts'" in message
    assert "its sheets are: Segments, Notes" in message
    assert "--sheet" in message


def test_empty_first_sheet_and_hidden_sheet_are_skipped(tmp_path: Path) -> None:
    sheets = {"Cover": {}, "Lists": table([["v"], ["x"]]), "Data": table([["Title"], ["CTO"]])}
    sheet = read_sheet(make_xlsx(tmp_path, "s.xlsx", sheets, hidden=["Lists"]))
    assert sheet.sheet_name == "Data"
    assert any("'Cover' has no data" in note for note in sheet.notes)


def test_chosen_sheet_that_is_empty(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path, "s.xlsx", {"Data": table([["a"], [1]]), "Blank": {}})
    message = read_error(path, sheet="Blank")
    assert "sheet 'Blank' in" in message and "is empty" in message
    assert "sheets with data: Data" in message


def test_workbook_whose_sheets_are_all_empty(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path, "s.xlsx", {"One": {}, "Two": {"A3": "  "}})
    message = read_error(path)
    assert "s.xlsx has no data: its sheets (One, Two) are all empty" in message


def test_workbook_named_csv_is_read_as_workbook(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path, "s.xlsx", {"Data": table([["Title"], ["CTO"]])})
    renamed = path.rename(tmp_path / "export.csv")
    sheet = read_sheet(renamed, encoding="utf-8")
    assert sheet.format == "xlsx"
    assert sheet.rows == [["CTO"]]
    assert any("extension '.csv'" in note and "Excel workbook" in note for note in sheet.notes)
    assert any("--encoding applies to text files only" in note for note in sheet.notes)


def test_ods_spreadsheet(tmp_path: Path) -> None:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )

    def cell(value: str) -> str:
        kind = 'office:value-type="string"'
        return f"<table:table-cell {kind}><text:p>{value}</text:p></table:table-cell>"

    rows = "".join(
        f"<table:table-row>{cell(a)}{cell(b)}</table:table-row>"
        for a, b in [("Title", "Size"), ("CTO", "1-10")]
    )
    content = (
        f'<office:document-content {ns} office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="Segments">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "s.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr(
            "META-INF/manifest.xml",
            "<manifest:manifest "
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            "</manifest:manifest>",
        )
    sheet = read_sheet(path)
    assert sheet.format == "ods"
    assert sheet.headers == ["Title", "Size"]
    assert sheet.rows == [["CTO", "1-10"]]


def test_large_workbook_reads_quickly(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    header: list[str | int] = [f"col{i}" for i in range(12)]
    body: Iterable[list[str | int]] = (
        [i, "CTO", "VP", i * 7, "FR", "x", "y", "z", 5, "a", "b", "c"] for i in range(100_000)
    )
    raw_xlsx(path, [header, *body])
    started = time.perf_counter()
    sheet = read_sheet(path)
    elapsed = time.perf_counter() - started
    assert len(sheet.rows) == 100_000
    assert sheet.rows[99_999][:4] == ["99999", "CTO", "VP", str(99_999 * 7)]
    assert sheet.row_numbers[-1] == 100_001
    assert elapsed < 6.0, f"100,000 x 12 took {elapsed:.1f} s"


# ---------------------------------------------------------------------------- bad files


def test_missing_file_suggests_a_close_name(tmp_path: Path) -> None:
    write_text(tmp_path, "segments.csv", "a\n1\n")
    message = read_error(tmp_path / "segment.csv")
    assert "segment.csv does not exist" in message
    assert "did you mean 'segments.csv'" in message


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    assert "exports is a folder, not a spreadsheet" in read_error(folder)


def test_empty_file(tmp_path: Path) -> None:
    message = read_error(write_bytes(tmp_path, "x.csv", b""))
    assert message.startswith(f"{tmp_path / 'x.csv'} is empty")


def test_only_blank_lines(tmp_path: Path) -> None:
    message = read_error(write_text(tmp_path, "x.csv", "\n  \n,,\n", "utf-8-sig"))
    assert "x.csv has no data (only blank lines)" in message


def test_png_renamed_csv(tmp_path: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    message = read_error(write_bytes(tmp_path, "x.csv", data))
    assert "x.csv does not look like a text spreadsheet (it looks binary: a PNG image)" in message


def test_control_characters_mean_binary(tmp_path: Path) -> None:
    data = bytes((i * 37) % 256 for i in range(4000))
    message = read_error(write_bytes(tmp_path, "x.csv", data))
    assert "x.csv does not look like a text spreadsheet (it looks binary:" in message
    assert "control or NUL characters" in message


def test_mostly_nul_file(tmp_path: Path) -> None:
    message = read_error(write_bytes(tmp_path, "x.csv", b"a,b\n" + b"\x00" * 5000))
    assert "does not look like a text spreadsheet (it looks binary:" in message


def test_html_named_xls(tmp_path: Path) -> None:
    html = "<html><body><table><tr><td>Title</td></tr></table></body></html>"
    message = read_error(write_text(tmp_path, "report.xls", html))
    assert "report.xls is a web page or XML document, not a spreadsheet" in message
    assert "save it as .xlsx" in message


def test_truncated_xlsx(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path, "s.xlsx", {"Data": table([["a"], [1]])})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    message = read_error(path)
    assert "s.xlsx is damaged: it is not a complete zip archive" in message
    assert "fresh copy" in message


def test_corrupt_workbook_inside_a_valid_zip(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path, "s.xlsx", {"Data": table([["a"], [1]])})
    rewrite_member(path, "xl/workbook.xml", lambda _: "<workbook><sheets><sheet")
    message = read_error(path)
    assert "s.xlsx could not be read as an Excel workbook (.xlsx) (" in message
    assert "Traceback" not in message


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes.txt", "hello")
    message = read_error(path)
    assert "s.xlsx is a zip archive, not an Excel workbook (it contains: notes.txt)" in message


def test_word_document_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    assert "s.xlsx is a Word document, not an Excel workbook" in read_error(path)


def _declare_size(path: Path, size: int) -> None:
    """Patch the central directory so the zip claims `size` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("declared", [0xF000_0000, 150_000_000])
def test_zip_bomb_is_refused_before_opening(tmp_path: Path, declared: int) -> None:
    path = make_xlsx(tmp_path, "bomb.xlsx", {"Data": table([["a"], [1]])})
    _declare_size(path, declared // 9)  # nine members share the declared total
    message = read_error(path)
    assert "bomb.xlsx would unpack to" in message
    assert "zip bomb" in message


def test_encrypted_workbook(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000
    data += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1000
    message = read_error(write_bytes(tmp_path, "secret.xlsx", data))
    assert "secret.xlsx is password-protected (encrypted)" in message
    assert "remove the password" in message


def test_ole_file_named_xlsx_is_encrypted_or_old_xls(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000
    message = read_error(write_bytes(tmp_path, "old.xlsx", data))
    assert "old.xlsx is not a readable .xlsx file: it is encrypted or an old .xls" in message


def test_damaged_xls(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 2000
    message = read_error(write_bytes(tmp_path, "old.xls", data))
    assert "old.xls could not be read as an Excel 97-2003 workbook (" in message


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_text(tmp_path, "locked.csv", "a\n1\n")
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "locked.csv":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    message = read_error(path)
    assert "cannot read" in message and "locked.csv: permission denied" in message
