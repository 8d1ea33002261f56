"""mapping: header -> API field, --map, mapping files (JSON/TOML), did-you-mean, passthrough."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchcount.errors import UsageError
from batchcount.plan.aliases import ALIASES, guess_field, normalise_header, similar_field
from batchcount.plan.fields import field_names
from batchcount.plan.mapping import (
    MappingFile,
    header_label,
    load_mapping_file,
    map_columns,
    parse_map_options,
)

# --- header normalisation and aliases ------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["job_titles", "Job Titles ", "job-titles", "JOB_TITLES", " Job  Titles", "Job\u00a0Titles"],
)
def test_header_normalisation(header: str) -> None:
    assert normalise_header(header) == "jobtitles"
    assert guess_field(header) == "job_titles"


@pytest.mark.parametrize("name", field_names())
def test_every_field_name_maps_to_itself_in_any_spelling(name: str) -> None:
    assert guess_field(name) == name
    assert guess_field(name.upper()) == name
    assert guess_field(" " + name.replace("_", " ").title() + " ") == name
    assert guess_field(name.replace("_", "-")) == name


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Title", "job_titles"),
        ("Job Title", "job_titles"),
        ("Titles", "job_titles"),
        ("Seniority", "seniorities"),
        ("Seniority Level", "seniorities"),
        ("Location", "locations"),
        ("Geo", "locations"),
        ("Country", "locations"),
        ("Industry", "company_industries"),
        ("Industries", "company_industries"),
        ("Company Size", "company_headcounts"),
        ("Headcount", "company_headcounts"),
        ("Employees", "company_headcounts"),
        ("# Employees", "company_headcounts"),
        ("Company Type", "company_types"),
        ("Function", "functions"),
        ("Department", "functions"),
        ("Keyword", "keywords"),
        ("Keywords", "keywords"),
        ("Company HQ", "company_locations"),
        ("HQ Country", "company_locations"),
        ("Company Name", "company_name"),
        ("Company LinkedIn URL", "company_link"),
        ("Company ID", "company_id"),
        ("Exclude Industries", "exclude_company_industries"),
    ],
)
def test_alias_families(header: str, field: str) -> None:
    assert guess_field(header) == field


def test_every_alias_targets_a_real_field_and_is_normalised() -> None:
    real = set(field_names())
    for alias, field in ALIASES.items():
        assert field in real, alias
        assert normalise_header(alias) == alias, alias


@pytest.mark.parametrize("header", ["Segment", "Notes", "Company", "Type", "Size", "", "   "])
def test_ambiguous_or_unrelated_headers_are_not_mapped(header: str) -> None:
    assert guess_field(header) is None


def test_did_you_mean_for_misspelt_headers() -> None:
    assert guess_field("Job Tittles") is None
    assert similar_field("Job Tittles") == "job_titles"
    assert similar_field("Seniorites") == "seniorities"
    assert similar_field("Notes") is None
    assert similar_field("abc") is None  # too short to guess


def test_header_label_uses_column_letter_for_blank_headers() -> None:
    headers = ["Title", "", *[f"h{i}" for i in range(25)], " "]
    assert header_label(headers, 0) == "Title"
    assert header_label(headers, 1) == "column B"
    assert header_label(headers, 27) == "column AB"


# --- map_columns ---------------------------------------------------------------------------


def test_map_columns_names_aliases_and_passthrough() -> None:
    headers = ["Segment", "Job Titles", "Geo", "Notes", "", "Job Tittles"]
    cm = map_columns(headers)
    assert cm.fields == {1: "job_titles", 2: "locations"}
    assert cm.how == {1: "name", 2: "alias"}
    assert cm.passthrough == [0, 3, 4, 5]
    assert cm.not_sent(headers) == ["Segment", "Notes", "Job Tittles"]  # blank header: unnamed
    assert cm.describe(headers) == ["Job Titles -> job_titles", "Geo -> locations"]
    assert len(cm.hints) == 1
    assert "Job Tittles" in cm.hints[0]
    assert "job_titles" in cm.hints[0]
    assert '--map "Job Tittles=job_titles"' in cm.hints[0]


def test_map_override_sends_an_unnamed_column() -> None:
    headers = ["Who", "Where"]
    cm = map_columns(headers, parse_map_options(["Who=job_titles", "Where=locations"]))
    assert cm.fields == {0: "job_titles", 1: "locations"}
    assert cm.how == {0: "--map", 1: "--map"}
    assert cm.describe(headers) == ["Who -> job_titles (--map)", "Where -> locations (--map)"]


def test_map_override_replaces_a_guess_and_matches_headers_loosely() -> None:
    cm = map_columns(["Title", "Role Notes"], parse_map_options(["  title =keywords"]))
    assert cm.fields == {0: "keywords"}


def test_map_empty_field_leaves_a_column_out() -> None:
    headers = ["Title", "Job Titles", "Geo"]
    with pytest.raises(UsageError):
        map_columns(headers)
    cm = map_columns(headers, parse_map_options(["Title="]))
    assert cm.fields == {1: "job_titles", 2: "locations"}
    assert 0 in cm.passthrough


def test_map_to_unknown_field_lists_valid_fields_and_suggests() -> None:
    with pytest.raises(UsageError) as err:
        parse_map_options(["Title=job_tittles"])
    message = str(err.value)
    assert "'job_tittles' is not a Generect count field" in message
    assert "Did you mean 'job_titles'?" in message
    assert all(name in message for name in field_names())


@pytest.mark.parametrize("option", ["job_titles", "=job_titles", "  =x"])
def test_map_option_syntax_errors(option: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_map_options([option])
    assert "HEADER=field" in str(err.value)


def test_map_header_may_contain_equals_sign() -> None:
    assert parse_map_options(["a=b=job_titles"]) == {"a=b": "job_titles"}


def test_map_for_missing_header_lists_the_headers() -> None:
    with pytest.raises(UsageError) as err:
        map_columns(["Title", "Notes"], {"Tilte": "job_titles"})
    message = str(err.value)
    assert "no column 'Tilte'" in message
    assert "'Title', 'Notes'" in message


def test_two_columns_on_one_field_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        map_columns(["Title", "Job Title", "Geo"])
    message = str(err.value)
    assert "'Title'" in message and "'Job Title'" in message
    assert "job_titles" in message
    assert '--map "Job Title="' in message


def test_map_onto_an_already_mapped_field_is_a_clash() -> None:
    with pytest.raises(UsageError, match="both map to locations"):
        map_columns(["Geo", "Where"], {"Where": "locations"})


def test_duplicate_headers_clash_says_rename_and_column_letters() -> None:
    with pytest.raises(UsageError) as err:
        map_columns(["Title", "Notes", "Title"])
    message = str(err.value)
    assert "column A" in message and "column C" in message
    assert "Rename" in message


def test_map_on_a_duplicated_header_is_ambiguous() -> None:
    with pytest.raises(UsageError) as err:
        map_columns(["Title", "Title"], {"Title": None})
    assert "2 columns named 'Title'" in str(err.value)


def test_no_filter_column_is_a_usage_error_naming_valid_fields() -> None:
    with pytest.raises(UsageError) as err:
        map_columns(["Segment", "Notes"])
    message = str(err.value)
    assert "no column maps to a Generect filter" in message
    assert "'Segment', 'Notes'" in message
    assert "--map" in message
    assert all(name in message for name in field_names())


def test_only_non_filter_columns_is_still_no_filter() -> None:
    with pytest.raises(UsageError):
        map_columns(["Limit By", "Strict", "Include Full Profile"])


def test_constants_alone_are_enough_filters() -> None:
    cm = map_columns(["Segment"], None, MappingFile(constants={"locations": ["France"]}))
    assert cm.fields == {}
    assert cm.constants == {"locations": ["France"]}
    assert cm.describe(["Segment"]) == ['locations = ["France"] (every row, mapping file)']


# --- mapping files -------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_file_json(tmp_path: Path) -> None:
    data = {
        "columns": {"Who": "job_titles", "Notes ": None, "Geo": ""},
        "constants": {"company_headcounts": ["51-200"], "changed_jobs": True},
        "separator": "|",
        "mode": "database",
    }
    mapping = load_mapping_file(_write(tmp_path, "m.json", json.dumps(data)))
    assert mapping.columns == {"Who": "job_titles", "Notes": None, "Geo": None}
    assert mapping.constants == {"company_headcounts": ["51-200"], "changed_jobs": True}
    assert mapping.separator == "|"
    assert mapping.mode == "database"
    cm = map_columns(["Who", "Geo", "Notes"], None, mapping)
    assert cm.fields == {0: "job_titles"}
    assert cm.how[0] == "file"
    assert cm.passthrough == [1, 2]


def test_mapping_file_json_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"columns": {"A": "keywords"}}).encode())
    assert load_mapping_file(path).columns == {"A": "keywords"}


def test_mapping_file_toml(tmp_path: Path) -> None:
    text = """
separator = ","
mode = "realtime"

[columns]
"Who" = "job_titles"

[constants]
locations = ["United States", "Canada"]
years_of_experience = [1, 2]
"""
    mapping = load_mapping_file(_write(tmp_path, "m.toml", text))
    assert mapping.columns == {"Who": "job_titles"}
    assert mapping.constants == {
        "locations": ["United States", "Canada"],
        "years_of_experience": [1, 2],
    }
    assert (mapping.separator, mapping.mode) == (",", "realtime")


def test_map_option_wins_over_mapping_file(tmp_path: Path) -> None:
    mapping = load_mapping_file(_write(tmp_path, "m.json", '{"columns": {"Who": "keywords"}}'))
    cm = map_columns(["Who"], {"Who": "job_titles"}, mapping)
    assert cm.fields == {0: "job_titles"}
    assert cm.how[0] == "--map"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.json", "{columns: 1}", "not valid JSON"),
        ("bad.toml", "columns = [", "not valid TOML"),
        ("bad.json", '{"colums": {}}', "Expected keys"),
        ("bad.json", '{"columns": {"A": 3}}', "columns/A"),
        ("bad.json", '{"mode": "fast"}', "mode"),
        ("bad.json", '{"separator": ""}', "separator"),
        ("bad.json", "[1, 2]", "(top level)"),
        ("bad.json", '{"constants": {"locations": null}}', "constants/locations"),
        ("bad.json", '{"columns": {"A": "job_tittles"}}', "Did you mean 'job_titles'?"),
        ("bad.json", '{"constants": {"geo": ["France"]}}', "'geo' is not a Generect count field"),
    ],
)
def test_malformed_mapping_files_are_usage_errors(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(UsageError) as err:
        load_mapping_file(path)
    message = str(err.value)
    assert message.startswith(f"--mapping {path}")
    assert expected in message


def test_mapping_file_missing_or_binary(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read it"):
        load_mapping_file(tmp_path / "nope.json")
    binary = tmp_path / "m.json"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(UsageError, match="not valid JSON"):
        load_mapping_file(binary)


def test_mapping_file_header_missing_from_sheet(tmp_path: Path) -> None:
    mapping = load_mapping_file(_write(tmp_path, "m.json", '{"columns": {"Who": "job_titles"}}'))
    with pytest.raises(UsageError) as err:
        map_columns(["Title"], None, mapping)
    assert "mapping file 'Who'" in str(err.value)
    assert "'Title'" in str(err.value)
