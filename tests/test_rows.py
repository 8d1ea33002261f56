"""rows.check_row: one spreadsheet row -> request body, or exactly why it cannot be sent."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from batchcount.plan.mapping import ColumnMap, MappingFile, map_columns
from batchcount.plan.rows import Mode, RowCheck, RowOptions, check_row

HEADERS = [
    "Segment",
    "Title",
    "Seniority",
    "Geo",
    "Industry",
    "Company Size",
    "Company Type",
    "Company Name",
    "Company ID",
    "Company Link",
    "Keywords",
    "Years Of Experience",
    "Changed Jobs",
]
COLUMNS = map_columns(HEADERS)


def row(**cells: str) -> list[str]:
    """A full row from header -> text (keys are headers with spaces as underscores)."""
    out = [""] * len(HEADERS)
    for key, text in cells.items():
        out[HEADERS.index(key.replace("_", " "))] = text
    return out


def check(
    cells: Sequence[str],
    number: int = 7,
    columns: ColumnMap = COLUMNS,
    headers: Sequence[str] = HEADERS,
    problem: str | None = None,
    mode: Mode = "realtime",
    separator: str = ";",
    allow_unknown: bool = False,
) -> RowCheck:
    options = RowOptions(separator=separator, mode=mode, allow_unknown=allow_unknown)
    return check_row(number, cells, headers, columns, options, problem)


def test_valid_row_builds_the_body_in_schema_order() -> None:
    result = check(
        row(
            Segment="NA SaaS",
            Company_Size="51-200;201-500",
            Title="VP Sales; Head of Sales",
            Geo="United States",
            Seniority="vp",
        )
    )
    assert result.status == "valid"
    assert result.row_number == 7
    assert result.errors == result.warnings == result.notes == ()
    assert result.body == {
        "job_titles": ["VP Sales", "Head of Sales"],
        "seniorities": ["vp"],
        "locations": ["United States"],
        "company_headcounts": ["51-200", "201-500"],
    }
    assert list(result.body) == ["job_titles", "seniorities", "locations", "company_headcounts"]


@pytest.mark.parametrize("cells", [[""] * len(HEADERS), [" ", "\u00a0", "\t"] + [""] * 10, []])
def test_blank_rows_are_blank(cells: list[str]) -> None:
    result = check(cells)
    assert result.status == "blank"
    assert result.body is None
    assert result.errors == ()


def test_short_row_reads_missing_cells_as_empty() -> None:
    assert check(["x", "CEO"]).body == {"job_titles": ["CEO"]}


def test_typed_values_in_the_body() -> None:
    result = check(
        row(Company_ID="2,135,371", Years_Of_Experience="3.0", Changed_Jobs="TRUE", Keywords="ai")
    )
    assert result.status == "valid"
    assert result.body == {
        "company_id": 2135371,
        "keywords": ["ai"],
        "years_of_experience": [3],
        "changed_jobs": True,
    }


def test_cell_error_names_row_column_value_and_fix() -> None:
    result = check(row(Title="CEO", Company_ID="acme"), number=12)
    assert result.status == "invalid"
    (error,) = result.errors
    assert error.startswith("row 12, Company ID: 'acme'")
    assert "whole number" in error and "e.g. 2135371" in error


def test_unknown_headcount_suggests_nearest_bucket() -> None:
    result = check(row(Title="CEO", Company_Size="50-200"), number=6)
    assert result.status == "invalid"
    (error,) = result.errors
    assert error.startswith("row 6, Company Size: '50-200' is not a headcount bucket")
    assert "did you mean '51-200'?" in error
    assert result.body is not None and result.body["company_headcounts"] == ["50-200"]


def test_two_anchors_are_invalid_and_show_both_values() -> None:
    result = check(row(Title="Engineer", Company_Name="Acme Corp", Company_ID="2135371.0"))
    assert result.status == "invalid"
    (error,) = result.errors
    assert error.startswith("row 7: ")
    assert "Company Name ('Acme Corp')" in error
    assert "Company ID (2135371)" in error
    assert "only one of" in error


def test_three_anchors_are_invalid() -> None:
    result = check(
        row(
            Company_Name="Acme",
            Company_ID="5",
            Company_Link="https://www.linkedin.com/company/acme/",
        )
    )
    assert result.status == "invalid"
    assert "are all filled" in result.errors[0]


@pytest.mark.parametrize(
    "cells",
    [
        row(Segment="only notes"),
        row(Segment="x", Changed_Jobs="no"),  # False narrows nothing
    ],
)
def test_no_real_filter_is_invalid(cells: list[str]) -> None:
    result = check(cells)
    assert result.status == "invalid"
    assert any("no filter is filled in" in e and e.startswith("row 7:") for e in result.errors)


def test_only_non_filter_fields_is_invalid() -> None:
    headers = ["Title", "Limit By", "Include Full Profile"]
    columns = map_columns(headers)
    result = check(["", "10", "yes"], columns=columns, headers=headers)
    assert result.status == "invalid"
    assert "no filter is filled in" in result.errors[0]


def test_personas_empty_list_does_not_count_as_a_filter() -> None:
    headers = ["Title", "Personas"]
    result = check(["", "[]"], columns=map_columns(headers), headers=headers)
    assert result.status == "invalid"
    assert result.body == {}


def test_database_mode_rejects_realtime_only_fields() -> None:
    result = check(row(Title="Data Scientist", Keywords="machine learning;LLM"), mode="database")
    assert result.status == "invalid"
    (error,) = result.errors
    assert error.startswith("row 7, Keywords: 'machine learning; LLM'")
    assert "realtime" in error and "--mode realtime" in error
    assert check(row(Title="Data Scientist", Keywords="LLM")).status == "valid"


def test_database_mode_accepts_its_own_filters() -> None:
    cells = row(Title="CTO", Geo="France", Company_Size="1-10", Company_ID="42")
    assert check(cells, mode="database").status == "valid"


def test_sheet_row_problem_makes_the_row_invalid_without_repeating_the_row() -> None:
    problem = "row 9 has 14 cells but the header has 13 (extra: 'x'); a list may need quotes"
    result = check(row(Title="CEO"), number=9, problem=problem)
    assert result.status == "invalid"
    assert result.errors == (problem,)
    other = check(row(Title="CEO"), number=9, problem="contains a NUL byte")
    assert other.errors == ("row 9: contains a NUL byte",)


def test_row_problem_on_blank_row_stays_blank() -> None:
    assert check([""] * len(HEADERS), problem="whatever").status == "blank"


def test_canonicalisation_notes_flow_into_the_row() -> None:
    result = check(
        row(
            Title="VP Engineering",
            Seniority="Vice President",
            Industry="software development",
            Company_Size="10001+",
            Company_Type="privately held",
        ),
        number=3,
    )
    assert result.status == "valid"
    assert result.body == {
        "job_titles": ["VP Engineering"],
        "seniorities": ["vp"],
        "company_industries": ["Software Development"],
        "company_headcounts": ["10 000+"],
        "company_types": ["Privately Held"],
    }
    assert result.notes == (
        "row 3, Seniority: 'Vice President' → 'vp'",
        "row 3, Industry: 'software development' → 'Software Development'",
        "row 3, Company Size: '10001+' → '10 000+' (the API's spelling of the top bucket)",
        "row 3, Company Type: 'privately held' → 'Privately Held'",
    )


@pytest.mark.parametrize(
    ("text", "bucket"),
    [("2024-01-10 00:00:00", "1-10"), ("2023-10-01", "1-10"), ("1950-11-01 00:00:00", "11-50")],
)
def test_excel_date_repair_is_noted(text: str, bucket: str) -> None:
    result = check(row(Title="Owner", Company_Size=text), number=4)
    assert result.status == "valid"
    assert result.body is not None and result.body["company_headcounts"] == [bucket]
    (note,) = result.notes
    assert note.startswith(f"row 4, Company Size: '{text}'")
    assert "date" in note and "Text" in note


def test_unknown_seniority_is_a_warning_but_valid() -> None:
    result = check(row(Title="CEO", Seniority="Wizard"))
    assert result.status == "valid"
    assert result.body is not None and result.body["seniorities"] == ["Wizard"]
    (warning,) = result.warnings
    assert warning.startswith("row 7, Seniority: 'Wizard'")
    assert "c_suite" in warning


def test_unknown_industry_is_invalid_with_suggestion() -> None:
    result = check(row(Title="CFO", Industry="Fintech"), number=2)
    assert result.status == "invalid"
    assert result.errors == (
        "row 2, Industry: 'Fintech' is not a LinkedIn industry; did you mean 'Financial Services'?",
    )


def test_allow_unknown_sends_unknown_industry_with_a_warning() -> None:
    result = check(row(Title="CFO", Industry="Fintech"), allow_unknown=True)
    assert result.status == "valid"
    assert result.body is not None and result.body["company_industries"] == ["Fintech"]
    (warning,) = result.warnings
    assert "row 7, Industry: 'Fintech'" in warning and "sent anyway" in warning


def test_comma_in_a_list_cell_hints_at_the_separator() -> None:
    result = check(row(Industry="Software Development, Retail"))
    assert result.status == "invalid"
    assert any("separated by ';'" in e for e in result.errors)
    with_comma = check(row(Industry="Software Development, Retail"), separator=",")
    assert with_comma.status == "valid"
    assert with_comma.body == {"company_industries": ["Software Development", "Retail"]}


def test_several_errors_are_all_reported() -> None:
    result = check(row(Title="CEO", Company_Size="huge", Company_Type="Startup", Company_ID="x"))
    assert result.status == "invalid"
    columns = [e.split(":")[0] for e in result.errors]
    assert columns == ["row 7, Company Size", "row 7, Company Type", "row 7, Company ID"]


# --- mapping-file constants ----------------------------------------------------------------


def _with_constants(headers: list[str], constants: dict[str, object]) -> ColumnMap:
    return map_columns(headers, None, MappingFile(constants=dict(constants)))


def test_constants_apply_to_every_row_and_a_cell_overrides_them() -> None:
    headers = ["Title", "Geo"]
    columns = _with_constants(headers, {"locations": ["France"], "company_headcounts": "10001+"})
    plain = check(["CEO", ""], columns=columns, headers=headers)
    assert plain.status == "valid"
    assert plain.body == {
        "job_titles": ["CEO"],
        "locations": ["France"],
        "company_headcounts": ["10 000+"],
    }
    assert plain.notes == (
        "row 7, mapping-file constant company_headcounts: "
        "'10001+' → '10 000+' (the API's spelling of the top bucket)",
    )
    overridden = check(["CEO", "Spain"], columns=columns, headers=headers)
    assert overridden.body is not None and overridden.body["locations"] == ["Spain"]


def test_constant_alone_makes_a_row_with_only_passthrough_text_valid() -> None:
    headers = ["Segment", "Title"]
    columns = _with_constants(headers, {"job_titles": ["CEO"]})
    result = check(["my segment", ""], columns=columns, headers=headers)
    assert result.status == "valid"
    assert result.body == {"job_titles": ["CEO"]}


def test_bad_constant_is_an_error_naming_the_constant() -> None:
    headers = ["Title"]
    columns = _with_constants(headers, {"company_types": ["Startup"]})
    result = check(["CEO"], columns=columns, headers=headers)
    assert result.status == "invalid"
    assert result.errors[0].startswith("row 7, mapping-file constant company_types: 'Startup'")


def test_realtime_only_constant_in_database_mode_names_the_constant() -> None:
    headers = ["Title"]
    columns = _with_constants(headers, {"keywords": ["ai"]})
    result = check(["CEO"], columns=columns, headers=headers, mode="database")
    assert result.status == "invalid"
    assert result.errors[0].startswith("row 7, constant keywords: 'ai'")


def test_comma_listed_titles_get_a_separator_warning() -> None:
    from batchcount.plan.mapping import map_columns
    from batchcount.plan.rows import RowOptions, check_row

    headers = ["Job Titles", "Locations"]
    columns = map_columns(headers)
    listed = check_row(
        2,
        ["CTO, CIO, VP Engineering", "Austin, Texas, United States"],
        headers,
        columns,
        RowOptions(),
    )
    assert listed.status == "valid"
    assert listed.body == {
        "job_titles": ["CTO, CIO, VP Engineering"],
        "locations": ["Austin, Texas, United States"],
    }
    (warning,) = listed.warnings
    assert "sent as ONE value" in warning and "row 2, Job Titles" in warning
    single = check_row(3, ["VP, Sales", "United States"], headers, columns, RowOptions())
    assert single.warnings == ()
