"""Regenerate the sample inputs: `python samples/make_samples.py` (needs openpyxl)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).parent

HEADERS = [
    "Segment",
    "Job Titles",
    "Seniorities",
    "Locations",
    "Company Industries",
    "Company Headcounts",
    "Company Types",
    "Notes",
]

CLEAN = [
    [
        "NA SaaS sales leaders",
        "VP Sales;Head of Sales",
        "vp;head",
        "United States",
        "Software Development",
        "51-200;201-500",
        "Privately Held",
        "Q1 outbound",
    ],
    [
        "NA SaaS CROs",
        "Chief Revenue Officer",
        "c_suite",
        "United States;Canada",
        "Software Development",
        "201-500;501-1000",
        "",
        "",
    ],
    [
        "DACH IT services CTOs",
        "CTO;Chief Technology Officer",
        "c_suite",
        "Germany;Austria;Switzerland",
        "IT Services and IT Consulting",
        "51-200",
        "",
        "partner channel",
    ],
    [
        "UK fintech marketing",
        "Head of Marketing;Marketing Director",
        "head;director",
        "United Kingdom",
        "Financial Services",
        "11-50;51-200",
        "Privately Held",
        "",
    ],
    [
        "France retail ops",
        "Operations Manager",
        "manager",
        "France",
        "Retail",
        "201-500;501-1000",
        "",
        "",
    ],
    [
        "US hospital IT",
        "IT Director;Director of Information Technology",
        "director",
        "United States",
        "Hospitals and Health Care",
        "1001-5000;5001-10000",
        "",
        "healthcare push",
    ],
    [
        "Enterprise security buyers",
        "CISO;Chief Information Security Officer",
        "c_suite",
        "United States;United Kingdom",
        "",
        "10 000+",
        "Public Company",
        "",
    ],
    [
        "Nordics data leaders",
        "Head of Data;Data Director",
        "head;director",
        "Sweden;Norway;Denmark;Finland",
        "Software Development;IT Services and IT Consulting",
        "201-500",
        "",
        "",
    ],
    [
        "US founders, small SaaS",
        "Founder;Co-Founder",
        "founder;owner",
        "United States",
        "Software Development",
        "1-10;11-50",
        "Privately Held",
        "seed-stage",
    ],
    [
        "Canada HR leaders",
        "HR Director;Head of People",
        "director;head",
        "Canada",
        "",
        "201-500;501-1000",
        "",
        "",
    ],
    [
        "Benelux logistics",
        "Supply Chain Manager;Logistics Manager",
        "manager",
        "Netherlands;Belgium",
        "Transportation, Logistics, Supply Chain and Storage",
        "501-1000",
        "",
        "",
    ],
    [
        "Spain hospitality GMs",
        "General Manager",
        "director;manager",
        "Spain",
        "Hospitality",
        "51-200",
        "",
        "",
    ],
    [
        "US higher-ed IT (dup of row 13 in other order)",
        "IT Director;CIO",
        "director;c_suite",
        "United States",
        "Higher Education",
        "1001-5000",
        "Educational",
        "",
    ],
    [
        "US higher-ed IT",
        "CIO;IT Director",
        "c_suite;director",
        "united states",
        "Higher Education",
        "1001-5000",
        "Educational",
        "same segment as above",
    ],
]


def write_clean() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Segments"
    ws.append(HEADERS)
    for row in CLEAN:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFGH", (34, 36, 18, 28, 40, 22, 16, 20), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=6):
        row[0].number_format = "@"  # headcounts as text, so Excel leaves "1-10" alone
    wb.save(HERE / "segments.xlsx")
    with open(HERE / "segments.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(CLEAN)


def write_messy() -> None:
    """What `check` catches: every row but a few has something to repair or refuse."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Territory plan"
    ws.append(
        [
            "Segment",
            "Title ",
            "Seniority",
            "Geo",
            "Industry",
            "Company Size",
            "Company Type",
            "Company Name",
            "Company ID",
            "Keywords",
            "Notes",
            "Job Functon",
        ]
    )
    rows = [
        [
            "Fintech CFOs",
            "CFO",
            "CXO",
            "United States",
            "Fintech",
            "51-200",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "SaaS VPs",
            "VP Engineering",
            "Vice President",
            "Germany",
            "software development",
            "10001+",
            "privately held",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "Tiny agencies",
            "Owner",
            "owner",
            "United Kingdom",
            "Advertising Services",
            dt.datetime(2024, 1, 10),
            "",
            "",
            "",
            "",
            "Excel made 1-10 a date",
            "",
        ],
        [
            "Small consultancies",
            "Managing Partner",
            "partner",
            "France",
            "Business Consulting and Services",
            dt.datetime(1950, 11, 1),
            "",
            "",
            "",
            "",
            "Excel made 11-50 a date",
            "",
        ],
        [
            "Bad bucket",
            "Sales Manager",
            "manager",
            "Canada",
            "Retail",
            "50-200",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [None] * 12,
        ["Two anchors", "Engineer", "senior", "", "", "", "", "Acme Corp", "2135371.0", "", "", ""],
        [
            "Nothing to count",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "notes only",
            None,
        ],
        [
            "Unknown type",
            "Teacher",
            "entry",
            "Spain",
            "Education",
            "",
            "Startup",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "SaaS again (dup of row 3)",
            "vp engineering",
            "VP",
            "germany",
            "Software Development",
            "10 000+",
            "Privately Held",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "Formula text",
            '=HYPERLINK("http://example.com")',
            "director",
            "United States",
            "Banking",
            "1001-5000",
            "",
            "",
            "",
            "",
            "@risk",
            "",
        ],
        [
            "Keywords need realtime",
            "Data Scientist",
            "senior",
            "United States",
            "Software Development",
            "201-500",
            "",
            "",
            "",
            "machine learning;LLM",
            "",
            "",
        ],
    ]
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # typed text that looks like a formula, as analysts paste it
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wb.save(HERE / "segments-messy.xlsx")


TERRITORY_HEADERS = [
    "Segment",
    "Job Titles",
    "Seniorities",
    "Locations",
    "Company Headcounts",
    "Owner",
]
TERRITORY = [
    [
        "EMEA sales leaders",
        "Head of Sales;Sales Director;VP Sales",
        "vp;director",
        "Germany;France;Spain;Italy;Poland",
        "51-200;201-500",
        "Ana",
    ],
    [
        "EMEA marketing leaders",
        "Head of Marketing;Marketing Director;CMO",
        "vp;director;c_suite",
        "Germany;France;Spain;Italy;Poland",
        "201-500;501-1000",
        "Ben",
    ],
    [
        "DACH engineering leaders",
        "CTO;VP Engineering;Head of Engineering",
        "c_suite;vp",
        "Germany;Austria;Switzerland",
        "51-200;201-500;501-1000",
        "Ana",
    ],
]


def write_territory() -> None:
    """README "Sizing a territory": list cells meant for --explode Locations --explode
    Seniorities (31 segments from 3 rows)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Territories"
    ws.append(TERRITORY_HEADERS)
    for row in TERRITORY:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEF", (26, 42, 22, 36, 28, 10), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        row[0].number_format = "@"
    wb.save(HERE / "territory.xlsx")


if __name__ == "__main__":
    write_clean()
    write_messy()
    write_territory()
