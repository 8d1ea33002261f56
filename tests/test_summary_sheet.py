"""A Summary a manager can read: honest totals (a duplicate counted once), PARTIAL with what
is left and the command that finishes it, constants, a chart labelled by the label column,
numbers as formatted numbers; Results keeps its header on row 1 and wraps its messages."""

from __future__ import annotations

import shlex
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from batchcount.api.options import RunOptions
from batchcount.api.resume import resume_command
from batchcount.cli import main
from batchcount.output.summary import LEADS_LABEL
from batchcount.plan.prepare import InputOptions

MakeFile = Callable[..., Path]  # the make_csv / make_xlsx fixtures (conftest.py)
ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["Segment", "Job Titles", "Seniorities", "Locations"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    _, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, err


def summary_cells(path: Path) -> dict[str, Any]:
    ws = openpyxl.load_workbook(path)["Summary"]
    return {r[0].value: r[1] for r in ws.iter_rows(max_col=2) if r[0].value}


def results(path: Path) -> list[dict[str, Any]]:
    rows = list(openpyxl.load_workbook(path)["Results"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_leads_total_counts_a_duplicate_row_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = tmp_path / "segments.xlsx"
    sample.write_bytes((ROOT / "samples" / "segments.xlsx").read_bytes())
    out = tmp_path / "out.xlsx"
    code, err = run(capsys, "run", str(sample), "--sandbox", "-y", "-o", str(out))
    assert code == 0, err
    rows = results(out)
    duplicates = [r for r in rows if r["source"] == "duplicate"]
    assert len(duplicates) == 1
    distinct = sum(r["results_count"] for r in rows if r["source"] != "duplicate")
    everything = sum(r["results_count"] for r in rows)
    assert distinct < everything
    total = summary_cells(out)[LEADS_LABEL]
    assert total.value == distinct and total.number_format == "#,##0"
    assert f"Leads (each distinct segment once): {distinct:,}" in err
    assert "not a count of unique people" in summary_cells(out)["About the total"].value


def test_partial_run_says_so_at_the_top_and_the_command_finishes_it(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = [HEADERS] + [[f"Seg {i}", f"Title {i}", "vp", "Germany"] for i in range(6)]
    src = make_xlsx(rows)
    out = tmp_path / "out.xlsx"
    args = ["run", str(src), "--sandbox", "-y", "-o", str(out), "--concurrency", "1"]
    code, _ = run(capsys, *args, "--max-cost", "0.08")
    assert code == 3
    wb = openpyxl.load_workbook(out)
    ws = wb["Summary"]
    assert wb.active.title == "Summary"  # a stopped run opens on the warning
    assert ws["A1"].value == "PARTIAL" and "stopped early" in ws["B1"].value
    assert "budget reached" in ws["B1"].value
    values = summary_cells(out)
    assert values["Rows left (not counted yet)"].value == 4
    assert values["Requests left to send"].value == 4
    assert values["Estimated cost to finish"].value == pytest.approx(0.16)
    assert "$" in values["Estimated cost to finish"].number_format
    command = values["Finish with"].value
    assert command.startswith("batchcount run ") and "--max-cost" not in command
    assert f"-o {out}" in command and "--sandbox" in command
    # Results keeps its header on row 1, so filters and other tools still work
    assert wb["Results"]["A1"].value == "Segment"
    assert wb["Results"].auto_filter.ref.startswith("A1:")
    # the command finishes the run: only what was left is sent
    argv = shlex.split(command)
    assert argv[:2] == ["batchcount", "run"]
    code, err = run(capsys, *argv[1:], "-y")
    assert code == 0, err
    assert "2 reuse counts from" in err and "4 new ($0.16)" in err
    done = openpyxl.load_workbook(out)
    assert "PARTIAL" not in [c.value for c in done["Summary"]["A"]]
    assert done.active.title == "Results"
    assert summary_cells(out)["Requests sent in this run"].value == 4
    assert all(r["status"] == "ok" for r in results(out))


def test_resume_command_never_carries_the_key() -> None:
    inputs = InputOptions(
        Path("my segments.xlsx"),
        sheet="Plan",
        maps=("Geo=locations",),
        explode=("Locations", "Seniorities"),
    )
    options = RunOptions(
        inputs,
        api_key="secret_key_123",
        base_url="https://user:pw@example.test/api/v1?token=x",
        max_cost=5.0,
    )
    command = resume_command(options, Path("out.xlsx"))
    assert "secret_key_123" not in command and "pw" not in command and "token" not in command
    assert shlex.split(command) == [
        "batchcount",
        "run",
        "my segments.xlsx",
        "-o",
        "out.xlsx",
        "--sheet",
        "Plan",
        "--map",
        "Geo=locations",
        "--explode",
        "Locations",
        "--explode",
        "Seniorities",
        "--base-url",
        "https://example.test/api/v1",
    ]


def test_constants_numbers_formats_and_chart_labels(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "#,Job Titles,Segment,Seniorities\n"
        "1,CTO,DACH tech leaders,c_suite\n"
        "2,CFO,,c_suite\n"
        "3,CEO,DACH founders,founder\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[constants]\nlocations = ["Germany", "Austria"]\ncompany_headcounts = ["51-200"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.xlsx"
    code, err = run(
        capsys, "run", str(src), "--mapping", str(mapping), "--sandbox", "-y", "-o", str(out)
    )
    assert code == 0, err
    ws = openpyxl.load_workbook(out)["Summary"]
    sent = [r[1].value for r in ws.iter_rows(max_col=2) if r[0].value == "Sent with every row"]
    assert sent == [
        "locations: Germany; Austria (mapping file constant)",
        "company_headcounts: 51-200 (mapping file constant)",
    ]
    values = summary_cells(out)
    for label in ("Rows ok", "Rows total", LEADS_LABEL, "Requests sent in this run"):
        assert isinstance(values[label].value, int) and values[label].number_format == "#,##0"
    for label in ("Money spent (sum of receipts)", "Spent in this run", "Price per request"):
        assert isinstance(values[label].value, float | int)
        assert values[label].number_format.startswith("$#,##0.00")
    # The chart is labelled by the label column ("Segment": the "#" column holds numbers),
    # and by the row's filter values when that cell is empty.
    top = next(c.row for c in ws["A"] if c.value == "Segment") + 1
    labels = [ws.cell(top + i, 1).value for i in range(3)]
    assert labels == ["row 2: DACH tech leaders", "row 3: CFO; c_suite", "row 4: DACH founders"]
    with zipfile.ZipFile(out) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert f"<strRef><f>'Summary'!$A${top}:$A${top + 2}</f>" in chart
    # widths fit the labels, long values wrap
    assert ws.column_dimensions["A"].width >= len(LEADS_LABEL)
    assert values["About the total"].alignment.wrap_text


def test_results_message_column_wraps(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = make_xlsx([HEADERS, ["a", "CTO", "vp", "Germany"], ["b", "CTO", "VP", "germany"]])
    out = tmp_path / "out.xlsx"
    assert run(capsys, "run", str(src), "--sandbox", "-y", "-o", str(out))[0] == 0
    ws = openpyxl.load_workbook(out)["Results"]
    head = [c.value for c in ws[1]]
    message = head.index("message") + 1
    assert ws.cell(3, message).alignment.wrap_text
    assert "same segment as row 2" in ws.cell(3, message).value
    assert 8 <= ws.column_dimensions[openpyxl.utils.get_column_letter(message)].width <= 60
