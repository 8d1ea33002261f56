"""`batchcount template`: a ready input workbook with dropdowns for the closed value lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from batchcount.errors import OutputFileError
from batchcount.output.atomic import atomic_output
from batchcount.resources import vocabulary_data

TEMPLATE_ROWS = 1000  # rows prepared with dropdowns and text format
SEPARATOR = ";"

# (header, column width); Segment and Notes are the analyst's own and are not sent.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Segment", 34),
    ("Job Titles", 30),
    ("Seniorities", 16),
    ("Locations", 20),
    ("Company Industries", 30),
    ("Company Headcounts", 22),
    ("Company Types", 24),
    ("Company Locations", 20),
    ("Keywords", 18),
    ("Functions", 18),
    ("Notes", 40),
)
HEADERS = tuple(header for header, _ in COLUMNS)

EXAMPLES: tuple[dict[str, str], ...] = (
    {
        "Segment": "VP Sales, US SaaS mid-market",
        "Job Titles": "VP Sales;Head of Sales",
        "Seniorities": "vp;head",
        "Locations": "United States",
        "Company Industries": "Software Development",
        "Company Headcounts": "51-200;201-500",
        "Company Types": "Privately Held",
        "Notes": "Example row: replace or delete it",
    },
    {
        "Segment": "Engineering leaders, US fintech",
        "Job Titles": "Director of Engineering;CTO",
        "Seniorities": "director;c_suite",
        "Locations": "United States",
        "Company Industries": "Financial Services",
        "Company Headcounts": "201-500;501-1000;1001-5000",
        "Keywords": "fintech",
        "Functions": "Engineering",
        "Notes": "Example row: Keywords and Functions work in realtime mode only",
    },
)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
NOTE_FONT = Font(bold=True)
NOTE_FILL = PatternFill("solid", fgColor="D9D9D9")  # grey: columns that are not sent
NOT_SENT = ("Segment", "Notes")
TEXT_FORMAT = "@"


def write_template(path: Path) -> None:
    """Write the input template to `path` (an .xlsx), replacing any file there atomically."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputFileError(
            f"Cannot write the template to {path}: the name must end in .xlsx "
            "(e.g. batchcount template segments.xlsx)."
        )
    wb = Workbook()
    segments = wb.active
    segments.title = "Segments"  # first sheet: the one `check` and `run` read by default
    instructions = wb.create_sheet("Instructions")
    lists = wb.create_sheet("Lists")
    ranges = _fill_lists(lists)
    _fill_segments(segments, ranges)
    _fill_instructions(instructions, path.name)
    with atomic_output(path) as fh:
        wb.save(fh)


def _list_values() -> dict[str, list[str]]:
    """Lists sheet columns: header -> allowed values."""
    vocabulary = vocabulary_data()
    industries = vocabulary["industries"]
    return {
        "Seniorities": list(vocabulary["seniorities_documented_request_values"]),
        "Company Headcounts": list(vocabulary["headcounts"]),
        "Company Types": list(vocabulary["company_types"]),
        "Functions": list(vocabulary["functions"]),
        "Company Industries": [item["name"] for item in industries],
        "Industry sector (parent)": [item["parent"] or "(top-level sector)" for item in industries],
    }


def _fill_lists(ws: Any) -> dict[str, str]:
    """Write the allowed values; return header -> defined name of its range (for dropdowns)."""
    ranges: dict[str, str] = {}
    for col, (header, values) in enumerate(_list_values().items(), 1):
        letter = get_column_letter(col)
        cell = ws.cell(row=1, column=col, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        for row, value in enumerate(values, 2):
            ws.cell(row=row, column=col, value=value).number_format = TEXT_FORMAT
        ws.column_dimensions[letter].width = min(60, max(len(header), *map(len, values)) + 2)
        # A workbook-level name: list validations on another sheet work in every Excel
        # version through a name (a direct cross-sheet reference needs Excel 2010+).
        name = "list_" + header.split(" (")[0].lower().replace(" ", "_")
        ref = f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${len(values) + 1}"
        ws.parent.defined_names[name] = DefinedName(name, attr_text=ref)
        ranges[header] = name
    ws.freeze_panes = "A2"
    return ranges


def _fill_segments(ws: Any, ranges: dict[str, str]) -> None:
    for col, (header, width) in enumerate(COLUMNS, 1):
        cell = ws.cell(row=1, column=col, value=header)
        not_sent = header in NOT_SENT
        cell.font = NOTE_FONT if not_sent else HEADER_FONT
        cell.fill = NOTE_FILL if not_sent else HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, example in enumerate(EXAMPLES, 2):
        for col, header in enumerate(HEADERS, 1):
            if example.get(header):
                ws.cell(row=row, column=col, value=example[header])
    # Text format so Excel keeps "1-10" as typed instead of turning it into a date: on the
    # column (new cells in Excel) and on each prepared cell (apps that ignore column styles).
    headcounts = get_column_letter(HEADERS.index("Company Headcounts") + 1)
    ws.column_dimensions[headcounts].number_format = TEXT_FORMAT
    for row in range(2, TEMPLATE_ROWS + 1):
        ws[f"{headcounts}{row}"].number_format = TEXT_FORMAT
    for header, source in ranges.items():
        if header in HEADERS:
            ws.add_data_validation(_dropdown(header, source, HEADERS.index(header) + 1))
    ws.freeze_panes = "B2"  # keep the header row and the segment name in view


def _dropdown(header: str, source: str, col: int) -> DataValidation:
    # A cell may hold several values joined by ';', which no list contains: a "warning" lets
    # the analyst keep such a cell, while still flagging typos in single values.
    letter = get_column_letter(col)
    validation = DataValidation(
        type="list",
        formula1=source,  # stored without "=", like every formula in the file format
        allow_blank=True,
        showDropDown=False,  # False shows the in-cell arrow (the XML flag is inverted)
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Not a single listed value",
        error=(
            f"Several values separated by '{SEPARATOR}' are fine: click Yes to keep them. "
            "Otherwise check the spelling against the Lists sheet: unknown values may "
            "count 0 leads or be rejected."
        ),
        showInputMessage=True,
        promptTitle=header[:32],
        prompt=(
            f"Pick from the list, or type several values separated by '{SEPARATOR}' "
            "(Excel then warns: click Yes). Leave empty to not filter on this. "
            "All allowed values: Lists sheet."
        ),
    )
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
    return validation


def _instructions(file_name: str) -> list[str]:
    quoted = f'"{file_name}"' if " " in file_name else file_name
    return [
        "How to fill in this workbook",
        "",
        "1. Segments sheet: one audience segment per row. Keep the header row as it is.",
        f"2. Several values in one cell: separate them with '{SEPARATOR}', e.g. "
        "VP Sales;Head of Sales. A lead matches if any one of the values matches.",
        "3. An empty cell means that filter is not used for the row. A row needs at least "
        "one filter; a completely empty row is skipped.",
        "4. Segment and Notes (grey headers) are for you: they are copied to the results "
        "but never sent.",
        "5. Allowed values for Seniorities, Company Headcounts, Company Types, Functions "
        "and Company Industries are on the Lists sheet, and the cells offer them in a "
        "dropdown. Spelling matters: an unknown industry silently counts 0 leads.",
        "6. Company Headcounts cells are formatted as text so Excel keeps 1-10 as typed "
        "instead of turning it into a date.",
        "7. Modes: realtime (default) counts live data and is billed per request; "
        "database (--mode database) counts cached data for free, but accepts only job "
        "titles, seniorities, locations and company industries, headcounts, types and "
        "locations. Keywords and Functions work in realtime mode only.",
        f"8. Check the file (nothing is billed): batchcount check {quoted}",
        f"9. Run it: batchcount run {quoted}  (it shows the cost and asks before spending, "
        "then writes an annotated copy next to this file; this file is never changed).",
        "10. Delete the two example rows before running, or keep them as extra segments.",
    ]


def _fill_instructions(ws: Any, file_name: str) -> None:
    ws.column_dimensions["A"].width = 110
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, line in enumerate(_instructions(file_name), 1):
        cell = ws.cell(row=row, column=1, value=line)
        cell.alignment = wrap
    ws["A1"].font = Font(bold=True, size=14)
