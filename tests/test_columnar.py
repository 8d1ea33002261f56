"""The columnar check gives exactly the plan the row-by-row check gives (item 13 of issue 10).

`columnar.check_table` checks each distinct cell once and combines rows as vectors; the
reference is `rows.check_rows` + `make_plan`, one row at a time. Every row's status, body,
messages, fingerprint and duplicate must match, on generated sheets full of the cases that
take different paths: clean lists, repaired values, errors, blank and whitespace cells,
rule-breaking rows (two anchors, no filter, realtime-only fields in database mode), reader
problems, short rows, mapping-file constants, per-column separators.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchcount.plan.columnar import check_table
from batchcount.plan.distinct import MESSAGE, ColumnCells
from batchcount.plan.fingerprints import body_member, str_list_member
from batchcount.plan.mapping import ColumnMap, map_columns
from batchcount.plan.planned import Plan, make_plan
from batchcount.plan.rows import RowOptions, _field_result, check_rows

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADERS = [
    "Segment",
    "Job Titles",
    "Seniorities",
    "Locations",
    "Company Industries",
    "Company Headcounts",
    "Company Types",
    "Company Name",
    "Company ID",
    "Keywords",
    "Changed Jobs",
]

CELLS: dict[str, list[str]] = {
    "Segment": ["", "EMEA", "Total", "  ", "x"],
    "Job Titles": [
        "",
        "CTO",
        "CTO; CIO",
        "cto;CIO ",
        "CTO, CIO, VP Eng",
        "  ",
        "a\nb",
        "VP  Sales",
        "N/A",
        "CTO; -",
        "#REF!",
    ],
    "Seniorities": ["", "vp", "VP", "CXO", "vp; director", "vp;VP", "Owner / Partner", "wizard"],
    "Locations": [
        "",
        "Germany",
        "USA",
        "Sweden, Norway, Denmark",
        "San Francisco, California, United States",
        "Austin, TX",
        "France; Spain",
        "TBD",
        "—",
        "NA",
    ],
    "Company Industries": [
        "",
        "Software Development",
        "software development",
        "Fintech",
        "Fintech, Banking",
    ],
    "Company Headcounts": ["", "51-200", "10-Jan", "50-200", "1-10; 11-50", "10001+", "lots; 9-9"],
    "Company Types": ["", "Privately Held", "Private", "Startup"],
    "Company Name": ["", "Acme", "Acme\x00Corp"],
    "Company ID": ["", "2135371", "12.5", "x"],
    "Keywords": ["", "ai", "ai; ml"],
    "Changed Jobs": ["", "yes", "no", "maybe", "FALSE"],
}


@st.composite
def sheets(draw: st.DrawFn) -> tuple[list[list[str]], dict[int, str], RowOptions, ColumnMap]:
    width = len(HEADERS)
    templates = draw(
        st.lists(
            st.lists(st.sampled_from(range(8)), min_size=width, max_size=width),
            min_size=1,
            max_size=6,
        )
    )
    picks = draw(st.lists(st.sampled_from(range(len(templates))), min_size=1, max_size=25))
    rows = []
    for pick in picks:
        row = [
            CELLS[h][choice % len(CELLS[h])]
            for h, choice in zip(HEADERS, templates[pick], strict=True)
        ]
        if draw(st.integers(0, 9)) == 0:
            row = row[: draw(st.integers(0, width - 1))]  # a short row
        rows.append(row)
    problems = {}
    if draw(st.booleans()):
        problems[draw(st.integers(2, len(rows) + 1))] = "row has 3 cells too many"
    mode = draw(st.sampled_from(["realtime", "database"]))
    per_column = draw(st.sampled_from([(), ((3, ","),), ((1, ","), (2, "|"))]))
    options = RowOptions(draw(st.sampled_from([";", ","])), mode, draw(st.booleans()), per_column)
    constants: dict[str, Any] = draw(
        st.sampled_from(
            [
                {},
                {"company_locations": ["United States"]},
                {"job_titles": ["CEO"]},
                {"company_types": ["Startup"]},
                {"changed_jobs": False},
            ]
        )
    )
    base = map_columns(HEADERS)
    columns = ColumnMap(base.fields, base.passthrough, constants, base.how, base.hints)
    return rows, problems, options, columns


def assert_same(fast: Plan, slow: Plan) -> None:
    assert len(fast) == len(slow)
    for a, b in zip(fast.rows, slow.rows, strict=True):
        assert a.check == b.check, (a.check, b.check)
        assert a.fingerprint == b.fingerprint
        assert a.duplicate_of == b.duplicate_of
    assert fast.requests == slow.requests
    assert fast.first_row == slow.first_row
    assert fast.status_counts() == slow.status_counts()
    assert fast.duplicates == slow.duplicates
    for kind in ("errors", "warnings", "notes"):
        assert fast.message_count(kind) == slow.message_count(kind)  # type: ignore[arg-type]
        assert list(fast.messages(kind)) == list(slow.messages(kind))  # type: ignore[arg-type]


@SETTINGS
@given(sheet=sheets())
def test_columnar_plan_equals_row_by_row(
    sheet: tuple[list[list[str]], dict[int, str], RowOptions, ColumnMap],
) -> None:
    rows, problems, options, columns = sheet
    numbers = list(range(2, len(rows) + 2))
    fast = check_table(rows, numbers, HEADERS, columns, options, problems)
    slow = make_plan(check_rows(numbers, rows, HEADERS, columns, options, problems), options.mode)
    assert_same(fast, slow)


TEXT = st.text(alphabet="abc ;,|\n\t\u00a0\u200b-/", max_size=16)


@settings(max_examples=400, deadline=None)
@given(
    field=st.sampled_from(
        ["job_titles", "seniorities", "locations", "company_industries", "company_headcounts"]
    ),
    text=st.one_of(TEXT, st.sampled_from([v for vs in CELLS.values() for v in vs])),
    separator=st.sampled_from([";", ",", " / ", " ", "|"]),
    allow_unknown=st.booleans(),
)
def test_distinct_cell_short_path_equals_the_full_path(
    field: str, text: str, separator: str, allow_unknown: bool
) -> None:
    entry = ColumnCells(field, separator, allow_unknown, "Col", "realtime").entry(text)
    if not text.strip():
        assert entry.value is None and not entry.flags & MESSAGE
        return
    full = _field_result(field, text, separator, allow_unknown, "Col")
    assert (entry.value, entry.errors, entry.notes, entry.warnings) == (
        full.value,
        full.errors,
        full.notes,
        full.warnings,
    )
    if entry.value is not None:
        assert entry.member == body_member(field, list(entry.value))


@given(values=st.lists(st.text(max_size=8), min_size=1, max_size=5))
def test_list_member_equals_the_canonical_member(values: list[str]) -> None:
    assert str_list_member('"job_titles"', tuple(values)) == body_member("job_titles", values)


def test_the_short_path_knows_every_whitespace_character() -> None:
    import re
    import sys

    from batchcount.plan.distinct import OTHER_SPACE

    listed = re.compile(f"[{OTHER_SPACE}]")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(listed.match(char)) == (char.isspace() and char != " "), hex(code)
