"""cells.parse_cell: one cell's text -> the typed JSON value of its API field."""

from __future__ import annotations

import pytest

from batchcount.plan.cells import Cell, clean_text, constant_cell, parse_cell, split_list
from batchcount.plan.fields import ANCHORS, NON_FILTERS, all_fields, field_names, is_field

# --- fields --------------------------------------------------------------------------------


def test_fields_come_from_the_schema_with_kinds() -> None:
    fields = all_fields()
    assert len(fields) == 49
    assert fields["job_titles"].kind == "str_list"
    assert fields["years_of_experience"].kind == "int_list"
    assert fields["years_of_experience"].enum == (1, 2, 3, 4, 5)
    assert fields["schools"].kind == "int_list"
    assert fields["company_id"].kind == "int"
    assert fields["changed_jobs"].kind == "bool"
    assert fields["personas"].kind == "json"
    assert fields["num_of_connections"].kind == "json"
    assert fields["company_link"].kind == "str"
    assert "10 000+" in (fields["company_headcounts"].enum or ())
    assert field_names() == sorted(fields)
    assert is_field("keywords") and not is_field("without_company")
    assert set(ANCHORS) | NON_FILTERS <= set(fields)


def test_realtime_only_follows_the_database_list() -> None:
    fields = all_fields()
    for name in ("job_titles", "seniorities", "company_id", "company_headcounts", "limit_by"):
        assert not fields[name].realtime_only, name
    for name in ("keywords", "functions", "personas", "num_of_connections", "changed_jobs"):
        assert fields[name].realtime_only, name


# --- empty cells ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", field_names())
@pytest.mark.parametrize("text", ["", "   ", "\u00a0", "\n", "\t \r\n"])
def test_empty_cell_is_absent_for_every_field(name: str, text: str) -> None:
    assert parse_cell(name, text) == Cell(None)


@pytest.mark.parametrize("text", [";", " ; ;; ", "\n;\n"])
def test_list_of_only_separators_is_absent_not_an_empty_list(text: str) -> None:
    assert parse_cell("job_titles", text).value is None
    assert parse_cell("years_of_experience", text).value is None


# --- string lists --------------------------------------------------------------------------


def test_str_list_split_trim_dedupe_keep_order() -> None:
    cell = parse_cell("job_titles", " VP Sales ;Head of Sales;; VP Sales ; CRO ")
    assert cell == Cell(("VP Sales", "Head of Sales", "CRO"))


def test_str_list_alt_enter_newlines_split_like_separator() -> None:
    assert parse_cell("job_titles", "CEO\nCFO\r\nCTO;COO").value == ("CEO", "CFO", "CTO", "COO")


def test_str_list_collapses_nbsp_thin_and_other_spaces() -> None:
    text = "Head\u00a0of\u2009\u2009Sales;VP\u202f  Sales;Chief\u200bOfficer"
    assert parse_cell("job_titles", text).value == ("Head of Sales", "VP Sales", "Chief Officer")


def test_str_list_custom_separator_keeps_semicolons_and_still_splits_lines() -> None:
    assert parse_cell("keywords", "a;b | c\nd", " | ").value == ("a;b", "c", "d")
    assert parse_cell("keywords", "a,b,a", ",").value == ("a", "b")


def test_str_list_repeats_dropped_only_when_identical_after_cleaning() -> None:
    # Case differences are kept here: canonical spellings are vocabulary's and plan's job.
    assert parse_cell("keywords", "AI; ai;A\u00a0I").value == ("AI", "ai", "A I")


def test_split_list_and_clean_text_helpers() -> None:
    assert split_list("a;;b;\na", ";") == ["a", "b"]
    assert split_list("x\ny", "\n") == ["x", "y"]
    assert clean_text("\ufeff  a \t\u00a0 b  ") == "a b"


# --- integer lists -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1;2", (1, 2)), ("3", (3,)), ("3.0", (3,)), ("5;1;5", (5, 1)), (" 2 \n 4 ", (2, 4))],
)
def test_int_list_parses_excel_numbers(text: str, expected: tuple[int, ...]) -> None:
    assert parse_cell("years_of_experience", text) == Cell(expected)


@pytest.mark.parametrize("name", ["years_of_experience", "years_in_position", "years_in_company"])
@pytest.mark.parametrize("text", ["0", "6", "1;9", "-1"])
def test_years_out_of_range_names_the_allowed_values(name: str, text: str) -> None:
    cell = parse_cell(name, text)
    assert cell.value is None
    assert cell.error is not None
    assert "out of range" in cell.error
    assert "1, 2, 3, 4, 5" in cell.error


@pytest.mark.parametrize("text", ["two", "1.5", "1;x", "3e2"])
def test_int_list_non_numbers_are_errors_with_the_fix(text: str) -> None:
    cell = parse_cell("schools", text)
    assert cell.value is None
    assert cell.error is not None and "not a whole number" in cell.error
    assert "1;2" in cell.error  # shows how to write several values


def test_int_list_comma_is_not_silently_a_thousands_separator() -> None:
    # "1,2" used to become 12: a different school, counted and billed without a word.
    cell = parse_cell("schools", "1,2")
    assert cell.value is None and cell.error is not None
    assert parse_cell("schools", "1,2", ",").value == (1, 2)
    assert parse_cell("schools", "12,345;7").value == (12345, 7)


# --- integers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2135371", "2135371.0", "2,135,371", " 2135371 ", "2 135 371", "2\u00a0135\u00a0371"]
)
def test_company_id_from_excel_text(text: str) -> None:
    assert parse_cell("company_id", text) == Cell(2135371)


@pytest.mark.parametrize("text", ["acme", "12a", "2135371.5", "1,2", "21,35,371", "1e6", "#N/A"])
def test_company_id_non_numbers_are_errors(text: str) -> None:
    cell = parse_cell("company_id", text)
    assert cell.value is None
    assert cell.error is not None
    assert "whole number" in cell.error
    assert "e.g." in cell.error  # the fix


def test_company_id_large_values_stay_exact() -> None:
    assert parse_cell("company_id", "999999999999999.0").value == 999999999999999


@pytest.mark.parametrize(
    ("name", "text"),
    [("company_id", "0"), ("company_id", "-5"), ("limit_by", "2401"), ("offset_by", "-1")],
)
def test_integers_outside_documented_ranges(name: str, text: str) -> None:
    cell = parse_cell(name, text)
    assert cell.value is None
    assert cell.error is not None and "out of range" in cell.error and "from" in cell.error


# --- booleans ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["true", "TRUE", "True", "yes", "YES", "y", "Y", "1", "1.0", "x", "X", " yes "]
)
def test_boolean_true_words(text: str) -> None:
    assert parse_cell("changed_jobs", text) == Cell(True)


@pytest.mark.parametrize("text", ["false", "FALSE", "no", "No", "n", "N", "0", "0.0", " f "])
def test_boolean_false_words(text: str) -> None:
    assert parse_cell("posted_on_linkedin", text) == Cell(False)


@pytest.mark.parametrize("text", ["maybe", "2", "yes please", "tru"])
def test_boolean_bad_words_are_errors_with_the_fix(text: str) -> None:
    cell = parse_cell("mentioned_in_news", text)
    assert cell.value is None
    assert cell.error is not None and "TRUE or FALSE" in cell.error


# --- JSON cells ----------------------------------------------------------------------------


def test_personas_list_of_lists() -> None:
    text = '[["CTO", "Software Development"], ["CFO"]]'
    assert parse_cell("personas", text).value == [["CTO", "Software Development"], ["CFO"]]


@pytest.mark.parametrize("text", ['{"a": 1}', '["CTO"]', "[[1], 2]", "[[", "CTO"])
def test_personas_bad_json_or_shape_is_an_error(text: str) -> None:
    cell = parse_cell("personas", text)
    assert cell.value is None
    assert cell.error is not None and text[:2] in cell.error


def test_personas_empty_list_is_absent_not_sent_as_empty_list() -> None:
    assert parse_cell("personas", "[]") == Cell(None)
    assert parse_cell("personas", " [ ] ") == Cell(None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"min": 500, "max": 1000}', {"min": 500, "max": 1000}),
        ('{"min": 500}', {"min": 500}),
        ('{"max": 50}', {"max": 50}),
        ("500-1000", {"min": 500, "max": 1000}),
        (" 500 – 1000 ", {"min": 500, "max": 1000}),
        ("500 to 1000", {"min": 500, "max": 1000}),
        ("500+", {"min": 500}),
        ("500 +", {"min": 500}),
    ],
)
def test_num_of_connections_forms(text: str, expected: dict[str, int]) -> None:
    assert parse_cell("num_of_connections", text) == Cell(expected)


@pytest.mark.parametrize(
    "text",
    [
        "lots",
        "1000-500",
        '{"min": 1000, "max": 500}',
        "{}",
        '{"min": "500"}',
        '{"min": 1.5}',
        '{"min": true}',
        '{"low": 5}',
        "[500]",
    ],
)
def test_num_of_connections_bad_values_are_errors(text: str) -> None:
    cell = parse_cell("num_of_connections", text)
    assert cell.value is None
    assert cell.error is not None


# --- strings, company_link, emails --------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/company/acme/",
        "https://www.linkedin.com/company/acme",
        "http://linkedin.com/company/acme-inc",
        "www.linkedin.com/company/acme",
        "linkedin.com/company/acme/",
        "https://uk.linkedin.com/company/acme?trk=x",
        "HTTPS://WWW.LINKEDIN.COM/company/2135371",
    ],
)
def test_company_link_accepts_linkedin_company_urls(url: str) -> None:
    assert parse_cell("company_link", f"  {url} ") == Cell(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/in/jane-doe/",
        "https://acme.com",
        "https://notlinkedin.com/company/acme",
        "https://www.linkedin.com/company/",
        "https://evil.example/linkedin.com/company/acme",
        "Acme Corp",
    ],
)
def test_company_link_rejects_other_urls_with_an_example(url: str) -> None:
    cell = parse_cell("company_link", url)
    assert cell.value is None
    assert cell.error is not None
    assert "not a LinkedIn company URL" in cell.error
    assert "linkedin.com/company/" in cell.error


def test_plain_strings_are_cleaned() -> None:
    assert parse_cell("company_name", "  Acme\u00a0\u00a0Corp ") == Cell("Acme Corp")


def test_find_by_emails() -> None:
    assert parse_cell("find_by_emails", "a@b.co; c@d.org\na@b.co").value == ("a@b.co", "c@d.org")
    cell = parse_cell("find_by_emails", "a@b.co;not-an-email")
    assert cell.value is None
    assert cell.error is not None
    assert "'not-an-email' is not an email address" in cell.error
    assert "name@company.com" in cell.error


def test_find_by_emails_at_most_500() -> None:
    assert (
        len(parse_cell("find_by_emails", ";".join(f"u{i}@x.io" for i in range(500))).value) == 500
    )
    cell = parse_cell("find_by_emails", ";".join(f"u{i}@x.io" for i in range(501)))
    assert cell.value is None and cell.error is not None and "500" in cell.error


# --- mapping-file constants ----------------------------------------------------------------


def test_constant_cell_parses_like_a_cell() -> None:
    assert constant_cell("job_titles", ["CEO", "CFO; COO"], ";").value == ("CEO", "CFO; COO")
    assert constant_cell("job_titles", "CEO;CFO", ";").value == ("CEO", "CFO")
    assert constant_cell("years_of_experience", [1, 2], ";").value == (1, 2)
    assert constant_cell("changed_jobs", True, ";").value is True
    assert constant_cell("changed_jobs", False, ";").value is False
    assert constant_cell("company_id", 2135371, ";").value == 2135371
    assert constant_cell("num_of_connections", {"min": 500}, ";").value == {"min": 500}
    assert constant_cell("personas", [["CTO"]], ";").value == [["CTO"]]
    assert constant_cell("years_of_experience", [9], ";").error is not None


def test_constant_list_items_are_never_split_on_the_separator() -> None:
    industry = "Transportation, Logistics, Supply Chain and Storage"
    assert constant_cell("company_industries", [industry], ",").value == (industry,)
    cell = constant_cell("schools", ["x"], ",")
    assert cell.error is not None and "\n" not in cell.error
