"""`batchcount check`: the command line over the whole input side (no billable call)."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from batchcount.cli import cli, main

MakeFile = Callable[..., Path]  # the make_csv / make_xlsx fixtures (conftest.py)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
RESULT_COLUMNS = [
    "source_row",
    "results_count",
    "status",
    "amount_charged",
    "counted_at",
    "source",
    "message",
    "request",
]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", *args])


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """batchcount.cli.main (the console script): exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as exc:
        main(["check", *args])
    out, err = capsys.readouterr()
    code = exc.value.code
    assert isinstance(code, int)
    return code, out, err


# --- the samples ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["segments.xlsx", "segments.csv"])
def test_clean_samples_exit_0_with_mapping_and_estimate(name: str) -> None:
    result = invoke(str(SAMPLES / name))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Read " in out and name in out
    assert "Columns sent:" in out
    for line in (
        "Job Titles -> job_titles",
        "Seniorities -> seniorities",
        "Locations -> locations",
        "Company Industries -> company_industries",
        "Company Headcounts -> company_headcounts",
        "Company Types -> company_types",
    ):
        assert line in out
    assert "Not sent (kept in the output): Segment, Notes" in out
    assert (
        "14 rows: 14 valid, 0 invalid, 0 blank; 1 duplicate row merged (13 distinct segments)"
        in out
    )
    assert "Billable requests: 13 x $0.04 (list price) = estimated cost $0.52" in out
    assert "Problems" not in out
    assert "Traceback" not in out


def test_price_and_database_mode_change_the_estimate() -> None:
    sample = str(SAMPLES / "segments.csv")
    priced = invoke(sample, "--price", "0.1")
    assert priced.exit_code == 0
    assert "13 x $0.10 (--price) = estimated cost $1.30" in priced.output
    free = invoke(sample, "--mode", "database")
    assert free.exit_code == 0
    assert "$0.00 (database counts are free)" in free.output


def test_messy_sample_exits_1_and_lists_the_problems() -> None:
    result = invoke(str(SAMPLES / "segments-messy.xlsx"))
    assert result.exit_code == 1, result.output
    out = result.output
    assert "Title -> job_titles" in out and "Geo -> locations" in out
    assert "did you mean functions?" in out  # the 'Job Functon' header
    assert "12 rows: 6 valid, 5 invalid, 1 blank" in out
    assert "Problems (rows not sent): 5" in out
    assert "row 2, Industry: 'Fintech' is not a LinkedIn industry" in out
    assert "did you mean '51-200'?" in out
    assert "row 8: Company Name ('Acme Corp') and Company ID (2135371) are both filled" in out
    assert "row 9: no filter is filled in" in out
    assert "row 10, Company Type: 'Startup' is not a company type" in out
    assert "Repaired:" in out
    assert "looks like Excel turned '1-10' into a date" in out
    assert "Billable requests: 5 x $0.04" in out
    assert "Traceback" not in out


def test_messy_sample_in_database_mode_flags_realtime_only_keywords() -> None:
    result = invoke(str(SAMPLES / "segments-messy.xlsx"), "--mode", "database")
    assert result.exit_code == 1
    assert "row 13, Keywords: 'machine learning; LLM': keywords needs realtime mode" in (
        result.output
    )


def test_allow_unknown_values_turns_industry_errors_into_warnings() -> None:
    result = invoke(str(SAMPLES / "segments-messy.xlsx"), "--allow-unknown-values")
    assert result.exit_code == 1  # other rows are still invalid
    assert "Warnings (sent anyway)" in result.output
    assert "'Fintech' is not a LinkedIn industry; sent anyway" in result.output


def test_check_sends_nothing_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GENERECT_API_KEY", raising=False)
    monkeypatch.setenv("GENERECT_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    assert invoke(str(SAMPLES / "segments.csv")).exit_code == 0


# --- --report ------------------------------------------------------------------------------


def test_report_writes_the_results_layout(tmp_path: Path) -> None:
    messy = tmp_path / "messy.xlsx"
    shutil.copy(SAMPLES / "segments-messy.xlsx", messy)
    before = messy.read_bytes()
    out = tmp_path / "out.xlsx"
    result = invoke(str(messy), "--report", str(out))
    assert result.exit_code == 1, result.output
    assert f"Wrote {out}" in result.output
    assert messy.read_bytes() == before  # the input is never modified

    source = list(openpyxl.load_workbook(messy).worksheets[0].iter_rows(values_only=True))
    book = openpyxl.load_workbook(out)
    assert "Results" in book.sheetnames
    rows = list(book["Results"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header == [*source[0], *RESULT_COLUMNS]
    assert len(rows) == len(source)
    by_row = {i + 1: dict(zip(header, r, strict=True)) for i, r in enumerate(rows)}
    assert by_row[2]["Segment"] == "Fintech CFOs"
    assert by_row[2]["status"] == "invalid"
    assert "Fintech" in str(by_row[2]["message"])
    assert by_row[7]["status"] == "skipped"  # the blank row keeps its place
    assert by_row[7]["message"] == "blank row"
    assert [by_row[n]["status"] for n in (6, 8, 9, 10)] == ["invalid"] * 4
    assert by_row[3]["status"] == "skipped"  # valid, but check sends nothing
    assert json.loads(str(by_row[3]["request"]))["company_headcounts"] == ["10 000+"]
    assert "same segment as row 3" in str(by_row[11]["message"])
    assert all(by_row[n]["results_count"] is None for n in by_row if n > 1)
    # formula-looking text from the input stays text
    assert by_row[12]["Title "] == '=HYPERLINK("http://example.com")'


# --- bad files and usage errors: exit 2, a message, never a traceback ---------------------


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.xlsx"
    binary.write_bytes(bytes(range(256)) * 8)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes((SAMPLES / "segments.xlsx").read_bytes()[:1500])
    notbook = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(notbook, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    return {
        "empty": (empty, "empty"),
        "binary": (binary, "binary"),
        "truncated": (truncated, "damaged"),
        "zip": (notbook, "not an Excel workbook"),
        "directory": (folder, "folder"),
        "missing": (tmp_path / "nope.xlsx", "does not exist"),
    }


@pytest.mark.parametrize("kind", ["empty", "binary", "truncated", "zip", "directory", "missing"])
def test_bad_files_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path, expected = _bad_files(tmp_path)[kind]
    code, out, err = run_main(capsys, str(path))
    assert code == 2
    assert err.startswith("error: ")
    assert path.name in err
    assert expected in err
    assert "Traceback" not in out + err
    assert "unexpected problem" not in err


def test_no_filter_column_is_exit_2(make_csv: MakeFile, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_csv([["Segment", "Notes"], ["a", "b"]])
    code, _, err = run_main(capsys, str(path))
    assert code == 2
    assert "no column maps to a Generect filter" in err
    assert "job_titles" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--map", "Title=job_tittles"], "Did you mean 'job_titles'?"),
        (["--map", "Tilte=job_titles"], "the sheet has no column 'Tilte'"),
        (["--map", "nonsense"], "HEADER=field"),
        (["--map", "Geo=job_titles"], "both map to job_titles"),
        (["--encoding", "klingon"], "unknown --encoding"),
        (["--price", "-1"], "is not a price per request in dollars"),
    ],
)
def test_usage_errors_exit_2(
    make_csv: MakeFile, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    path = make_csv([["Title", "Geo"], ["CEO", "France"]])
    code, out, err = run_main(capsys, str(path), *args)
    assert code == 2
    assert expected in err
    assert "Traceback" not in out + err


def test_bad_mapping_file_exit_2(
    make_csv: MakeFile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_csv([["Title"], ["CEO"]])
    mapping = tmp_path / "m.json"
    mapping.write_text('{"columns": {"Title": 7}}', encoding="utf-8")
    code, _, err = run_main(capsys, str(path), "--mapping", str(mapping))
    assert code == 2
    assert f"--mapping {mapping}" in err


def test_unknown_sheet_lists_sheets(
    make_xlsx: MakeFile, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_xlsx([["Title"], ["CEO"]], sheet="Segments")
    code, _, err = run_main(capsys, str(path), "--sheet", "Nope")
    assert code == 2
    assert "Segments" in err


def test_click_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, str(SAMPLES / "segments.csv"), "--mode", "fast")
    assert code == 2
    assert "fast" in err
    assert "Traceback" not in out + err


def test_main_ok_and_problem_exit_codes(
    make_csv: MakeFile, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [["Title", "Geo"], ["CEO", "France"], ["", ""], ["CTO", "Spain"], ["", ""]]
    good = make_csv(rows, name="good.csv")
    code, out, _ = run_main(capsys, str(good))
    assert code == 0
    assert "3 rows: 2 valid, 0 invalid, 1 blank" in out  # the trailing blank row is dropped
    bad = make_csv([["Title", "Company Size"], ["CEO", "huge"]], name="bad.csv")
    code, out, _ = run_main(capsys, str(bad))
    assert code == 1
    assert "row 2, Company Size: 'huge' is not a headcount bucket" in out


def test_separator_and_map_options(make_csv: MakeFile) -> None:
    path = make_csv([["Who", "Where"], ["CEO|CFO", "France|Spain"]])
    result = invoke(
        str(path), "--map", "Who=job_titles", "--map", "Where=locations", "--separator", "|"
    )
    assert result.exit_code == 0, result.output
    assert "Who -> job_titles (--map)" in result.output
    assert "1 rows: 1 valid" in result.output


@pytest.mark.parametrize("price", ["nan", "inf", "-0.04", "0"])
def test_check_refuses_a_meaningless_price(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], price: str
) -> None:
    src = tmp_path / "in.csv"
    src.write_text("Job Titles\nCTO\n", encoding="utf-8")
    code, out, err = run_main(capsys, str(src), "--price", price)
    assert code == 2 and "--price" in err and "Traceback" not in err + out
