"""Workbooks the way analysts send them (issue 10, the plan side): decorated headers, filled-down
reports, totals and footnotes, countries typed with commas, hidden rows, invisible characters.

The files come from tests/data/make_report_layouts.py (built into tmp_path); `check` output
must name the row, the column and the fix, and nothing wrong may be sent.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from batchcount.cli import cli, main
from batchcount.output.report import problem_lines
from batchcount.plan import prepare as prepare_module
from batchcount.plan.prepare import InputOptions, Prepared, prepare
from batchcount.read.sheet import Sheet


def _layouts() -> ModuleType:
    path = Path(__file__).parent / "data" / "make_report_layouts.py"
    spec = importlib.util.spec_from_file_location("make_report_layouts", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LAYOUTS = _layouts()


def check(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", *args])


def check_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The console script (usage errors become exit 2): exit code, stdout + stderr."""
    with pytest.raises(SystemExit) as exc:
        main(["check", *args])
    out, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, out + err


def bodies(prepared: Prepared) -> dict[int, Any]:
    return {r.check.row_number: r.check.body for r in prepared.plan.rows}


def statuses(prepared: Prepared) -> dict[int, str]:
    return {r.check.row_number: r.check.status for r in prepared.plan.rows}


# --- item 2: decorated headers ------------------------------------------------------------


def test_decorated_headers_are_mapped(tmp_path: Path) -> None:
    result = check(str(LAYOUTS.decorated_headers(tmp_path)))
    assert result.exit_code == 0, result.output
    for line in (
        "Job Titles -> job_titles",  # the line break inside the header reads as a space
        "Seniority* -> seniorities",
        "Industry (LinkedIn) -> company_industries",
        "Locations – countries -> locations",
        "Company size (employees) -> company_headcounts",
    ):
        assert line in result.output


def test_a_decoration_that_changes_the_meaning_gets_the_exact_map(tmp_path: Path) -> None:
    path = LAYOUTS.decorated_headers(tmp_path)
    result = check(str(path))
    assert "Location (HQ)" in result.output.split("Not sent (kept in the output):")[1]
    assert '--map "Location (HQ)=company_locations"' in result.output
    # the hint's own option works as written
    mapped = check(str(path), "--map", "Location (HQ)=company_locations")
    assert "Location (HQ) -> company_locations (--map)" in mapped.output
    body = bodies(prepare(InputOptions(path, maps=("Location (HQ)=company_locations",))))[2]
    assert body is not None and body["company_locations"] == ["France"]


def test_did_you_mean_never_suggests_a_field_the_values_cannot_fill(tmp_path: Path) -> None:
    out = check(str(LAYOUTS.decorated_headers(tmp_path))).output
    assert "personas" not in out  # 'Persona' holds text; personas takes JSON
    assert '--map "Persona=job_titles"' in out


def test_control_characters_are_shown_escaped(tmp_path: Path) -> None:
    src = tmp_path / "controls.csv"
    src.write_text(
        "Job Titles,Company Type,Notes\x1b[31m\nCTO,Start\x07up,x\nCFO,Priv\x07ate,y\n",
        encoding="utf-8",
    )
    result = check(str(src))
    assert result.exit_code == 1
    assert "Notes\\x1b[31m" in result.output and "\x1b" not in result.output
    assert "row 2, Company Type: 'Start\\x07up' is not a company type" in result.output
    assert "row 3, Company Type: 'Priv\\x07ate' → 'Privately Held'" in result.output
    assert "\x07" not in result.output


# --- item 4: fill-down layouts ------------------------------------------------------------


def test_a_filled_down_column_is_warned_with_rows_and_option(tmp_path: Path) -> None:
    result = check(str(LAYOUTS.filled_down(tmp_path)))
    out = result.output
    assert "column 'Industry' looks filled down" in out
    assert "rows 3, 4, 6, 8 are empty there" in out
    assert '--fill-down "Industry"' in out
    assert (
        "row 3, Industry: empty below 'Software Development' (row 2) in a column that looks "
        "filled down"
    ) in out


def test_fill_down_copies_the_value_above(tmp_path: Path) -> None:
    path = LAYOUTS.filled_down(tmp_path)
    prepared = prepare(InputOptions(path, fill_down=("Industry",)))
    industries = {n: (b or {}).get("company_industries") for n, b in bodies(prepared).items()}
    assert industries == {
        2: ["Software Development"], 3: ["Software Development"], 4: ["Software Development"],
        5: ["Banking"], 6: ["Banking"], 7: ["Retail"], 8: ["Retail"],
    }  # fmt: skip
    notes = list(prepared.plan.messages("notes"))
    assert notes[0] == (
        "row 3, Industry: empty; 'Software Development' from row 2 used (--fill-down \"Industry\")"
    )
    assert prepared.plan.hints == []  # nothing left to warn about
    assert prepared.sheet.rows[1][0] == ""  # the original cell is kept for the output


def test_fill_down_by_column_letter_and_its_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = LAYOUTS.filled_down(tmp_path)
    assert check(str(path), "--fill-down", "A").exit_code == 0
    code, out = check_main(capsys, str(path), "--fill-down", "Industy")
    assert code == 2
    assert "--fill-down \"Industy\": the sheet has no column 'Industy'" in out
    code, out = check_main(capsys, str(path), "--fill-down", "Industry", "--map", "Industry=")
    assert code == 2 and "is not sent" in out


def test_a_sparse_optional_column_is_not_taken_for_a_fill_down(tmp_path: Path) -> None:
    result = check(str(LAYOUTS.sparse_optional(tmp_path)))
    assert result.exit_code == 0
    assert "filled down" not in result.output


# --- item 5: totals and footnotes ---------------------------------------------------------


def test_totals_and_footnotes_are_skipped_never_paid(tmp_path: Path) -> None:
    path = LAYOUTS.totals_and_footnotes(tmp_path)
    prepared = prepare(InputOptions(path))
    got = statuses(prepared)
    assert got[2] == got[3] == got[5] == "valid"  # 'Total Rewards Manager' is a segment
    assert [got[n] for n in (4, 6, 7)] == ["skipped"] * 3  # Subtotal, Total EMEA, Grand total
    assert got[8] == "blank"
    assert [got[n] for n in (9, 10, 11)] == ["skipped"] * 3  # source, '*' note, a sentence
    assert got[12] == "invalid"  # a half-filled segment is still reported, not hidden
    assert all(b is None for n, b in bodies(prepared).items() if got[n] == "skipped")
    assert len(prepared.plan.requests) == 3
    result = check(str(path))
    assert "11 rows: 3 valid, 1 invalid, 1 blank, 6 skipped" in result.output
    assert "3 total rows skipped (rows 4, 6-7): a total is not a segment" in result.output
    assert "3 footnote rows skipped (rows 9-11)" in result.output


def test_group_total_rows_from_subtotals_and_pivots_are_skipped(tmp_path: Path) -> None:
    path = LAYOUTS.group_totals(tmp_path)
    prepared = prepare(InputOptions(path))
    got = statuses(prepared)
    assert [got[n] for n in (4, 6, 8, 10, 13)] == ["skipped"] * 5
    assert [got[n] for n in (2, 3, 5, 7, 9, 11, 12)] == ["valid"] * 7
    assert all(b is None for n, b in bodies(prepared).items() if got[n] == "skipped")
    result = check(str(path))
    assert "5 total rows skipped (rows 4, 6, 8, 10, 13)" in result.output
    report = tmp_path / "report.xlsx"
    check(str(path), "--report", str(report))
    sheet = openpyxl.load_workbook(report, read_only=True)["Results"]
    messages = [" ".join(str(c) for c in row if c) for row in sheet.iter_rows(values_only=True)]
    assert any(
        "row 4 is a group total ('Germany Total', as Excel's Subtotal" in m for m in messages
    )
    assert any("row 8 is a group total ('EMEA Total'" in m for m in messages)


def test_group_totals_in_exploded_rows_are_skipped(tmp_path: Path) -> None:
    path = LAYOUTS.group_totals(tmp_path)
    prepared = prepare(InputOptions(path, explode=("Locations",)))
    skipped = {r.check.row_number for r in prepared.plan.rows if r.check.status == "skipped"}
    assert skipped == {4, 6, 8, 10, 13}


def test_skipped_rows_say_why_in_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    result = check(str(LAYOUTS.totals_and_footnotes(tmp_path)), "--report", str(out))
    assert result.exit_code == 1, result.output
    rows = list(openpyxl.load_workbook(out)["Results"].iter_rows(values_only=True))
    header = list(rows[0])
    by_row = {i + 1: dict(zip(header, r, strict=True)) for i, r in enumerate(rows)}
    assert by_row[7]["status"] == "skipped"
    assert by_row[7]["message"] == (
        "row 7 is a total row ('Grand total'), not a segment: skipped, not counted"
    )
    assert "footnote" in str(by_row[10]["message"]) and by_row[10]["request"] in (None, "")


# --- item 7: lists written with commas ----------------------------------------------------


def test_countries_typed_with_commas_are_refused_with_the_column_option(tmp_path: Path) -> None:
    path = LAYOUTS.comma_countries(tmp_path)
    result = check(str(path))
    assert result.exit_code == 1
    assert (
        "row 2, Locations: 'Sweden, Norway, Denmark' is 3 countries in one value" in result.output
    )
    assert '--separator "Locations=,"' in result.output
    assert '--separator "Job Titles=,"' in result.output  # titles: advice for that column
    assert "--separator ','" not in result.output  # never a global comma
    got = bodies(prepare(InputOptions(path)))
    assert got[3] == {
        "job_titles": ["CTO"],
        "locations": ["San Francisco, California, United States"],
    }
    assert got[4] is not None and got[4]["locations"] == ["Puerto Rico, United States"]
    assert got[5] is not None and got[5]["locations"] == ["Georgia, United States"]


def test_a_per_column_separator_splits_that_column_only(tmp_path: Path) -> None:
    path = LAYOUTS.comma_countries(tmp_path)
    prepared = prepare(InputOptions(path, column_separators=("Locations=,",)))
    got = bodies(prepared)
    assert got[2] == {"job_titles": ["CTO"], "locations": ["Sweden", "Norway", "Denmark"]}
    assert got[6] is not None and got[6]["job_titles"] == ["CTO, CIO, VP Engineering"]
    result = check(str(path), "--separator", "Locations=,", "--separator", ";")
    assert "row 2" not in result.output.split("Problems")[-1]


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("Geo=,", "the sheet has no column 'Geo'"),
        ("Locations=", "nothing after '='"),
    ],
)
def test_per_column_separator_mistakes_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, expected: str
) -> None:
    code, out = check_main(capsys, str(LAYOUTS.comma_countries(tmp_path)), "--separator", option)
    assert code == 2
    assert expected in out
    assert "Traceback" not in out


def test_allow_unknown_values_sends_a_country_list_with_a_warning(tmp_path: Path) -> None:
    prepared = prepare(InputOptions(LAYOUTS.comma_countries(tmp_path), allow_unknown=True))
    assert statuses(prepared)[2] == "valid"
    assert any("3 countries in one value" in w for w in prepared.plan.messages("warnings"))


# --- item 10: hidden rows (the reader marks them; here a stub reads Excel's flags) ---------


@pytest.fixture
def hidden_from_excel(monkeypatch: pytest.MonkeyPatch) -> None:
    real = prepare_module.read_sheet

    def read_marking_hidden(path: Path, **kwargs: Any) -> Sheet:
        sheet = real(path, **kwargs)
        ws = openpyxl.load_workbook(path).active
        hidden = frozenset(n for n, d in ws.row_dimensions.items() if d.hidden)
        return replace(sheet, hidden_rows=hidden)

    monkeypatch.setattr(prepare_module, "read_sheet", read_marking_hidden)


@pytest.mark.usefixtures("hidden_from_excel")
def test_hidden_rows_are_skipped_and_counted_in_check(tmp_path: Path) -> None:
    path = LAYOUTS.hidden_rows(tmp_path)
    prepared = prepare(InputOptions(path))
    assert statuses(prepared) == {
        2: "valid", 3: "skipped", 4: "valid", 5: "skipped", 6: "blank", 7: "valid"
    }  # fmt: skip
    line = (
        "2 hidden rows skipped (rows 3, 5: hidden or filtered out in Excel); "
        "--include-hidden counts them"
    )
    assert f"  {line}" in problem_lines(prepared)  # printed by check and before the prompt
    result = check(str(path))
    assert result.exit_code == 0
    assert line in result.output
    assert "6 rows: 3 valid, 0 invalid, 1 blank, 2 skipped" in result.output


@pytest.mark.usefixtures("hidden_from_excel")
def test_include_hidden_counts_them(tmp_path: Path) -> None:
    path = LAYOUTS.hidden_rows(tmp_path)
    prepared = prepare(InputOptions(path, include_hidden=True))
    assert statuses(prepared)[3] == statuses(prepared)[5] == "valid"
    result = check(str(path), "--include-hidden")
    assert "5 valid" in result.output and "skipped" not in result.output.split("Columns")[1]


@pytest.mark.usefixtures("hidden_from_excel")
def test_hidden_rows_are_skipped_in_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    check(str(LAYOUTS.hidden_rows(tmp_path)), "--report", str(out))
    rows = list(openpyxl.load_workbook(out)["Results"].iter_rows(values_only=True))
    header = list(rows[0])
    row3 = dict(zip(header, rows[2], strict=True))
    assert row3["status"] == "skipped"
    assert "hidden or filtered out in Excel" in str(row3["message"])
    assert not row3["request"]
    assert json.loads(str(dict(zip(header, rows[1], strict=True))["request"])) == {
        "job_titles": ["CTO"],
        "locations": ["Germany"],
    }


def test_every_total_label_passes_the_first_letter_filter() -> None:
    from batchcount.plan import skips

    for label in skips._TOTAL_LABELS:
        assert skips.is_total_label(label.title()) and skips.is_total_label(f"  {label}: ")


def test_a_total_label_in_the_first_column_skips_the_row_even_with_filters(
    make_xlsx: Any,
) -> None:
    path = make_xlsx(
        [
            ["Segment", "Job Titles", "Locations"],
            ["DACH", "CTO", "Germany"],
            ["Total", "CTO", "Germany; Austria"],  # a sum row that repeats the filters
            ["Total Rewards", "Total Rewards Manager", "France"],  # a segment
        ]
    )
    got = statuses(prepare(InputOptions(path)))
    assert got == {2: "valid", 3: "skipped", 4: "valid"}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("# of Employees", "company_headcounts"),
        ("Country/Region", "locations"),
        ("Job Title(s)", "job_titles"),
        ("Seniority (optional)", "seniorities"),
        ("Industry – LinkedIn", "company_industries"),
    ],
)
def test_more_decorations(header: str, field: str) -> None:
    from batchcount.plan.aliases import guess_field

    assert guess_field(header) == field


@pytest.mark.parametrize(
    ("value", "listed"),
    [
        ("Sweden, Norway and Denmark", True),
        ("USA, Canada, Mexico", True),
        ("Hong Kong, Singapore", True),
        ("Trinidad and Tobago", False),
        ("Bosnia and Herzegovina, Croatia", True),
        ("Greenland, Denmark", False),
        ("Paris, France", False),
        ("Washington, DC, United States", False),
        ("Korea, Republic of", False),
    ],
)
def test_country_lists_and_one_places(value: str, listed: bool) -> None:
    from batchcount.plan.commas import listed_countries

    assert (listed_countries(value) is not None) == listed


def test_an_optional_column_right_of_the_filled_ones_is_not_a_fill_down(make_xlsx: Any) -> None:
    path = make_xlsx(
        [
            ["Job Titles", "Locations", "Keywords"],
            ["CTO", "Germany", "kubernetes"],
            ["CFO", "France", ""],
            ["CIO", "Spain", "erp"],
            ["CMO", "Italy", ""],
            ["COO", "Austria", "lean"],
            ["CEO", "Poland", ""],
        ]
    )
    prepared = prepare(InputOptions(path))
    assert prepared.plan.hints == [] and prepared.plan.message_count("warnings") == 0


def test_a_row_of_numbers_without_filters_is_an_unlabelled_total(make_xlsx: Any) -> None:
    path = make_xlsx(
        [
            ["Job Titles", "Locations", "Leads"],
            ["CTO", "Germany", 120],
            ["CFO", "France", 80],
            ["", "", 200],
            ["2135371", "", ""],
        ]
    )
    prepared = prepare(InputOptions(path, maps=("Job Titles=company_id",)))
    got = statuses(prepared)
    assert got[4] == "skipped" and "only numbers" in prepared.plan.row(2).check.notes[0]
    assert got[5] == "valid"  # a number in a sent column is a filter, not a total


def test_a_header_that_says_comma_separated_is_split_on_commas(make_xlsx: Any) -> None:
    path = make_xlsx(
        [
            ["Job Titles", "Industries (comma-separated)"],
            ["CTO", "Banking, Insurance"],
        ]
    )
    prepared = prepare(InputOptions(path))
    assert bodies(prepared)[2] == {
        "job_titles": ["CTO"],
        "company_industries": ["Banking", "Insurance"],
    }
    assert any("split on ','" in n for n in prepared.notes)
    # a separator given for every column wins over what the header says
    forced = prepare(InputOptions(path, separator=";"))
    assert statuses(forced)[2] == "invalid"
