"""Benchmark inputs, generated once (seeded, so every run reads the same bytes) into bench/.cache.

- `segments_csv(n)`: n distinct, valid segments (the throughput runs and the reference clients).
- `big_workbook(n)`: an analyst-style .xlsx with 15 columns (8 mapped to API fields, 7 passed
  through), realistic values, ~45 % duplicate segments (60 % of them pasted rows with the same
  filter cells, 40 % typed again in another order or casing), ~2 % invalid rows, a few blank
  rows. Written the way Excel saves (shared strings); `inline=True` writes what openpyxl
  writes (inline strings), which openpyxl reads ~2.5x slower.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

CACHE = Path(__file__).resolve().parent / ".cache"

TITLES = [
    "VP Sales",
    "Head of Sales",
    "Chief Revenue Officer",
    "CTO",
    "Chief Technology Officer",
    "Head of Marketing",
    "Marketing Director",
    "Operations Manager",
    "IT Director",
    "CIO",
    "CISO",
    "Head of Data",
    "Data Director",
    "Founder",
    "Co-Founder",
    "HR Director",
    "Head of People",
    "Supply Chain Manager",
    "Logistics Manager",
    "General Manager",
    "Account Executive",
    "Sales Development Representative",
    "Product Manager",
    "Head of Product",
    "Engineering Manager",
    "VP Engineering",
    "CFO",
    "Finance Director",
    "Controller",
    "Procurement Manager",
    "Customer Success Manager",
    "Head of Growth",
    "Demand Generation Manager",
    "Security Engineer",
    "Data Scientist",
    "DevOps Lead",
    "Talent Acquisition Manager",
    "Office Manager",
    "Legal Counsel",
    "Chief Operating Officer",
]
SENIORITIES = [
    "owner",
    "founder",
    "c_suite",
    "partner",
    "vp",
    "head",
    "director",
    "manager",
    "senior",
    "entry",
]
LOCATIONS = [
    "United States",
    "Canada",
    "United Kingdom",
    "Germany",
    "France",
    "Spain",
    "Italy",
    "Netherlands",
    "Belgium",
    "Sweden",
    "Norway",
    "Denmark",
    "Finland",
    "Austria",
    "Switzerland",
    "Poland",
    "Ireland",
    "Portugal",
    "Australia",
    "Brazil",
    "Mexico",
    "India",
    "Japan",
    "Singapore",
]
INDUSTRIES = [
    "Software Development",
    "IT Services and IT Consulting",
    "Financial Services",
    "Retail",
    "Hospitals and Health Care",
    "Higher Education",
    "Hospitality",
    "Banking",
    "Transportation, Logistics, Supply Chain and Storage",
    "Biotechnology Research",
    "Computer and Network Security",
    "Insurance",
    "Real Estate",
    "Telecommunications",
    "Advertising Services",
    "Business Consulting and Services",
]
HEADCOUNTS = [
    "1-10",
    "11-50",
    "51-200",
    "201-500",
    "501-1000",
    "1001-5000",
    "5001-10000",
    "10 000+",
]
COMPANY_TYPES = ["Privately Held", "Public Company", "Educational", "Non Profit", "Partnership"]
FUNCTIONS = [
    "Sales",
    "Marketing",
    "Engineering",
    "Finance",
    "Human Resources",
    "Operations",
    "Information Technology",
    "Product Management",
    "Purchasing",
    "Legal",
]
OWNERS = [
    "Ana Ruiz",
    "Ben Okafor",
    "Chloé Martin",
    "Dmitri Ivanov",
    "Emma Schultz",
    "Farid Haddad",
    "Grace Liu",
    "Hiro Tanaka",
]
CAMPAIGNS = [
    "Q1 outbound",
    "Q2 ABM",
    "partner channel",
    "healthcare push",
    "renewals",
    "EMEA expansion",
    "event follow-up",
    "seed-stage",
]

# Rows an analyst gets wrong: each makes the row invalid (never sent).
INVALID_EDITS = [
    ("Company Headcounts", "10-50"),  # not a bucket
    ("Company Headcounts", "lots"),
    ("Company Types", "Startup"),  # not a company type
    ("Company Types", "Private"),
    ("Company Industries", "Fintech"),  # not a LinkedIn industry
    ("Company Industries", "SaaS"),
]

BIG_HEADERS = [
    "Segment",
    "Owner",
    "Campaign",
    "Job Titles",
    "Seniorities",
    "Locations",
    "Company HQ",
    "Company Industries",
    "Company Headcounts",
    "Company Types",
    "Job Functions",
    "Priority",
    "Created",
    "Notes",
    "Territory",
]
REGIONS = ["EMEA", "North America", "APAC", "LATAM", "DACH", "Nordics", "UK & Ireland"]
SMALL_HEADERS = [
    "Segment",
    "Job Titles",
    "Seniorities",
    "Locations",
    "Company Industries",
    "Company Headcounts",
    "Notes",
]


def _join(values: list[str]) -> str:
    return ";".join(values)


def segments_csv(n: int) -> Path:
    """n distinct valid segments: (title, location, industry, headcount) never repeats."""
    path = CACHE / f"segments-{n}.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    combos = list(itertools.product(TITLES, LOCATIONS, INDUSTRIES, HEADCOUNTS))
    if n > len(combos):
        raise ValueError(f"at most {len(combos)} distinct segments")
    picked = rng.sample(combos, n)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(SMALL_HEADERS)
        for i, (title, location, industry, headcount) in enumerate(picked, 1):
            seniorities = rng.sample(SENIORITIES, rng.randint(1, 2))
            writer.writerow(
                [
                    f"segment {i}",
                    title,
                    _join(seniorities),
                    location,
                    industry,
                    headcount,
                    rng.choice(CAMPAIGNS),
                ]
            )
    tmp.replace(path)
    return path


def _big_row(rng: random.Random, i: int) -> list[str | int | dt.datetime]:
    titles = rng.sample(TITLES, rng.randint(1, 3))
    locations = rng.sample(LOCATIONS, rng.randint(1, 3))
    return [
        f"{rng.choice(locations)} {titles[0]} #{i}",
        rng.choice(OWNERS),
        rng.choice(CAMPAIGNS),
        _join(titles),
        _join(rng.sample(SENIORITIES, rng.randint(1, 3))),
        _join(locations),
        rng.choice(LOCATIONS) if rng.random() < 0.3 else "",
        _join(rng.sample(INDUSTRIES, rng.randint(1, 2))),
        _join(rng.sample(HEADCOUNTS, rng.randint(1, 3))),
        rng.choice(COMPANY_TYPES) if rng.random() < 0.4 else "",
        _join(rng.sample(FUNCTIONS, rng.randint(1, 2))) if rng.random() < 0.5 else "",
        rng.randint(1, 5),
        dt.datetime(2025, 1, 1) + dt.timedelta(minutes=rng.randint(0, 500_000)),
        rng.choice(["", "", "check with sales", "from the 2024 list", "needs review"]),
        rng.choice(REGIONS),
    ]


def _copy(rng: random.Random, row: list[str | int | dt.datetime]) -> list[str | int | dt.datetime]:
    """The same segment pasted again: same filter cells, another owner, campaign and note."""
    out = list(row)
    out[0] = f"{out[0]} (copy)"
    out[1] = rng.choice(OWNERS)
    out[2] = rng.choice(CAMPAIGNS)
    out[13] = "duplicate of an earlier row"
    return out


def _variant(
    rng: random.Random, row: list[str | int | dt.datetime]
) -> list[str | int | dt.datetime]:
    """The same segment typed again: list order shuffled, casing and spacing changed."""
    out = _copy(rng, row)
    for col in (3, 4, 5, 7, 8):
        values = str(out[col]).split(";")
        rng.shuffle(values)
        text = "; ".join(values) if rng.random() < 0.5 else ";".join(values)
        out[col] = text.lower() if col in (3, 5) and rng.random() < 0.5 else text
    return out


def big_rows(n: int, seed: int = 7) -> list[list[str | int | dt.datetime]]:
    rng = random.Random(seed)
    rows: list[list[str | int | dt.datetime]] = []
    originals: list[list[str | int | dt.datetime]] = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.004:
            rows.append([""] * len(BIG_HEADERS))
        elif roll < 0.45 and originals:  # duplicates: 60 % pasted, 40 % typed again
            again = _copy if rng.random() < 0.6 else _variant
            rows.append(again(rng, rng.choice(originals)))
        else:
            row = _big_row(rng, i)
            if rng.random() < 0.02:
                column, value = rng.choice(INVALID_EDITS)
                row[BIG_HEADERS.index(column)] = value
            else:
                originals.append(row)
            rows.append(row)
    return rows


def big_workbook(n: int, *, inline: bool = False) -> Path:
    """The n-row workbook, cached. By default written the way Excel saves one (shared strings,
    dates as styled serial numbers); `inline=True`: strings inline, as openpyxl writes them."""
    path = CACHE / f"segments-{n}-15col{'-inline' if inline else ''}.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write_excel_like(tmp, "Segments", [list(BIG_HEADERS), *big_rows(n)], inline=inline)
    tmp.replace(path)
    return path


_EPOCH = dt.datetime(1899, 12, 30)
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _column(index: int) -> str:
    label, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        label = chr(65 + rem) + label
    return label


def write_excel_like(
    path: Path, sheet: str, rows: list[list[str | int | dt.datetime]], *, inline: bool = False
) -> None:
    strings: dict[str, int] = {}
    total = 0
    width = max(len(r) for r in rows)
    letters = [_column(i) for i in range(width)]
    body: list[str] = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{letters[c]}{r}"
            if isinstance(value, dt.datetime):
                serial = (value - _EPOCH).total_seconds() / 86400
                cells.append(f'<c r="{ref}" s="1"><v>{serial!r}</v></c>')
            elif isinstance(value, int):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value != "" and inline:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            elif value != "":
                total += 1
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    last = f"{letters[-1]}{len(rows)}"
    sheet_xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" '
        f'xmlns:r="{_REL_NS}"><dimension ref="A1:{last}"/><sheetViews><sheetView '
        'tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f"<sheetData>{''.join(body)}</sheetData></worksheet>"
    )
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    sst = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_NS}" '
        f'count="{total}" uniqueCount="{len(strings)}">{shared}</sst>'
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
        'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/>'
        '<bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" '
        'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" '
        'fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="22" fontId="0" fillId="0" '
        'borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle '
        'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" '
        f'xmlns:r="{_REL_NS}"><sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    book_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        f'xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_DOC}/worksheet" '
        'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        f'Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" '
        f'Type="{_DOC}/styles" Target="styles.xml"/></Relationships>'
    )
    root_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        f'xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_DOC}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
        '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        f'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{_CT}'
        '.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_CT}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{_CT}.sharedStrings+xml"/><Override PartName="/xl/styles.xml" '
        f'ContentType="{_CT}.styles+xml"/></Types>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", book_rels)
        archive.writestr("xl/styles.xml", styles)
        archive.writestr("xl/sharedStrings.xml", sst)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
