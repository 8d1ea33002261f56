"""--explode on report-style sheets: hidden rows, totals and footnotes are skipped and
--fill-down applied before the rows explode; an exploded column is split on its own
--separator "COLUMN=TEXT". The plan keeps the interface of the columnar one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner

from batchcount.cli import cli
from batchcount.plan.prepare import InputOptions, Prepared, prepare


def _write(path: Path, rows: list[list[Any]], hidden: tuple[int, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    for number in hidden:
        ws.row_dimensions[number].hidden = True
    wb.save(path)
    return path


def _by_row(prepared: Prepared) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for planned in prepared.plan.rows:
        out.setdefault(planned.check.row_number, []).append(planned.check.status)
    return out


def test_totals_and_footnotes_are_skipped_before_exploding(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "totals.xlsx",
        [
            ["Segment", "Job Titles", "Locations", "Leads"],
            ["DACH", "CTO", "Germany;Austria", 1200],
            ["Rewards", "Total Rewards Manager", "France", 300],
            ["Subtotal", "", "", 1500],
            ["Grand total", "CTO", "Germany", 1590],
            [],
            ["Source: Sales Navigator export, March 2024"],
        ],
    )
    prepared = prepare(InputOptions(path, explode=("Locations",)))
    assert _by_row(prepared) == {
        2: ["valid", "valid"],
        3: ["valid"],  # 'Total Rewards Manager' is a segment
        4: ["skipped"],
        5: ["skipped"],  # a total label in the first column, even with filters filled
        6: ["blank"],
        7: ["skipped"],
    }
    assert prepared.skips.totals == [4, 5] and prepared.skips.footnotes == [7]
    assert len(prepared.plan.requests) == 3
    skipped = [r for r in prepared.plan.rows if r.check.status == "skipped"]
    assert all(r.check.body is None and r.segment == () for r in skipped)
    result = CliRunner().invoke(cli, ["check", str(path), "--explode", "Locations"])
    assert result.exit_code == 0, result.output
    assert "2 total rows skipped (rows 4-5): a total is not a segment" in result.output
    assert "1 footnote row skipped (row 7)" in result.output
    assert "Exploded Locations: 2 rows → 3 segments" in result.output


def test_hidden_rows_are_skipped_before_exploding(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "hidden.xlsx",
        [
            ["Job Titles", "Locations"],
            ["CTO", "Germany;France"],
            ["CFO", "Spain;Italy;Austria"],
            ["CIO", "Sweden"],
        ],
        hidden=(3,),
    )
    prepared = prepare(InputOptions(path, explode=("Locations",)))
    assert _by_row(prepared) == {2: ["valid", "valid"], 3: ["skipped"], 4: ["valid"]}
    assert prepared.skips.hidden == [3]
    counted = prepare(InputOptions(path, explode=("Locations",), include_hidden=True))
    assert _by_row(counted)[3] == ["valid"] * 3
    result = CliRunner().invoke(cli, ["check", str(path), "--explode", "Locations"])
    assert "1 hidden row skipped (row 3: hidden or filtered out in Excel)" in result.output


def test_fill_down_happens_before_exploding(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "filled.xlsx",
        [
            ["Industry", "Job Titles", "Locations"],
            ["Software Development", "CTO", "Germany"],
            ["", "CFO", "France;Spain"],
            ["", "CIO", "Italy"],
            ["Banking", "CTO", "Germany"],
            ["", "CIO", "Italy;Austria"],
        ],
    )
    watched = prepare(InputOptions(path, explode=("Locations",)))
    assert any("column 'Industry' looks filled down" in h for h in watched.plan.hints)
    assert any("empty below 'Software Development'" in w for w in watched.plan.messages("warnings"))

    prepared = prepare(InputOptions(path, explode=("Locations",), fill_down=("Industry",)))
    industries = [
        (r.check.row_number, r.segment, (r.check.body or {}).get("company_industries"))
        for r in prepared.plan.rows
    ]
    assert industries == [
        (2, ("Germany",), ["Software Development"]),
        (3, ("France",), ["Software Development"]),
        (3, ("Spain",), ["Software Development"]),
        (4, ("Italy",), ["Software Development"]),
        (5, ("Germany",), ["Banking"]),
        (6, ("Italy",), ["Banking"]),
        (6, ("Austria",), ["Banking"]),
    ]
    notes = list(dict.fromkeys(prepared.plan.messages("notes")))
    assert notes[0].startswith("row 3, Industry: empty; 'Software Development' from row 2 used")
    assert prepared.plan.hints == []
    assert prepared.sheet.rows[1][0] == ""  # the input's cell is kept


def test_an_exploded_column_is_split_on_its_own_separator(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "commas.xlsx",
        [
            ["Job Titles", "Locations"],
            ["VP, Sales;CTO", "Germany, France"],
        ],
    )
    prepared = prepare(
        InputOptions(path, explode=("Locations", "Job Titles"), column_separators=("Locations=,",))
    )
    segments = [r.segment for r in prepared.plan.rows]
    assert segments == [
        ("Germany", "VP, Sales"),
        ("Germany", "CTO"),
        ("France", "VP, Sales"),
        ("France", "CTO"),
    ]
    plan = prepared.plan
    assert plan.exploded and plan.distinct == 4 and plan.duplicates == 0
    assert [fp for fp, _ in plan.request_items()] == list(plan.requests)
    assert sorted(plan.first_row.values()) == [2, 2, 2, 2]


def test_a_duplicate_segment_names_the_segment_that_is_sent(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "dupes.xlsx",
        [
            ["Job Titles", "Locations"],
            ["CTO", "Germany;France"],
            ["CTO", "France"],
        ],
    )
    plan = prepare(InputOptions(path, explode=("Locations",))).plan
    last = plan.rows[-1]
    assert last.segment == ("France",) and last.duplicate_of == 2
    assert last.duplicate_segment == ("France",)
    assert plan.rows[0].duplicate_segment == ()
    assert plan.duplicates == 1 and plan.distinct == 2
