"""The Matrix sheet, opened with openpyxl as a reader would: one block per input row, values
in input order, counts as formatted numbers with a colour scale, totals only along axes that
cannot overlap, markers (never 0) for what was not counted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from batchcount.cli import main
from batchcount.plan.overlap import disjoint_reason

MakeFile = Callable[..., Path]  # the make_csv / make_xlsx fixtures (conftest.py)
HEADERS = ["Segment", "Job Titles", "Seniorities", "Locations", "Company Headcounts"]
EXPLODE = ["--explode", "Locations", "--explode", "Seniorities"]


def run(capsys: pytest.CaptureFixture[str], src: Path, out: Path, *args: str) -> int:
    with pytest.raises(SystemExit) as exc:
        main(["run", str(src), "--sandbox", "-y", "-o", str(out), *args])
    capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code


def grid(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def block(ws: Any, title: str) -> list[list[Any]]:
    """The rows of the block titled `title`, up to the blank row that ends it."""
    rows = grid(ws)
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    out = []
    for r in rows[start + 1 :]:
        if all(v is None for v in r):
            break
        out.append([v for v in r])
    return out


def counts(path: Path) -> dict[tuple[int, str, str], int]:
    """(source_row, Locations, Seniorities) -> results_count, from Results."""
    ws = openpyxl.load_workbook(path)["Results"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    at = {name: head.index(name) for name in ("source_row", "Locations", "Seniorities")}
    n = head.index("results_count")
    return {
        (r[at["source_row"]], r[at["Locations"]], r[at["Seniorities"]]): r[n]
        for r in rows[1:]
        if r[n] is not None
    }


def test_blocks_per_row_with_counts_formats_scale_and_safe_totals(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx(
        [
            HEADERS,
            ["EMEA sales", "Head of Sales", "VP;Director", "Germany;France;Spain", "51-200"],
            ["EMEA marketing", "CMO", "vp;director", "Germany;France;Spain", "201-500"],
        ]
    )
    out = tmp_path / "out.xlsx"
    assert run(capsys, src, out, *EXPLODE) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Results", "Summary", "Matrix"]
    ws = wb["Matrix"]
    found = counts(out)
    # Two rows with the same exploded values: still one block each, never summed together.
    titles = [r[0] for r in grid(ws) if isinstance(r[0], str) and r[0].startswith("Row ")]
    assert titles == ["Row 2: EMEA sales", "Row 3: EMEA marketing"]
    rows = block(ws, "Row 2: EMEA sales")
    head = rows[0]
    assert head[:3] == ["Locations ↓   Seniorities →", "VP", "Director"]
    assert head[3] == "Total\n(seniorities\ncannot overlap)"
    assert [r[0] for r in rows[1:4]] == ["Germany", "France", "Spain"]  # input order
    for r in rows[1:4]:
        assert r[1] == found[(2, r[0], "VP")] and r[2] == found[(2, r[0], "Director")]
        assert r[3] == r[1] + r[2]
    total = rows[4]
    assert total[0] == "Total (distinct countries cannot overlap)"
    assert total[1] == sum(r[1] for r in rows[1:4])
    assert total[3] == sum(r[1] + r[2] for r in rows[1:4])
    # numbers, with thousands separators
    top = next(c.row for c in ws["A"] if c.value == "Row 2: EMEA sales") + 2
    assert isinstance(ws.cell(top, 2).value, int)
    assert ws.cell(top, 2).number_format == "#,##0"
    assert ws.cell(top + 3, 4).number_format == "#,##0"
    # a colour scale per block, over the counts only (not the totals)
    scales = {str(cf.sqref): [r.type for r in cf.rules] for cf in ws.conditional_formatting}
    assert scales[f"B{top}:C{top + 2}"] == ["colorScale"]
    assert len(scales) == 2


def test_no_totals_along_axes_that_can_overlap(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx(
        [
            HEADERS,
            ["Cities", "CEO;Founder", "c_suite", "Germany;Berlin", "51-200"],
        ]
    )
    out = tmp_path / "out.xlsx"
    assert run(capsys, src, out, "--explode", "Locations", "--explode", "Job Titles") == 0
    rows = block(openpyxl.load_workbook(out)["Matrix"], "Row 2: Cities")
    assert rows[0][:3] == ["Locations ↓   Job Titles →", "CEO", "Founder"]
    assert len([v for v in rows[0] if v is not None]) == 3  # no total column (titles overlap)
    assert len(rows) == 3  # no total row (Berlin is in Germany)
    assert not any("Total" in str(v) for r in rows for v in r)


def test_one_exploded_column_is_one_column_of_counts(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([HEADERS, ["Sizes", "CFO", "", "", "1-10;11-50;51-200"], ["", "", "", "", ""]])
    out = tmp_path / "out.xlsx"
    assert run(capsys, src, out, "--explode", "Company Headcounts") == 0
    rows = block(openpyxl.load_workbook(out)["Matrix"], "Row 2: Sizes")
    assert rows[0][:2] == ["Company Headcounts", "Leads"]
    assert [r[0] for r in rows[1:4]] == ["1-10", "11-50", "51-200"]
    assert all(isinstance(r[1], int) for r in rows[1:4])
    assert rows[4][0] == "Total (headcount buckets cannot overlap)"
    assert rows[4][1] == sum(r[1] for r in rows[1:4])


def test_three_exploded_columns_give_a_block_per_third_value(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([HEADERS, ["Grid", "CTO", "vp;director", "Germany;France", "51-200;201-500"]])
    out = tmp_path / "out.xlsx"
    args = [*EXPLODE, "--explode", "Company Headcounts"]
    assert run(capsys, src, out, *args) == 0
    ws = openpyxl.load_workbook(out)["Matrix"]
    titles = [r[0] for r in grid(ws) if isinstance(r[0], str) and r[0].startswith("Row ")]
    assert titles == [
        "Row 2: Grid — Company Headcounts: 51-200",
        "Row 2: Grid — Company Headcounts: 201-500",
    ]
    first = block(ws, titles[0])
    second = block(ws, titles[1])
    assert first[1][1] != second[1][1]  # different segments, different counts


def test_invalid_and_not_counted_cells_show_markers_not_zero(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([HEADERS, ["Mixed", "CFO", "vp", "Germany;France;Spain", "51-200;50-200"]])
    out = tmp_path / "out.xlsx"
    code = run(
        capsys,
        src,
        out,
        "--explode",
        "Locations",
        "--explode",
        "Company Headcounts",
        "--max-cost",
        "0.08",
        "--concurrency",
        "1",
    )
    assert code == 3  # stopped by the budget after two requests
    rows = block(openpyxl.load_workbook(out)["Matrix"], "Row 2: Mixed")
    assert rows[0][:3] == ["Locations ↓   Company Headcounts →", "51-200", "50-200"]
    cells = [v for r in rows[1:4] for v in r[1:3]]
    assert cells.count("invalid") == 3  # '50-200' is not a bucket: never sent
    assert cells.count("not counted") == 1  # stopped before it
    assert sum(isinstance(v, int) for v in cells) == 2
    assert 0 not in cells


def test_without_a_label_column_blocks_are_named_by_their_filters(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([["Job Titles", "Locations", "Code"], ["Head of Sales", "Germany;France", "7"]])
    out = tmp_path / "out.xlsx"
    assert run(capsys, src, out, "--explode", "Locations") == 0
    ws = openpyxl.load_workbook(out)["Matrix"]
    assert "Row 2: Head of Sales" in [r[0] for r in grid(ws)]


def test_no_matrix_without_explode(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([HEADERS, ["a", "CEO", "vp", "Germany;France", ""]])
    out = tmp_path / "out.xlsx"
    assert run(capsys, src, out) == 0
    assert openpyxl.load_workbook(out).sheetnames == ["Results", "Summary"]


def test_check_report_matrix_says_what_would_be_sent(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([HEADERS, ["Plan", "CFO", "vp;Boss", "Germany", "51-200;50-200"]])
    report = tmp_path / "report.xlsx"
    with pytest.raises(SystemExit):
        main(
            [
                "check",
                str(src),
                "--explode",
                "Company Headcounts",
                "--explode",
                "Seniorities",
                "--report",
                str(report),
            ]
        )
    capsys.readouterr()
    ws = openpyxl.load_workbook(report)["Matrix"]
    rows = block(ws, "Row 2: Plan")
    assert rows[1][1:3] == ["valid", "valid"]
    assert rows[2][1:3] == ["invalid", "invalid"]
    assert not list(ws.conditional_formatting)  # nothing counted: nothing to colour


@pytest.mark.parametrize(
    ("field", "values", "disjoint"),
    [
        ("seniorities", ["vp", "director", "CXO"], True),
        ("seniorities", ["vp", "VPs"], False),  # both are 'vp'
        ("seniorities", ["vp", "Strategic"], False),  # unknown label: cannot vouch
        ("company_headcounts", ["1-10", "11-50"], True),
        ("company_headcounts", ["10001+", "10 000+"], False),  # one bucket, two spellings
        ("locations", ["Germany", "France", "UK"], True),
        ("locations", ["Germany", "Berlin"], False),
        ("locations", ["United Kingdom", "UK"], False),
        ("locations", ["Czechia", "Czech Republic"], False),
        ("company_locations", ["Spain", "Italy"], True),
        ("job_titles", ["CEO", "CTO"], False),
        ("company_industries", ["Banking", "Insurance"], False),
        ("seniorities", ["vp", ""], False),
    ],
)
def test_which_axes_cannot_overlap(field: str, values: list[str], disjoint: bool) -> None:
    assert (disjoint_reason(field, values) is not None) is disjoint


def test_the_readme_image_script_renders_a_matrix(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("PIL")  # docs extra only: pip install -e ".[docs]"
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "docs" / "render_matrix.py"
    spec = importlib.util.spec_from_file_location("render_matrix", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    src = make_xlsx([HEADERS, ["EMEA", "CFO", "vp;director", "Germany;France", "51-200"]])
    out = tmp_path / "out.xlsx"
    assert run(capsys, src, out, *EXPLODE) == 0
    png = tmp_path / "m.png"
    module.render(out, png)
    from PIL import Image

    with Image.open(png) as image:
        width, height = image.size
        # the colour scale is drawn: some cell is the scale's green
        colours = {image.getpixel((x, y)) for x in range(0, width, 7) for y in range(0, height, 5)}
    assert width > 300 and height > 100
    assert (99, 190, 123) in colours
