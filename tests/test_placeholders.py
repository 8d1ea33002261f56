"""Cells that stand for "no value" ("N/A", "-", "TBD", "(blank)", "?") and Excel errors
exported to CSV as text ("#N/A", "#REF!") are refused with the fix, never sent as a filter
value: the API would search for a job title "N/A" and bill the request. Also what else quietly
changes the question: an id in Excel's scientific notation, values in a column with no
header."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import batchcount
from batchcount.cli import cli
from batchcount.plan.placeholders import placeholder_problem
from batchcount.plan.prepare import InputOptions, prepare


@pytest.mark.parametrize(
    "value",
    ["N/A", "n/a", "-", "--", "—", "?", "TBD", "none", "(blank)", "Unknown", "#N/A", "#REF!",
     "#div/0!", "...", "NULL"],
)  # fmt: skip
def test_placeholders_are_named(value: str) -> None:
    assert placeholder_problem(value) is not None


@pytest.mark.parametrize(
    "value", ["NA", "Nashville", "North America", "Total Rewards", "-Sales", "C#", "Q&A", "B2B"]
)
def test_real_values_are_not(value: str) -> None:
    assert placeholder_problem(value) is None


def _csv(folder: Path) -> Path:
    path = folder / "na.csv"
    path.write_text(
        "Job Titles,Locations\nCTO,N/A\n-,Germany\nCFO; n/a,France\nCIO,#N/A\nVP Sales,NA\n",
        encoding="utf-8",
    )
    return path


def test_rows_with_placeholders_are_invalid_and_say_the_fix(tmp_path: Path) -> None:
    prepared = prepare(InputOptions(_csv(tmp_path)))
    statuses = {r.check.row_number: r.check.status for r in prepared.plan.rows}
    assert statuses == {2: "invalid", 3: "invalid", 4: "invalid", 5: "invalid", 6: "valid"}
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "na.csv")])
    assert (
        "row 2, Locations: 'N/A' stands for no value, and would be searched for as written; "
        "clear the cell for no filter, or write the value to count"
    ) in result.output
    assert "row 3, Job Titles: '-' stands for no value" in result.output
    assert "row 4, Job Titles: 'n/a' stands for no value" in result.output
    assert "row 5, Locations: '#N/A' is an Excel error exported as text" in result.output


def test_a_dataframe_with_placeholders_sends_nothing_for_them() -> None:
    report = batchcount.check([{"Job Titles": "TBD", "Locations": "Germany"}])
    assert report.estimate.invalid == 1 and report.estimate.billable == 0


def test_an_id_in_excels_scientific_notation_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("Job Titles,Company ID\nCTO,2.13537E+06\nCFO,2135371\n", encoding="utf-8")
    rows = prepare(InputOptions(path)).plan.rows
    assert rows[0].check.errors == (
        "row 2, Company ID: '2.13537E+06' is Excel's scientific notation, which has lost the "
        "last digits of the number; format the column as Number with no decimals (or as Text) "
        "in Excel, then save or export again",
    )
    assert rows[1].check.body == {"job_titles": ["CFO"], "company_id": 2135371}


def test_a_column_without_a_header_that_holds_values_is_named(tmp_path: Path) -> None:
    path = tmp_path / "blank_header.csv"
    path.write_text("Job Titles,Locations,,Notes\nCTO,Germany,France,x\nCFO,Spain,,\n")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert (
        "Hint: column C has no header but holds 1 value (first in row 2); it is not sent: give "
        "the column a header (a field name such as 'Locations') to send it"
    ) in result.output
    assert "column D" not in result.output  # 'Notes' has a header: kept in the output, named
