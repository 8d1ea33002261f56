"""The annotated output workbook and CSV: layout, text safety, Summary, atomic writes."""

from __future__ import annotations

import csv
import os
import weakref
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from batchcount.errors import OutputFileError
from batchcount.output.columns import RESULT_COLUMNS, ResultRow
from batchcount.output.csv_output import safe_text, write_csv
from batchcount.output.summary import LEADS_LABEL
from batchcount.output.workbook import (
    EXCEL_CELL_LIMIT,
    TEST_MODE_BANNER,
    TRUNCATION_MARKER,
    Summary,
    write_output,
    write_workbook,
)

HEADERS = ["Segment", "Job Titles", "Segment", ""]
FORMULA = '=HYPERLINK("http://x")'


def make_summary(**changes: Any) -> Summary:
    values: dict[str, Any] = {
        "input_name": "segments.xlsx (Sheet1)",
        "mode": "realtime",
        "test_mode": False,
        "rows_by_status": {"ok": 2, "invalid": 1, "failed": 0, "skipped": 1},
        "total_leads": 1234,
        "money_spent": 0.08,
        "saved_by_merging": 0.04,
        "saved_by_resuming": 0.0,
        "possibly_billed_twice": 1,
        "started": datetime(2026, 9, 4, 10, 0, 0),
        "finished": datetime(2026, 9, 4, 10, 1, 5),
        "version": "0.1.0",
        "stop_reason": None,
        "price": 0.04,
        "price_source": "account price tier",
    }
    values.update(changes)
    return Summary(**values)


COUNTED_AT = datetime(2026, 11, 3, 14, 5, 9, tzinfo=UTC)


def make_row(n: int, cells: Sequence[str], status: str = "ok", **changes: Any) -> ResultRow:
    values: dict[str, Any] = {
        "row_number": n,
        "cells": cells,
        "results_count": 1000 + n if status == "ok" else None,
        "status": status,
        "amount_charged": 0.04 if status == "ok" else None,
        "message": "counted" if status == "ok" else f"row {n}: {status}",
        "request": '{"job_titles": ["VP Sales"]}' if status == "ok" else "",
        "counted_at": COUNTED_AT if status == "ok" else None,
        "source": "new" if status == "ok" else "",
    }
    values.update(changes)
    return ResultRow(**values)


def sample_rows() -> list[ResultRow]:
    return [
        make_row(2, ["VP Sales US", "VP Sales", "00123", "5"]),
        make_row(3, ["", "", "", ""], status="skipped", message="blank row"),
        make_row(4, ["Bad", "x", "", ""], status="invalid"),
        make_row(
            5,
            ["CTO UK", "CTO", "1-10", "3.50"],
            amount_charged=0.0,
            message="duplicate",
            source="duplicate",
        ),
    ]


def sheet_xml(path: Path, number: int) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{number}.xml").decode("utf-8")


def summary_values(path: Path) -> dict[str, Any]:
    ws = openpyxl.load_workbook(path)["Summary"]
    return {row[0].value: row[1] for row in ws.iter_rows(max_col=2) if row[0].value}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "segments.counted.xlsx"


def test_results_sheet_layout_types_and_styles(out: Path) -> None:
    write_workbook(out, HEADERS, sample_rows(), make_summary())
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Results", "Summary"]
    ws = wb["Results"]
    header = [c.value for c in ws[1]]
    assert header == ["Segment", "Job Titles", "Segment", None, *RESULT_COLUMNS]
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("305496") for c in ws[1][:3])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L5"
    assert ws.max_row == 5
    # original cells stay text even when they look like numbers
    assert [c.value for c in ws[2][:4]] == ["VP Sales US", "VP Sales", "00123", "5"]
    assert all(c.data_type == "s" for c in ws[2][:4])
    source_row, count, status, amount, counted_at, source, message, request = ws[2][4:]
    assert source_row.value == 2 and isinstance(source_row.value, int)
    assert count.value == 1002 and isinstance(count.value, int)
    assert status.value == "ok"
    assert amount.value == pytest.approx(0.04) and "$" in amount.number_format
    # a real Excel date-time (UTC), not text
    assert counted_at.value == datetime(2026, 11, 3, 14, 5, 9) and counted_at.is_date
    assert source.value == "new"
    assert message.value == "counted" and request.value == '{"job_titles": ["VP Sales"]}'
    # rows stay in input order, blank row kept, nothing invented for unsent rows
    assert [ws.cell(r, 7).value for r in range(2, 6)] == ["ok", "skipped", "invalid", "ok"]
    assert ws.cell(3, 6).value is None and ws.cell(3, 8).value is None
    assert ws.cell(3, 9).value is None and ws.cell(3, 10).value is None
    assert ws.cell(5, 8).value == 0 and ws.cell(5, 3).value == "1-10"
    assert ws.cell(5, 10).value == "duplicate" and ws.cell(4, 5).value == 4
    widths = [ws.column_dimensions[c].width for c in "ABCDEFGHIJKL"]
    assert all(8 <= w <= 60 for w in widths)
    assert widths[0] >= len("VP Sales US")


def test_formula_like_text_stays_text(out: Path) -> None:
    rows = [
        make_row(2, [FORMULA, "+1", "-5", "#N/A"], message="=1+1", request="=cmd|' /C calc'!A0"),
    ]
    write_workbook(out, ["=A1", "b", "c", "d"], rows, make_summary(input_name="=evil()"))
    ws = openpyxl.load_workbook(out)["Results"]
    cells = ws[2]
    assert [c.value for c in cells[:4]] == [FORMULA, "+1", "-5", "#N/A"]
    assert all(c.data_type == "s" for c in cells[:4])
    assert ws["A1"].value == "=A1" and ws["A1"].data_type == "s"
    assert cells[10].value == "=1+1" and cells[10].data_type == "s"
    assert cells[11].value == "=cmd|' /C calc'!A0"
    for number in (1, 2):
        xml = sheet_xml(out, number)
        assert "<f>" not in xml and "<f " not in xml
    assert summary_values(out)["Input"].value == "=evil()"


def test_illegal_characters_stripped_and_long_cells_truncated(out: Path) -> None:
    long_text = "x" * 40_000
    wide_text = "😀" * 20_000  # 40,000 UTF-16 units: over the limit although len() is not
    rows = [make_row(2, ["a\x00b\x1fc\x0bd", long_text, wide_text, "ok\r\nline"])]
    write_workbook(out, HEADERS, rows, make_summary(extra=[("Note", "bell\x07")]))
    ws = openpyxl.load_workbook(out)["Results"]
    assert ws["A2"].value == "abcd"
    assert len(ws["B2"].value) == EXCEL_CELL_LIMIT
    assert ws["B2"].value.endswith(TRUNCATION_MARKER)
    assert len(ws["C2"].value.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT
    assert ws["C2"].value.endswith(TRUNCATION_MARKER)
    assert ws["D2"].value == "ok\r\nline"
    assert summary_values(out)["Note"].value == "bell"


def test_ragged_rows_are_padded_and_overflow_kept(out: Path) -> None:
    rows = [make_row(2, ["only one"]), make_row(3, ["a", "b", "c", "d", "", "extra!"])]
    write_workbook(out, HEADERS, rows, make_summary())
    ws = openpyxl.load_workbook(out)["Results"]
    assert ws["A2"].value == "only one" and ws["B2"].value is None
    assert ws["D3"].value == "d" and ws["E3"].value == 3 and ws["F3"].value == 1003
    assert "extra!" in ws["K3"].value


def test_summary_sheet_values_and_chart(out: Path) -> None:
    summary = make_summary(
        stop_reason="budget reached (--max-cost 1.00)", extra=[("Journal", "x.journal")]
    )
    rows = [make_row(n, [f"Segment {n}", "t", "", ""]) for n in range(2, 40)]
    write_workbook(out, HEADERS, rows, summary, chart_rows=5)
    values = summary_values(out)
    assert values["Mode"].value == "realtime"
    assert values["Test mode"].value == "no"
    assert TEST_MODE_BANNER not in str(values)
    assert [values[f"Rows {s}"].value for s in ("ok", "invalid", "failed", "skipped")] == [
        2,
        1,
        0,
        1,
    ]
    assert values["Rows total"].value == 4
    assert values[LEADS_LABEL].value == 1234
    money = values["Money spent (sum of receipts)"]
    assert money.value == pytest.approx(0.08) and "$" in money.number_format
    assert values["Saved by merging duplicates"].value == pytest.approx(0.04)
    assert values["Saved by resuming"].value == 0
    assert values["Possibly billed twice (requests)"].value == 1
    assert values["Price per request"].value == pytest.approx(0.04)
    assert values["Price source"].value == "account price tier"
    assert values["Started"].value == datetime(2026, 9, 4, 10, 0, 0)
    assert values["Duration"].value == "0:01:05"
    assert values["batchcount version"].value == "0.1.0"
    assert values["Outcome"].value == "stopped early: budget reached (--max-cost 1.00)"
    assert values["Journal"].value == "x.journal"
    # chart table: first chart_rows ok rows, labelled with row number and first cell
    assert values["Segment"].value == "Leads"
    assert values["row 2: Segment 2"].value == 1002
    assert "row 6: Segment 6" in values and "row 7: Segment 7" not in values
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert "xl/charts/chart1.xml" in names
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "barChart" in chart
    # the chart points at the table: labels as strings, counts as numbers
    ws = openpyxl.load_workbook(out)["Summary"]
    top = next(c.row for c in ws["A"] if c.value == "Segment") + 1
    assert f"<strRef><f>'Summary'!$A${top}:$A${top + 4}</f>" in chart
    assert f"<numRef><f>'Summary'!$B${top}:$B${top + 4}</f>" in chart


def test_chart_table_position_with_test_mode_banner(out: Path) -> None:
    write_workbook(out, HEADERS, sample_rows(), make_summary(test_mode=True))
    ws = openpyxl.load_workbook(out)["Summary"]
    top = next(c.row for c in ws["A"] if c.value == "Segment") + 1
    assert [ws.cell(top, 1).value, ws.cell(top + 1, 1).value] == [
        "row 2: VP Sales US",
        "row 5: CTO UK",
    ]
    with zipfile.ZipFile(out) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert f"'Summary'!$B${top}:$B${top + 1}" in chart


def test_test_mode_banner_and_no_chart_without_ok_rows(out: Path) -> None:
    rows = [make_row(2, ["x", "", "", ""], status="invalid")]
    write_workbook(out, HEADERS, rows, make_summary(test_mode=True))
    ws = openpyxl.load_workbook(out)["Summary"]
    assert (
        ws["A2"].value == TEST_MODE_BANNER == "Test mode: counts are fictional, nothing was charged"
    )
    assert ws["A2"].font.bold
    assert summary_values(out)["Test mode"].value.startswith("yes")
    with zipfile.ZipFile(out) as archive:
        assert not any(n.startswith("xl/charts/") for n in archive.namelist())


def test_timezone_aware_times_are_accepted(out: Path) -> None:
    started = datetime(2026, 9, 4, 10, 0, tzinfo=UTC)
    summary = make_summary(started=started, finished=started + timedelta(hours=2))
    write_workbook(out, HEADERS, sample_rows(), summary)
    values = summary_values(out)
    assert values["Started"].value.tzinfo is None
    assert values["Duration"].value == "2:00:00"


def test_atomic_write_leaves_no_temp_file(out: Path) -> None:
    write_workbook(out, HEADERS, sample_rows(), make_summary())
    write_workbook(out, HEADERS, sample_rows()[:1], make_summary())  # overwrite
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]
    assert openpyxl.load_workbook(out)["Results"].max_row == 2


def test_failing_rows_keep_the_old_file(out: Path) -> None:
    out.write_bytes(b"previous results")

    def rows() -> Iterator[ResultRow]:
        yield from sample_rows()
        raise RuntimeError("journal broke")

    with pytest.raises(RuntimeError, match="journal broke"):
        write_workbook(out, HEADERS, rows(), make_summary())
    assert out.read_bytes() == b"previous results"
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_locked_target_raises_output_file_error(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out.write_bytes(b"open in Excel")

    def locked(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("batchcount.output.atomic.os.replace", locked)
    with pytest.raises(OutputFileError, match="close it in Excel") as info:
        write_workbook(out, HEADERS, sample_rows(), make_summary())
    assert str(out) in str(info.value)
    assert out.read_bytes() == b"open in Excel"
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_bad_targets_raise_output_file_error(tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match="folder"):
        write_workbook(tmp_path, HEADERS, sample_rows(), make_summary())
    with pytest.raises(OutputFileError, match="does not exist"):
        write_csv(tmp_path / "missing" / "x.csv", HEADERS, sample_rows())
    with pytest.raises(OutputFileError, match=r"\.xlsx.*\.csv"):
        write_output(tmp_path / "x.txt", HEADERS, sample_rows(), make_summary())
    assert list(tmp_path.iterdir()) == []


def test_streams_a_generator_without_holding_rows(tmp_path: Path) -> None:
    total = 20_000
    alive: weakref.WeakSet[ResultRow] = weakref.WeakSet()
    most_alive = 0

    def rows() -> Iterator[ResultRow]:
        nonlocal most_alive
        for n in range(2, total + 2):
            row = make_row(n, (f"segment {n}", f"title {n}", str(n), ""))
            alive.add(row)
            most_alive = max(most_alive, len(alive))
            yield row

    target = tmp_path / "big.xlsx"
    write_workbook(target, HEADERS, rows(), make_summary())
    assert most_alive <= 300  # a small sample at most, never the whole input
    ws = openpyxl.load_workbook(target, read_only=True)["Results"]
    *_, last = ws.iter_rows(min_row=total, values_only=True)
    assert last[0] == f"segment {total + 1}" and last[4] == total + 1 and last[5] == total + 1001


def test_xlsm_gets_macro_enabled_content_type(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsm"
    write_output(target, HEADERS, sample_rows(), make_summary())
    with zipfile.ZipFile(target) as archive:
        content_types = archive.read("[Content_Types].xml").decode()
        assert not any("vba" in n.lower() for n in archive.namelist())
    assert "sheet.macroEnabled.main+xml" in content_types
    assert openpyxl.load_workbook(target)["Results"]["A2"].value == "VP Sales US"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-", "'-"),
        ("-A1", "'-A1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-5", "-5"),
        ("+3.5", "+3.5"),
        ("-1e3", "-1e3"),
        ("-.5", "-.5"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_safe_text(text: str, expected: str) -> None:
    assert safe_text(text) == expected


def test_csv_output(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    rows = [
        make_row(2, ["=1+1", "-5", "@x", "+3.5"], message="=bad", request='{"a": 1}'),
        make_row(3, ["", "a,b", 'q"uote', "multi\nline"], status="invalid"),
    ]
    write_output(target, ["=H", "b", "c", "d"], rows, make_summary())
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 3 and b"multi\nline" in raw
    with target.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["'=H", "b", "c", "d", *RESULT_COLUMNS]
    assert table[1] == [
        "'=1+1",
        "-5",
        "'@x",
        "+3.5",
        "2",
        "1002",
        "ok",
        "0.04",
        "2026-11-03 14:05:09",
        "new",
        "'=bad",
        '{"a": 1}',
    ]
    assert table[2] == [
        "",
        "a,b",
        'q"uote',
        "multi\nline",
        "3",
        "",
        "invalid",
        "",
        "",
        "",
        "row 3: invalid",
        "",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_csv_failure_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")

    def rows() -> Iterator[ResultRow]:
        yield sample_rows()[0]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_csv(target, HEADERS, rows())
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_summary_may_be_a_function_called_after_the_rows(tmp_path: Path) -> None:
    seen: list[int] = []

    def rows() -> Iterator[ResultRow]:
        for row in sample_rows():
            seen.append(row.row_number)
            yield row

    def late_summary() -> Summary:
        assert seen == [2, 3, 4, 5]  # totals tallied while streaming are complete by now
        return make_summary(total_leads=len(seen))

    write_output(tmp_path / "out.xlsx", HEADERS, rows(), late_summary)
    assert summary_values(tmp_path / "out.xlsx")[LEADS_LABEL].value == 4
    write_output(tmp_path / "out.csv", HEADERS, sample_rows(), late_summary)
    assert len((tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()) == 5
