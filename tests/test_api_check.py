"""batchcount.check and batchcount.read from plain Python, and the package's public face."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from click.testing import CliRunner

import batchcount
from batchcount.cli import cli

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def test_check_report_matches_the_command_line(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "Segment,Job Titles,Company Industries,Company Headcounts\n"
        "a,CTO,Fintech,51-200\n"
        "b,CFO,software development,50-200\n"
        ",,,\n"
        "d,cto,Fintech,51-200\n"
        "e,VP Sales,Banking,11-50\n",
        encoding="utf-8",
    )
    report = batchcount.check(src)
    printed = CliRunner().invoke(cli, ["check", str(src)])
    assert printed.exit_code == 1
    assert printed.output == str(report) + "\n"  # the CLI prints exactly the report's lines
    assert not report.ok
    assert (report.valid_rows, report.invalid_rows, report.blank_rows) == ([6], [2, 3, 5], [4])
    est = report.estimate
    assert (est.rows, est.valid, est.invalid, est.billable, est.cost) == (5, 1, 3, 1, 0.04)
    assert report.columns == {
        "Job Titles": "job_titles",
        "Company Industries": "company_industries",
        "Company Headcounts": "company_headcounts",
    }
    problems = report.problems
    assert problems.columns == ["row", "column", "value", "severity", "message"]
    assert problems.schema["row"] == pl.Int64
    first = problems.row(0, named=True)
    assert first["row"] == 2 and first["column"] == "Company Industries"
    assert first["value"] == "Fintech" and first["severity"] == "error"
    assert first["message"].startswith("row 2, Company Industries: 'Fintech' is not")
    rows = problems.filter(pl.col("row") == 3).sort("severity")
    assert rows["severity"].to_list() == ["error", "note"]  # bad bucket; industry recased
    assert rows["value"].to_list() == ["50-200", "software development"]
    assert report.results["status"].to_list() == ["invalid"] * 2 + ["skipped", "invalid", "skipped"]
    assert "CheckReport 5 rows: 1 valid, 3 invalid, 1 blank" in repr(report)


def test_check_report_file_is_the_clis(tmp_path: Path) -> None:
    report = batchcount.check(SAMPLES / "segments.xlsx")
    assert report.ok and report.estimate.duplicates == 1 and report.estimate.billable == 13
    assert report.problems.height == 0 and report.problems.columns[0] == "row"
    written = report.write(tmp_path / "report.xlsx")
    via_cli = CliRunner().invoke(
        cli, ["check", str(SAMPLES / "segments.xlsx"), "--report", str(tmp_path / "cli.xlsx")]
    )
    assert via_cli.exit_code == 0
    from openpyxl import load_workbook

    def results(path: Path) -> list[tuple[object, ...]]:
        return list(load_workbook(path, read_only=True)["Results"].iter_rows(values_only=True))

    assert results(written) == results(tmp_path / "cli.xlsx")


def test_check_with_options_as_keywords() -> None:
    records = [{"Persona": "CTO", "Where": "Germany", "Co": "Acme"}]
    report = batchcount.check(
        records, columns={"Persona": "job_titles", "Where": "locations", "Co": None}, price=0.1
    )
    assert report.columns == {"Persona": "job_titles", "Where": "locations"}
    assert report.estimate.price == 0.1 and report.estimate.price_source == "--price"
    free = batchcount.check(records, columns=["Persona=job_titles"], mode="database")
    assert free.mode == "database" and free.estimate.cost == 0


def test_read_gives_the_text_every_stage_works_from(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"Job Titles": ["CTO", None], "Size": [3, 4], "Score": [1.5, 2.0], "status": ["x", "y"]}
    )
    got = batchcount.read(frame)
    assert got.columns == ["source_row", "Job Titles", "Size", "Score", "status"]
    assert got.rows() == [(2, "CTO", "3", "1.5", "x"), (3, "", "4", "2", "y")]
    pandas = batchcount.read(pd.DataFrame({"Job Titles": ["CTO"], "Size": [3.0]}))
    assert pandas.rows() == [(2, "CTO", "3")]
    src = tmp_path / "t.csv"
    src.write_text("Territory plan\n\nJob Titles,Notes\nCTO,\n\nCEO,x\n", encoding="utf-8")
    from_file = batchcount.read(src)  # the header is found below the title, as check does
    assert from_file.rows() == [(4, "CTO", ""), (5, "", ""), (6, "CEO", "x")]
    sheet = batchcount.read(SAMPLES / "segments.xlsx", sheet=1)
    assert sheet.height == 14 and sheet["source_row"][0] == 2


def test_import_is_lazy_and_the_public_names_resolve() -> None:
    probe = (
        "import sys, batchcount; "
        "print(sorted(m for m in ('polars', 'httpx', 'openpyxl', 'tqdm', 'batchcount.api')"
        " if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
    for name in batchcount.__all__:
        assert getattr(batchcount, name) is not None, name
    assert callable(batchcount.count) and callable(batchcount.check)
    assert issubclass(batchcount.NotConfirmed, batchcount.StopRun)
    assert issubclass(batchcount.ConfirmationRequired, batchcount.UsageError)
    assert (Path(batchcount.__file__).parent / "py.typed").exists()


def test_read_is_both_the_function_and_the_reading_layer() -> None:
    import batchcount.read.sheet as sheet_module
    from batchcount.read.sheet import read_sheet

    assert batchcount.read.sheet is sheet_module  # attribute paths still reach the layer
    assert batchcount.read.sheet.read_sheet is read_sheet
    assert callable(batchcount.read)
    import inspect

    assert "columns" in inspect.signature(batchcount.read).parameters


def test_monkeypatching_through_the_reading_layer_still_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("batchcount.read.frame.describe", lambda data: "patched table")
    import batchcount.read.frame as frame

    assert frame.describe([{}]) == "patched table"
