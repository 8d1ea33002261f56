"""Build the spreadsheets that the reader tests use, so how each one is made is visible.

    python tests/data/make_files.py OUT_DIR         # xlsx, ods and text files into OUT_DIR
    python tests/data/make_files.py --xls           # rewrite the committed .xls files here

The tests call `build(folder)` for everything but .xls. Writing .xls needs xlwt (not a
project dependency), so those few files are committed beside this script; the real files
copied from public test corpora are listed in README.md.
"""

from __future__ import annotations

import datetime as dt
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as _escape

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- xlsx


def _book(
    sheets: dict[str, Sequence[Sequence[Any]]],
) -> tuple[openpyxl.Workbook, dict[str, Worksheet]]:
    book = openpyxl.Workbook()
    made: dict[str, Worksheet] = {}
    for i, (title, rows) in enumerate(sheets.items()):
        ws = book.active if i == 0 else book.create_sheet(title)
        ws.title = title
        for row in rows:
            ws.append(list(row))
        made[title] = ws
    return book, made


def title_block_xlsx(path: Path) -> None:
    """A key/value block and a blank line above the header (row 5)."""
    book, _ = _book(
        {
            "Plan": [
                ["Prepared by", "Ana Lopez"],
                ["Date", "2024-03-05"],
                ["Location", "EMEA"],  # a key that is also a field alias: still not the header
                [],
                ["Job Title", "Seniority", "Location", "Notes"],
                ["CTO", "c_suite", "France", "first"],
                ["VP Sales", "vp", "Germany", ""],
            ]
        }
    )
    book.save(path)


def cover_sheet_xlsx(path: Path) -> None:
    """A README sheet first; the segments are on the second sheet."""
    book, _ = _book(
        {
            "README": [["How to use this workbook"], ["Fill one segment per row on 'Segments'"]],
            "Segments": [["Job Titles", "Locations"], ["CTO", "France"], ["CFO", "Spain"]],
        }
    )
    book.save(path)


def no_header_anywhere_xlsx(path: Path) -> None:
    """Three sheets, none with a header naming a filter; one is only error cells."""
    book, sheets = _book(
        {
            "Cover": [["Q3 audience plan"], ["Owner", "Ana"]],
            "Data": [["Who", "Where"], ["CTO", "France"]],
            "Broken": [],
        }
    )
    for ref in ("A1", "B1", "A2"):
        sheets["Broken"][ref] = "#N/A"  # openpyxl writes error codes as error cells (t="e")
    sheets["Broken"]["B2"] = "#REF!"
    book.save(path)


def errors_only_xlsx(path: Path) -> None:
    book, sheets = _book({"Segments": []})
    for ref, code in (("A1", "#REF!"), ("B1", "#N/A"), ("A2", "#VALUE!"), ("B2", "#DIV/0!")):
        sheets["Segments"][ref] = code
    book.save(path)


def unsaved_only_xlsx(path: Path) -> None:
    """Formulas written by a program that does not calculate: no saved values."""
    book, sheets = _book({"Segments": []})
    sheets["Segments"]["A1"] = '="Job "&"Titles"'
    sheets["Segments"]["A2"] = '=UPPER("cto")'
    book.save(path)


def hidden_rows_xlsx(path: Path) -> None:
    """Row 3 hidden by hand, rows 5-6 filtered out by an autofilter on Locations."""
    book, sheets = _book(
        {
            "Segments": [
                ["Job Titles", "Locations"],
                ["CTO", "France"],
                ["CFO", "Spain"],  # row 3: hidden
                ["COO", "France"],
                ["CEO", "Germany"],  # rows 5-6: filtered out (Locations = France)
                ["CMO", "Germany"],
                ["CIO", "France"],
            ]
        }
    )
    ws = sheets["Segments"]
    ws.auto_filter.ref = "A1:B7"
    ws.auto_filter.add_filter_column(1, ["France"])
    for row in (3, 5, 6):
        ws.row_dimensions[row].hidden = True
    book.save(path)


def hidden_columns_xlsx(path: Path) -> None:
    """Column C (sent, Company HQ) hidden by hand; E (not sent) hidden; every column from H to
    XFD hidden the way people hide the unused part of a sheet."""
    book, sheets = _book(
        {
            "Segments": [
                ["Job Titles", "Locations", "Company HQ", "Segment", "Notes"],
                ["CTO", "France", "Germany", "A", "x"],
                ["CFO", "Spain", "Germany", "B", "y"],
            ]
        }
    )
    ws = sheets["Segments"]
    ws.column_dimensions["C"].hidden = True
    ws.column_dimensions["E"].hidden = True
    ws.column_dimensions.group("H", "XFD", hidden=True)
    book.save(path)


def display_xlsx(path: Path) -> None:
    """Cells whose raw value is not what the sheet shows."""
    book, sheets = _book(
        {
            "Segments": [
                [
                    "Job Titles",
                    "Locations",
                    "Notes",
                    "Zip",
                    "Share",
                    "Start",
                    "Slot",
                    "Hours",
                    "Employees",
                ]
            ]
        }
    )
    ws = sheets["Segments"]
    ws.append(
        ["CTO", "France", "007", 123, 0.52, dt.datetime(2024, 3, 5), dt.time(13, 30), 1.25, 51]
    )
    ws.append(
        ["CFO", "Spain", "0042", 45, 0.125, dt.datetime(2024, 1, 10), dt.time(9, 5), 0.5, 1500]
    )
    for row in (2, 3):
        ws[f"D{row}"].number_format = "00000"
        ws[f"E{row}"].number_format = "0%" if row == 2 else "0.0%"
        ws[f"F{row}"].number_format = "dd/mm/yyyy" if row == 2 else "d-mmm"
        ws[f"G{row}"].number_format = "h:mm"
        ws[f"H{row}"].number_format = "[h]:mm"
        ws[f"I{row}"].number_format = "#,##0"
    book.save(path)


def merged_xlsx(path: Path) -> None:
    """A merged cell spanning rows 2-4 of a filter column (a report layout)."""
    book, sheets = _book(
        {
            "Segments": [
                ["Locations", "Job Titles"],
                ["France", "CTO"],
                [None, "CFO"],
                [None, "COO"],
                ["Spain", "CEO"],
            ]
        }
    )
    sheets["Segments"].merge_cells("A2:A4")
    book.save(path)


# --------------------------------------------------------------------------- ods (by hand)

_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)


def s(text: str) -> str:
    """A text cell, as LibreOffice writes it."""
    return (
        '<table:table-cell office:value-type="string" calcext:value-type="string">'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def typed(kind: str, attr: str, value: str, shown: str) -> str:
    """A typed cell: value-type `kind` with its value attribute and displayed text."""
    return (
        f'<table:table-cell office:value-type="{kind}" office:{attr}="{value}" '
        f'calcext:value-type="{kind}"><text:p>{shown}</text:p></table:table-cell>'
    )


def escape(text: str) -> str:
    return _escape(text, {'"': "&quot;"})


def error(formula: str, shown: str) -> str:
    """A formula whose saved result is an error, as LibreOffice 5+ writes it."""
    return (
        f'<table:table-cell table:formula="of:={escape(formula)}" office:value-type="string" '
        f'office:string-value="" calcext:value-type="error"><text:p>{shown}</text:p>'
        "</table:table-cell>"
    )


def unsaved(formula: str) -> str:
    """A formula with no saved value (written by a program that does not calculate)."""
    return f'<table:table-cell table:formula="of:={escape(formula)}"/>'


def spanned(text: str, rows: int, cols: int = 1) -> str:
    return (
        f'<table:table-cell table:number-rows-spanned="{rows}" '
        f'table:number-columns-spanned="{cols}" office:value-type="string" '
        f'calcext:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


COVERED = "<table:covered-table-cell/>"


def row(*cells: str, visibility: str | None = None, repeat: int = 1) -> str:
    attrs = f' table:visibility="{visibility}"' if visibility else ""
    attrs += f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{attrs}>{''.join(cells)}</table:table-row>"


def write_ods(path: Path, sheets: dict[str, list[str]]) -> None:
    """An .ods zip: mimetype first and stored, content.xml with one table per sheet."""
    tables = "".join(
        f'<table:table table:name="{name}">{"".join(rows)}</table:table>'
        for name, rows in sheets.items()
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet>'
        f"{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)


def hidden_columns_ods(path: Path) -> None:
    """Column B (sent, Company HQ) collapsed, the way LibreOffice writes a hidden column."""
    columns = (
        "<table:table-column/>"
        '<table:table-column table:visibility="collapse"/>'
        '<table:table-column table:number-columns-repeated="1022"/>'
    )
    write_ods(
        path,
        {
            "Segments": [
                columns,
                row(s("Job Titles"), s("Company HQ")),
                row(s("CTO"), s("Germany")),
            ]
        },
    )


def display_ods(path: Path) -> None:
    """Dates, times, durations and percentages: LibreOffice stores what it shows."""
    write_ods(
        path,
        {
            "Segments": [
                row(s("Job Titles"), s("Start"), s("Slot"), s("Hours"), s("Share"), s("Zip")),
                row(
                    s("CTO"),
                    typed("date", "date-value", "2024-03-05", "05/03/2024"),
                    typed("time", "time-value", "PT13H30M00S", "13:30"),
                    typed("time", "time-value", "PT30H00M00S", "30:00:00"),
                    typed("percentage", "value", "0.52", "52%"),
                    s("00123"),
                ),
                row(
                    s("CFO"),
                    typed("date", "date-value", "2024-01-10T09:05:00", "2024-01-10 09:05"),
                    typed("time", "time-value", "PT09H05M00S", "09:05 AM"),
                    typed("time", "time-value", "PT0H45M00S", "00:45"),
                    typed("float", "value", "1.1", "1.1"),
                    typed("float", "value", "51", "51"),
                ),
            ]
        },
    )


def problems_ods(path: Path) -> None:
    """Merged, covered, error, unsaved-formula cells and hidden/filtered rows."""
    write_ods(
        path,
        {
            "Segments": [
                row(s("Locations"), s("Job Titles"), s("Notes")),
                row(spanned("France", 2), s("CTO"), s("ok")),  # row 2: A2:A3 merged
                row(COVERED, s("CFO"), s("covered")),  # row 3
                row(s("Spain"), error("1/0", "#DIV/0!"), s("error")),  # row 4
                row(s("Italy"), unsaved('UPPER("coo")'), s("unsaved")),  # row 5
                row(s("Chile"), s("CEO"), s("hidden"), visibility="collapse"),  # row 6
                row(s("Peru"), s("CMO"), s("filtered"), visibility="filter", repeat=2),  # 7-8
                row(s("Cuba"), s("CIO"), s("ok")),  # row 9
            ]
        },
    )


def errors_only_ods(path: Path) -> None:
    write_ods(
        path,
        {
            "Segments": [
                row(error("1/0", "#DIV/0!"), error("NA()", "#N/A")),
                row(unsaved('"x"'), error("NA()", "#N/A")),
            ]
        },
    )


# --------------------------------------------------------------------------- text files

TITLES = ["CTO", "VP Sales, EMEA", "Head of Marketing", "Director, Sales Operations", "CFO"]


def text_files(folder: Path) -> None:
    """Encodings Excel and other tools write, and one-value-per-line lists."""
    western = "Job Titles;Locations\nDirecteur général;France\nIngénieur;Côte d'Ivoire\n"
    western += "Geschäftsführer;Österreich\nJefe de ventas;España\n"
    (folder / "mac_roman.csv").write_bytes(western.encode("mac_roman"))
    (folder / "cp1252.csv").write_bytes(western.encode("cp1252"))
    latin9 = "Job Titles;Locations\nŠef prodaje;Slovenija\nŽupan;Hrvatska\nChef d'équipe;France\n"
    (folder / "latin9.csv").write_bytes(latin9.encode("iso8859_15"))
    japanese = "Job Titles,Locations\n営業部長,Japan\nマーケティング担当,Japan\n取締役,Japan\n"
    (folder / "shift_jis.csv").write_bytes(japanese.encode("shift_jis"))
    cyrillic = "Job Titles;Locations\nДиректор по продажам;Россия\nМенеджер;Москва\n"
    (folder / "cp1251.csv").write_bytes(cyrillic.encode("cp1251"))
    (folder / "titles.txt").write_text("\n".join(TITLES) + "\n", encoding="utf-8")
    (folder / "titles_header.txt").write_text(
        "Job Titles\n" + "\n".join(TITLES) + "\n", encoding="utf-8"
    )
    (folder / "places.csv").write_text(
        "Locations\nParis, France\nBerlin\nSan Francisco, California, United States\n",
        encoding="utf-8",
    )


# --------------------------------------------------------------------------- xls (xlwt)


def xls_files(folder: Path) -> None:  # pragma: no cover - run by hand, needs xlwt
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("Segments")
    header = ["Job Titles", "Locations", "Share", "Start", "Slot", "Score", "Notes"]
    for c, text in enumerate(header):
        ws.write(0, c, text)
    pct = xlwt.easyxf(num_format_str="0%")
    date = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    time = xlwt.easyxf(num_format_str="h:mm")
    ws.write(1, 0, "CTO")
    ws.write(1, 1, "France")
    ws.write(1, 2, 0.52, pct)
    ws.write(1, 3, dt.datetime(2024, 3, 5), date)
    ws.write(1, 4, dt.time(13, 30), time)
    ws.write(1, 5, 1.1)
    ws.write(1, 6, "007")
    ws.write_merge(2, 3, 1, 1, "Spain")  # B3:B4 merged
    ws.write(2, 0, "CFO")
    ws.write(3, 0, "COO")
    ws.write(4, 0, "CEO")
    ws.write(4, 1, "Italy")
    ws.row(5).set_cell_error(0, 0x2A)  # #N/A in Job Titles, row 6
    ws.write(5, 1, "Chile")
    ws.write(6, 0, "CMO")
    ws.write(6, 1, "Peru")
    ws.row(6).hidden = True  # row 7 hidden
    ws.write(7, 0, "CIO")
    ws.write(7, 1, "Cuba")
    book.add_sheet("Empty")
    book.save(str(folder / "features.xls"))

    hidden = xlwt.Workbook()
    ws = hidden.add_sheet("Segments")
    for r, cells in enumerate([["Job Titles", "HQ Country", "Notes"], ["CTO", "Germany", "x"]]):
        for c, text in enumerate(cells):
            ws.write(r, c, text)
    ws.col(1).hidden = True  # column B, sent as company_locations, hidden
    hidden.save(str(folder / "hidden_columns.xls"))

    errors = xlwt.Workbook()
    sheet = errors.add_sheet("Broken")
    for r in range(2):
        for c in range(2):
            sheet.row(r).set_cell_error(c, (0x2A, 0x17)[c])
    errors.save(str(folder / "errors_only.xls"))


BUILDERS: dict[str, Callable[[Path], None]] = {
    "title_block.xlsx": title_block_xlsx,
    "cover_sheet.xlsx": cover_sheet_xlsx,
    "no_header_anywhere.xlsx": no_header_anywhere_xlsx,
    "errors_only.xlsx": errors_only_xlsx,
    "unsaved_only.xlsx": unsaved_only_xlsx,
    "hidden_rows.xlsx": hidden_rows_xlsx,
    "display.xlsx": display_xlsx,
    "hidden_columns.xlsx": hidden_columns_xlsx,
    "hidden_columns.ods": hidden_columns_ods,
    "merged.xlsx": merged_xlsx,
    "display.ods": display_ods,
    "problems.ods": problems_ods,
    "errors_only.ods": errors_only_ods,
}


def build(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in BUILDERS.items():
        make(folder / name)
    text_files(folder)
    return folder


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--xls"]:
        xls_files(HERE)
    elif len(sys.argv) == 2:
        build(Path(sys.argv[1]))
    else:
        sys.exit(__doc__)
