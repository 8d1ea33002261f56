"""Workbooks laid out the way analysts export them (issue 10, the plan side).

    python tests/data/make_report_layouts.py [FOLDER]     writes them (default: tests/data)

The tests build the same files into a temporary folder with these functions, so what each
file holds is visible here: decorated headers, a filled-down report, total and footnote rows,
countries typed with commas, hidden and filtered-out rows.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl


def _write(path: Path, rows: Sequence[Sequence[Any]], hidden: Sequence[int] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Segments"
    for row in rows:
        ws.append(list(row))
    for number in hidden:  # what Excel writes for a hidden or filtered-out row
        ws.row_dimensions[number].hidden = True
    wb.save(path)
    return path


def decorated_headers(folder: Path) -> Path:
    """Headers with units, marks, dashes and a line break; one that must not be guessed."""
    return _write(
        folder / "decorated.xlsx",
        [
            [
                "Segment",
                "Job\nTitles",
                "Seniority*",
                "Industry (LinkedIn)",
                "Locations – countries",
                "Company size (employees)",
                "Location (HQ)",
                "Persona",
                "Notes",
            ],
            [
                "A",
                "CTO",
                "director",
                "Software Development",
                "Germany",
                "51-200",
                "France",
                "Tech buyer",
                "x",
            ],
            ["B", "CFO", "vp", "Banking", "France", "201-500", "", "Finance buyer", ""],
        ],
    )


def filled_down(folder: Path) -> Path:
    """A report that writes the industry once for the rows below it."""
    return _write(
        folder / "filled-down.xlsx",
        [
            ["Industry", "Job Titles", "Locations", "Company Size"],
            ["Software Development", "CTO", "Germany", "51-200"],
            ["", "CFO", "France", "51-200"],
            ["", "VP Sales", "Spain", "201-500"],
            ["Banking", "CTO", "Germany", "1001-5000"],
            ["", "CIO", "Italy", "1001-5000"],
            ["Retail", "Head of Sales", "Spain", "11-50"],
            ["", "CMO", "Spain", "11-50"],
        ],
    )


def sparse_optional(folder: Path) -> Path:
    """An optional column filled on some rows only, values repeating: not a fill-down."""
    types = ["Privately Held", "", "Privately Held", "", "", "Public Company", "Public Company",
             "", "Privately Held", ""]  # fmt: skip
    rows: list[list[Any]] = [["Job Titles", "Locations", "Company Types"]]
    rows += [[f"Title {i}", "Germany", t] for i, t in enumerate(types)]
    return _write(folder / "sparse.xlsx", rows)


def totals_and_footnotes(folder: Path) -> Path:
    """Segments, then total rows and footnotes; one segment's title starts with 'Total'."""
    return _write(
        folder / "totals.xlsx",
        [
            ["Segment", "Job Titles", "Locations", "Leads (last run)"],
            ["DACH CTOs", "CTO", "Germany", 1200],
            ["Rewards", "Total Rewards Manager", "France", 300],
            ["Subtotal", "", "", 1500],
            ["Nordics", "CFO", "Sweden", 90],
            ["Total EMEA", "", "", "1,590"],
            ["Grand total", "", "", 1590],
            [],
            ["Source: Sales Navigator export, March 2024"],
            ["", "* excludes contractors and interns"],
            ["Counts refreshed monthly by the revenue operations team in Berlin"],
            ["Benelux", "", "", ""],
        ],
    )


def comma_countries(folder: Path) -> Path:
    """Countries typed with commas in a ';' column, next to real one-place values."""
    return _write(
        folder / "commas.xlsx",
        [
            ["Job Titles", "Locations"],
            ["CTO", "Sweden, Norway, Denmark"],
            ["CTO", "San Francisco, California, United States"],
            ["CTO", "Puerto Rico, United States"],
            ["CTO", "Georgia, United States"],
            ["CTO, CIO, VP Engineering", "Germany; Austria"],
        ],
    )


def hidden_rows(folder: Path) -> Path:
    """Rows 3 and 5 hidden (as a filter hides them); row 6 blank and hidden."""
    return _write(
        folder / "hidden.xlsx",
        [
            ["Job Titles", "Locations"],
            ["CTO", "Germany"],
            ["CFO", "France"],
            ["CIO", "Spain"],
            ["CMO", "Italy"],
            [],
            ["COO", "Austria"],
        ],
        hidden=[3, 5, 6],
    )


def group_totals(folder: Path) -> Path:
    """Excel's Data > Subtotal output on a sent column (Locations), a pivot-style label in an
    unsent first column, the localised prefix form, and look-alikes that are segments."""
    return _write(
        folder / "group_totals.xlsx",
        [
            ["Segment", "Job Titles", "Locations", "Leads"],
            ["A", "CTO", "Germany", 1200],
            ["B", "CFO", "Germany", 300],
            ["", "", "Germany Total", 1500],  # row 4: Excel's Subtotal label
            ["C", "CTO", "France", 90],
            ["", "", "France Count", 1],  # row 6: Subtotal with COUNT
            ["EMEA", "CIO", "Spain", 50],
            ["EMEA Total", "", "", 1640],  # row 8: a pivot's group total, label in column A
            ["D", "VP Sales", "Italy", 70],
            ["", "", "Total Italy", 70],  # row 10: French/Spanish Excel writes it first
            ["E", "Director Count", "Italy", 5],  # row 11: a title, other filters: a segment
            ["F", "Sales Max", "", 5],  # row 12: 'Sales' never stands above: a segment
            ["", "", "Grand Total", 1715],  # row 13
        ],
    )


ALL = (
    decorated_headers,
    filled_down,
    sparse_optional,
    totals_and_footnotes,
    comma_countries,
    hidden_rows,
    group_totals,
)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for make in ALL:
        print(make(target))
