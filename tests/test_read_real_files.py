"""Issue 10, the reader side: workbooks as analysts really send them.

Files come from tests/data/make_files.py (built into a temporary folder; .xls committed) and
from public test corpora (tests/data/README.md). Each test names the issue item it covers.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from batchcount.errors import InputFileError, UsageError
from batchcount.plan.prepare import InputOptions, header_scorer, prepare
from batchcount.read.sheet import Sheet, read_sheet

DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(DATA))
import make_files  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_files.build(tmp_path_factory.mktemp("issue10"))


def read(path: Path, **options: Any) -> Sheet:
    return read_sheet(path, header_score=header_scorer(), **options)


def refused(path: Path, kind: type[Exception] = InputFileError, **options: Any) -> str:
    with pytest.raises(kind) as caught:
        read(path, **options)
    return str(caught.value)


def bodies(path: Path, **options: Any) -> list[dict[str, Any] | None]:
    prepared = prepare(InputOptions(path=path, **options))
    return [r.check.body if not r.check.errors else None for r in prepared.plan.rows]


def errors(path: Path, **options: Any) -> dict[int, str]:
    prepared = prepare(InputOptions(path=path, **options))
    return {
        r.check.row_number: " ".join(r.check.errors) for r in prepared.plan.rows if r.check.errors
    }


# --------------------------------------------------------------------------- 1: the header


def test_header_below_a_key_value_block(files: Path) -> None:
    sheet = read(files / "title_block.xlsx")
    assert sheet.header_row == 5
    assert sheet.headers == ["Job Title", "Seniority", "Location", "Notes"]
    assert sheet.row_numbers == [6, 7]
    assert any(n.startswith("header: row 5 (rows 1-4 are a title block") for n in sheet.notes)
    assert bodies(files / "title_block.xlsx")[0] == {
        "job_titles": ["CTO"],
        "seniorities": ["c_suite"],
        "locations": ["France"],
    }


def test_header_below_a_title_block_in_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Audience plan Q3\nPrepared by,Ana\n\nJob Titles,Locations\nCTO,France\n")
    sheet = read(path)
    assert (sheet.header_row, sheet.headers, sheet.rows) == (
        4,
        ["Job Titles", "Locations"],
        [["CTO", "France"]],
    )


def test_long_key_value_block_above_a_csv_table(tmp_path: Path) -> None:
    block = "".join(f"Key {i},value {i}\n" for i in range(8))
    path = tmp_path / "kv.csv"
    path.write_text(f"{block}\nJob Titles,Seniorities,Locations\nCTO,c_suite,France\n")
    sheet = read(path)
    assert (sheet.header_row, sheet.rows) == (10, [["CTO", "c_suite", "France"]])


def test_header_row_option_overrides_and_is_checked(files: Path) -> None:
    sheet = read(files / "title_block.xlsx", header_row=3)
    assert sheet.headers[:2] == ["Location", "EMEA"]
    assert sheet.row_numbers[0] == 4
    assert "header: row 3 (from --header-row)" in sheet.notes
    assert "row 4 of" in refused(files / "title_block.xlsx", UsageError, header_row=4)
    assert "is blank" in refused(files / "title_block.xlsx", UsageError, header_row=4)
    message = refused(files / "title_block.xlsx", UsageError, header_row=40)
    assert "--header-row 40" in message and "rows 1-7 with content" in message


# --------------------------------------------------------------------------- 3: merged, errors


def test_xls_merged_error_and_hidden_cells(files: Path) -> None:
    sheet = read(DATA / "features.xls")
    assert [m.ref for m in sheet.merged] == ["B3:B4"]
    assert sheet.cell_problems == {(6, 0): "shows the Excel error #N/A; fix the formula in Excel"}
    assert sheet.rows[4][0] == "#N/A"
    found = errors(DATA / "features.xls")
    assert "cell B4 (Locations) is empty because it is part of the merged cells B3:B4" in found[4]
    assert "fill" in found[4]
    assert "cell A6 (Job Titles) shows the Excel error #N/A" in found[6]
    assert set(found) == {4, 6}


def test_ods_merged_covered_error_and_unsaved_cells(files: Path) -> None:
    sheet = read(files / "problems.ods")
    assert [m.ref for m in sheet.merged] == ["A2:A3"]
    assert sheet.rows[1] == ["", "CFO", "covered"]  # a covered cell shows the merged value
    assert sheet.rows[2][1] == "#DIV/0!"  # not the 0 LibreOffice stores under the error
    found = errors(files / "problems.ods")
    assert "cell A3 (Locations) is empty because it is part of the merged cells A2:A3" in found[3]
    assert "cell B4 (Job Titles) shows the LibreOffice error #DIV/0!" in found[4]
    assert "cell B5 (Job Titles) is a formula with no saved value" in found[5]


def test_xlsx_merge_spanning_rows_is_refused_on_every_row(files: Path) -> None:
    found = errors(files / "merged.xlsx")
    assert sorted(found) == [3, 4]
    assert all("merged cells A2:A4" in text for text in found.values())


def test_values_under_a_header_merged_over_columns_are_not_dropped(tmp_path: Path) -> None:
    # "Locations" merged over B1:C1 with a second location in column C: only column B is
    # sent, so the row would count a narrower segment than the sheet shows
    import openpyxl

    path = tmp_path / "merged_header.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Job Titles", "Locations", None, "Company Industries"])
    ws.merge_cells("B1:C1")
    ws.append(["CTO", "Germany", "France", "Banking"])
    ws.append(["CFO", "Spain", None, "Banking"])
    book.save(path)
    found = errors(path)
    assert list(found) == [2]
    assert (
        "cell C2 holds 'France' under the header 'Locations', which is merged over B1:C1: only "
        "column B is sent, so this value would be dropped; unmerge the header and put the "
        "values in column B separated by ';' (or give column C a header of its own)"
    ) in found[2]
    assert bodies(path)[1] == {"job_titles": ["CFO"], "locations": ["Spain"],
                               "company_industries": ["Banking"]}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "merged"),
    [
        ("calamine_merge_cells.xls", ["A1:B1", "A2:A4", "B2:D4"]),
        ("calamine_merged_cells.ods", ["A2:A3"]),
        ("calamine_covered.ods", ["A2:A3"]),
    ],
)
def test_merges_in_real_files(name: str, merged: list[str]) -> None:
    sheet = read_sheet(DATA / name)
    assert [m.ref for m in sheet.merged] == merged


def test_xls_that_xlrd_finds_inconsistent_is_still_checked() -> None:
    # its shared-string table declares the wrong count: xlrd asserts, Excel and calamine read it
    sheet = read_sheet(DATA / "calamine_gh548_sst_count.xls")
    assert sheet.sheet_name == "System Level Data"
    assert "C2:C3" in [m.ref for m in sheet.merged]


def test_real_covered_cell_text_is_not_sent() -> None:
    sheet = read_sheet(DATA / "calamine_covered.ods")
    assert sheet.rows == [["a2"], [""]]  # 'a3' sits under the merge: LibreOffice shows 'a2'


# --------------------------------------------------------------------------- 6: damaged files


def test_calamine_panic_is_a_damaged_file_message() -> None:
    message = refused(DATA / "calamine_ptgexp-truncated-operand.xls")
    assert "calamine_ptgexp-truncated-operand.xls could not be read" in message
    assert "save it as .xlsx" in message


def test_calamine_panic_through_the_cli_prints_no_traceback() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "batchcount",
            "check",
            str(DATA / "calamine_ptgexp-truncated-operand.xls"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "save it as .xlsx" in done.stderr
    for noise in ("Traceback", "panicked", "backtrace", "PanicException"):
        assert noise not in done.stderr + done.stdout


def _fuzzed(files: Path, tmp_path: Path) -> list[Path]:
    rng = random.Random(10)
    made: list[Path] = []
    xlsx = (files / "display.xlsx").read_bytes()
    for cut in (30, 200, len(xlsx) // 2, len(xlsx) - 30):
        made.append(tmp_path / f"cut{cut}.xlsx")
        made[-1].write_bytes(xlsx[:cut])
    for source in ("features.xls", "legacy.xls", "calamine_merge_cells.xls"):
        data = bytearray((DATA / source).read_bytes())
        for round_ in range(6):
            damaged = bytearray(data)
            for _ in range(1 + round_ * 8):
                at = rng.randrange(512, len(damaged))
                damaged[at] = rng.randrange(256)
            made.append(tmp_path / f"{source}.{round_}.xls")
            made[-1].write_bytes(bytes(damaged))
        made.append(tmp_path / f"{source}.cut.xls")
        made[-1].write_bytes(bytes(data[: len(data) // 2]))
    ods = (files / "problems.ods").read_bytes()
    made.append(tmp_path / "cut.ods")
    made[-1].write_bytes(ods[: len(ods) - 40])
    return made


def test_fuzzed_files_are_read_or_refused_in_words(files: Path, tmp_path: Path) -> None:
    outcomes = []
    for path in _fuzzed(files, tmp_path):
        try:
            read(path)
            outcomes.append("read")
        except (InputFileError, UsageError) as exc:
            assert path.name in str(exc)
            outcomes.append("refused")
    assert "refused" in outcomes


# --------------------------------------------------------------------------- 8: encodings


@pytest.mark.parametrize(
    ("name", "codec", "cell"),
    [
        ("mac_roman.csv", "mac_roman", "Directeur général"),
        ("latin9.csv", "iso8859_15", "Šef prodaje"),
        ("shift_jis.csv", "cp932", "営業部長"),
        ("cp1252.csv", "cp1252", "Directeur général"),
    ],
)
def test_legacy_encodings_are_read_correctly(files: Path, name: str, codec: str, cell: str) -> None:
    sheet = read(files / name)
    assert sheet.encoding == codec
    assert sheet.rows[0][0] == cell
    if codec != "cp1252":
        assert any("detected" in n and "--encoding" in n for n in sheet.notes)


def test_an_encoding_no_western_code_page_reads_is_refused_with_the_fix(files: Path) -> None:
    message = refused(files / "cp1251.csv")
    assert "cp1251.csv is not UTF-8" in message
    assert "--encoding cp1251" in message and "Директор по продажам" in message
    sheet = read(files / "cp1251.csv", encoding="cp1251")
    assert sheet.rows[0] == ["Директор по продажам", "Россия"]


# --------------------------------------------------------------------------- 9: as displayed


def test_xlsx_cells_as_displayed(files: Path) -> None:
    sheet = read_sheet(files / "display.xlsx")  # no scorer: every column as displayed
    assert sheet.rows == [
        ["CTO", "France", "007", "00123", "52%", "05/03/2024", "13:30", "30:00", "51"],
        ["CFO", "Spain", "0042", "00045", "12.5%", "10-Jan", "9:05", "12:00", "1500"],
    ]


def test_xlsx_formats_are_looked_up_for_sent_columns(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "sent.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Job Titles", "Company Headcounts", "Created"])
    ws.append(["CTO", "11-50", dt.datetime(2024, 3, 5)])
    ws.append(
        ["CFO", dt.datetime(2024, 1, 10), dt.datetime(2024, 3, 6)]
    )  # Excel made "1-10" a date
    ws["B3"].number_format = "d-mmm"
    ws["C2"].number_format = ws["C3"].number_format = "dd/mm/yyyy"
    book.save(path)
    sheet = read(path)
    assert sheet.rows[1][1] == "10-Jan"  # what the analyst sees in the sent column
    assert sheet.rows[1][2] == "2024-03-06 00:00:00"  # not sent: calamine's text, no lookup
    repaired = prepare(InputOptions(path=path)).plan.rows[1].check
    assert repaired.body == {"job_titles": ["CFO"], "company_headcounts": ["1-10"]}
    assert "'10-Jan' looks like Excel turned '1-10' into a date" in repaired.notes[0]


def test_ods_dates_times_durations_and_percentages_as_displayed(files: Path) -> None:
    sheet = read(files / "display.ods")
    assert sheet.rows == [
        ["CTO", "05/03/2024", "13:30", "30:00:00", "52%", "00123"],
        ["CFO", "2024-01-10 09:05", "09:05 AM", "00:45", "1.1", "51"],
    ]
    real = read_sheet(DATA / "calamine_date.ods")  # written by LibreOffice
    assert [real.headers[0], *(r[0] for r in real.rows)] == [
        "01/01/2021",
        "01/01/2021 10:10 AM",
        "10:10:10",
        "10:10:10.12",
    ]


def test_xls_formats_and_no_float_noise() -> None:
    sheet = read(DATA / "features.xls")
    assert sheet.rows[0] == ["CTO", "France", "52%", "05/03/2024", "13:30", "1.1", "007"]
    real = read_sheet(DATA / "xlrd_Formate.xls")  # German Excel
    column = [real.headers[1], *(r[1] for r in real.rows)]
    assert column[:8] == [
        "03/07/1907",
        "23/02/2005",
        "Tuesday, May 03, 1988",
        "06:34",
        "12:56",
        "5:47:13 PM",
        "97.4%",
        "12.4%",
    ]


def test_float_noise_in_xlsx_is_not_sent(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "noise.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Job Titles", "Years Of Experience"])
    book.active.append(["CTO", 3])
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    part = "xl/worksheets/sheet1.xml"
    parts[part] = parts[part].replace(b"<v>3</v>", b"<v>1.1000000000000001</v>")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert read(path).rows == [["CTO", "1.1"]]


def test_integer_fields_still_get_integers(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "ints.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Job Titles", "Years Of Experience"])
    ws.append(["CTO", 3])
    ws["B2"].number_format = "0.00"  # shown "3.00": the number is still sent as 3
    book.save(path)
    assert bodies(path) == [{"job_titles": ["CTO"], "years_of_experience": [3]}]


# --------------------------------------------------------------------------- 10: hidden rows


def test_hidden_and_filtered_rows_are_reported(files: Path) -> None:
    sheet = read(files / "hidden_rows.xlsx")
    assert sheet.hidden_rows == frozenset({3, 5, 6})
    assert "3 data rows are hidden or filtered out by the autofilter (rows 3, 5, 6)" in sheet.notes
    assert read(DATA / "features.xls").hidden_rows == frozenset({7})
    assert read(files / "problems.ods").hidden_rows == frozenset({6, 7, 8})
    assert read(files / "display.xlsx").hidden_rows == frozenset()


def _check(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "batchcount", "check", str(path), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "BATCHCOUNT_STORE": str(path.parent / "store.sqlite")},
        check=False,
    )


def test_hidden_columns_are_read_in_every_format(files: Path) -> None:
    # the cells of a hidden column are data (hiding a column is usually layout), but the
    # analyst does not see them: read, and said when sent (next test)
    assert read(files / "hidden_columns.xlsx").hidden_columns == frozenset({2, 4})
    assert read(files / "hidden_columns.ods").hidden_columns == frozenset({1})
    assert read(DATA / "hidden_columns.xls").hidden_columns == frozenset({1})
    assert read(files / "display.xlsx").hidden_columns == frozenset()


@pytest.mark.parametrize(
    ("name", "letter", "header"),
    [("hidden_columns.xlsx", "C", "Company HQ"), ("hidden_columns.ods", "B", "Company HQ")],
)
def test_a_hidden_sent_column_is_named_with_the_fix(
    files: Path, tmp_path: Path, name: str, letter: str, header: str
) -> None:
    path = tmp_path / name
    path.write_bytes((files / name).read_bytes())
    done = _check(path)
    assert done.returncode == 0, done.stderr
    warning = (
        f"Warning: column {letter} ('{header}') is hidden in the sheet but is sent as "
        "company_locations, so it narrows every row's count; to leave it out add "
        f'--map "{header}="'
    )
    assert warning in done.stdout
    assert "'Notes') is hidden" not in done.stdout  # hidden but not sent: nothing to say
    left_out = _check(path, "--map", f"{header}=")
    assert left_out.returncode == 0 and "is hidden" not in left_out.stdout
    assert "company_locations" not in left_out.stdout


def test_a_hidden_sent_column_warns_before_the_prompt_too(tmp_path: Path) -> None:
    path = tmp_path / "h.xls"
    path.write_bytes((DATA / "hidden_columns.xls").read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "batchcount", "run", str(path), "--sandbox"],
        input="n\n",
        capture_output=True,
        text=True,
        env={**os.environ, "BATCHCOUNT_STORE": str(tmp_path / "store.sqlite")},
        check=False,
    )
    shown = done.stdout + done.stderr
    assert (
        "column B ('HQ Country') is hidden in the sheet but is sent as company_locations" in shown
    )
    assert done.returncode != 0  # declined: nothing sent


# --------------------------------------------------------------------------- 11: which sheet


def test_cover_sheet_is_skipped_and_said(files: Path) -> None:
    sheet = read(files / "cover_sheet.xlsx")
    assert sheet.sheet_name == "Segments"
    assert any("sheet 'README' has no header naming a filter" in n for n in sheet.notes)
    assert any(n.startswith("read 'Segments' (the first visible sheet") for n in sheet.notes)


def test_no_sheet_with_a_header_lists_every_sheet(files: Path) -> None:
    message = refused(files / "no_header_anywhere.xlsx")
    assert "'Cover' header row 1: 'Q3 audience plan'" in message
    assert "'Data' header row 1: 'Who', 'Where'" in message
    assert "'Broken' has only 4 error cells (#N/A, #REF!)" in message
    assert '--sheet "Data"' in message


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("errors_only.xlsx", "has only 4 error cells (#DIV/0!, #N/A, #REF!, #VALUE!)"),
        ("unsaved_only.xlsx", "has only 2 formulas without a saved value"),
        ("errors_only.ods", "has only 3 error cells (#DIV/0!, #N/A) and 1 formula without"),
    ],
)
def test_sheet_of_only_errors_or_unsaved_formulas_says_so(
    files: Path, name: str, words: str
) -> None:
    assert words in refused(files / name)


def test_real_and_xls_error_only_sheets() -> None:
    assert "has only 7 error cells" in refused(DATA / "calamine_errors.xlsx")
    assert "sheet 'Broken' has only 4 error cells (#N/A, #REF!)" in refused(
        DATA / "errors_only.xls"
    )


# --------------------------------------------------------------------------- 12: one column


def test_list_with_a_header_is_one_segment_per_line(files: Path) -> None:
    assert bodies(files / "titles_header.txt") == [
        {"job_titles": [title]} for title in make_files.TITLES
    ]


def test_list_without_a_header_says_how_to_map_it(files: Path) -> None:
    with pytest.raises(UsageError) as caught:
        prepare(InputOptions(path=files / "titles.txt"))
    message = str(caught.value)
    assert "one value per line and no header" in message and "'CTO'" in message
    assert '--map "column A=job_titles"' in message
    mapped = prepare(InputOptions(path=files / "titles.txt", maps=["column A=job_titles"]))
    assert mapped.sheet.row_numbers == [1, 2, 3, 4, 5]
    assert [r.check.body for r in mapped.plan.rows] == [
        {"job_titles": [title]} for title in make_files.TITLES
    ]


def test_commas_inside_lines_do_not_make_columns(files: Path, tmp_path: Path) -> None:
    assert read(files / "places.csv").rows == [
        ["Paris, France"],
        ["Berlin"],
        ["San Francisco, California, United States"],
    ]
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("Job Titles\nVP, Sales\nHead, EMEA\nDirector, APAC\n")
    assert read(spaced).headers == ["Job Titles"]
    table = tmp_path / "table.csv"
    table.write_text("Title, Location\nCTO, France\nCFO, Spain\n")  # hand-written, consistent
    assert read(table).headers == ["Title", " Location"]
    plain = tmp_path / "plain.csv"
    plain.write_text("a,b\nc,d\n")  # consistently delimited: two columns even without a scorer
    assert read_sheet(plain).headers == ["a", "b"]


# --------------------------------------------------------------------------- the command line


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from batchcount.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["check", *args])
    out, err = capsys.readouterr()
    assert isinstance(exc.value.code, int)
    return exc.value.code, out, err


def test_check_says_which_header_row_it_used(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, str(files / "title_block.xlsx"))
    assert code == 0
    assert "header: row 5 (rows 1-4 are a title block" in out
    code, out, _ = check(capsys, str(files / "title_block.xlsx"), "--header-row", "5")
    assert code == 0 and "header: row 5 (from --header-row)" in out
    code, _, err = check(capsys, str(files / "title_block.xlsx"), "--header-row", "4")
    assert code == 2 and "--header-row 4: row 4 of" in err and "is blank" in err


def test_check_on_a_headerless_list(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(capsys, str(files / "titles.txt"))
    assert code == 2 and '--map "column A=job_titles"' in err
    code, out, _ = check(capsys, str(files / "titles.txt"), "--map", "column A=job_titles")
    assert code == 0
    assert "column A -> job_titles (--map)" in out and "5 rows: 5 valid" in out


def test_check_names_hidden_rows_and_refused_cells(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, str(files / "hidden_rows.xlsx"))
    assert "3 data rows are hidden or filtered out by the autofilter (rows 3, 5, 6)" in out
    code, out, _ = check(capsys, str(DATA / "features.xls"))
    assert code == 1
    assert "row 6: cell A6 (Job Titles) shows the Excel error #N/A" in out
    assert "row 4: cell B4 (Locations) is empty because it is part of the merged cells B3:B4" in out


def test_check_refuses_an_unknown_encoding_with_the_option_to_pass(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = check(capsys, str(files / "cp1251.csv"))
    assert code == 2 and "--encoding cp1251" in err
    code, out, _ = check(
        capsys, str(files / "cp1251.csv"), "--encoding", "cp1251", "--map", "Job Titles=job_titles"
    )
    assert code == 0 and "2 rows: 2 valid" in out


def test_any_number_format_code_renders_or_declines() -> None:
    from batchcount.read.numfmt import display, display_many

    rng = random.Random(3)
    pieces = [*'ymdhsAPM/:-.0#,%"\\ _*[]$@;E', "am/pm", "[h]", "[Red]", "mmmm", "0.00%", '"x"']
    for _ in range(3000):
        code = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        value = rng.choice([0, 1, -1, 0.5, 45356.75, 1e300, float("nan"), 60, 2958466])
        text = display(code, value)
        assert text is None or isinstance(text, str)
    values = [rng.uniform(0, 60000) for _ in range(60)]
    assert display_many("dd/mm/yyyy hh:mm", values) == [
        display("dd/mm/yyyy hh:mm", v) for v in values
    ]
