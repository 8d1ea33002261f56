"""The annotated output: a `Results` + `Summary` workbook, or the Results table as CSV
(written by `csv_output`; `write_output` picks the format from the file name).

Outputs are written atomically (temp file beside the target, fsync, `os.replace`): a crash, a
bad row or a file locked by Excel never leaves a half-written file where the results belong.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from batchcount.errors import OutputFileError
from batchcount.output.atomic import atomic_output as atomic_output
from batchcount.output.columns import (
    RESULT_COLUMNS,
    ExtraColumn,
    ResultRow,
    fit_cells,
    row_message,
)
from batchcount.output.csv_output import write_csv

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv",)

XLSX_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
MONEY_FORMAT = "$#,##0.00##"  # 4 decimals when needed: prices like $0.0125 stay exact
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "+0.0%;-0.0%;0.0%"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
EXCEL_CELL_LIMIT = 32_767  # characters (UTF-16 units) in one cell
TRUNCATION_MARKER = "…[truncated]"
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60
CHART_LABEL_LIMIT = 40
FICTIONAL = "counts are fictional, nothing was charged"
TEST_MODE_BANNER = f"Test mode: {FICTIONAL}"

HEADER_FONT = Font(bold=True, color="FFFFFF")
INPUT_HEADER_FILL = PatternFill("solid", fgColor="305496")
RESULT_HEADER_FILL = PatternFill("solid", fgColor="548235")  # tells added columns apart
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
BANNER_FONT = Font(bold=True, color="9C0006", size=12)
BANNER_FILL = PatternFill("solid", fgColor="FFC7CE")

# openpyxl's ILLEGAL_CHARACTERS_RE plus what UTF-8/XML 1.0 cannot carry (lone surrogates, U+FFFE/F)
_ILLEGAL_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Summary:
    input_name: str
    mode: str  # "realtime" | "database"
    test_mode: bool
    rows_by_status: Mapping[str, int]
    total_leads: int
    money_spent: float  # sum of amount_charged receipts (the server's numbers)
    saved_by_merging: float
    saved_by_resuming: float
    possibly_billed_twice: int
    started: datetime
    finished: datetime
    version: str
    stop_reason: str | None
    price: float
    price_source: str
    extra: Sequence[tuple[str, str]] = ()


# A Summary, or a function returning one: it is called only after every row has been written,
# so totals tallied while the rows stream out are complete.
SummarySource = Summary | Callable[[], Summary]


def write_output(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[ResultRow],
    summary: SummarySource,
    extra_columns: Sequence[ExtraColumn] = (),
) -> None:
    """Write the results in the format the file name asks for."""
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES:
        write_csv(path, headers, rows, extra_columns)
    elif suffix in WORKBOOK_SUFFIXES:
        write_workbook(path, headers, rows, summary, extra_columns=extra_columns)
    else:
        supported = ", ".join(WORKBOOK_SUFFIXES + CSV_SUFFIXES)
        raise OutputFileError(
            f"Cannot write {path}: unsupported file type {suffix or '(none)'!r}. "
            f"Use a name ending in one of: {supported} (e.g. -o results.xlsx)."
        )


def excel_text(value: str) -> str:
    """Make `value` storable in a cell: no XML-illegal characters, within Excel's length limit."""
    if _ILLEGAL_XML_RE.search(value):
        value = _ILLEGAL_XML_RE.sub("", value)
    if len(value) > EXCEL_CELL_LIMIT // 2:  # only then can the UTF-16 length exceed the limit
        units = value.encode("utf-16-le")
        if len(units) > 2 * EXCEL_CELL_LIMIT:
            keep = 2 * (EXCEL_CELL_LIMIT - len(TRUNCATION_MARKER))
            # errors="ignore" drops half of a surrogate pair cut at the boundary
            value = units[:keep].decode("utf-16-le", errors="ignore") + TRUNCATION_MARKER
    return value


def _cell(ws: Any, value: Any, number_format: str | None = None, **style: Any) -> Any:
    """A write-only cell for the header and Summary (`style`: font=..., fill=...)."""
    text = isinstance(value, str)
    cell = WriteOnlyCell(ws, excel_text(value) if text else value)
    if text:
        # Set after the value: openpyxl infers "f" for "=..." and "e" for "#N/A"; "s" keeps text.
        cell.data_type = "s"
    if number_format is not None:
        cell.number_format = number_format
    for name, spec in style.items():
        setattr(cell, name, spec)
    return cell


def _display_len(text: str) -> int:
    return max(map(len, text.splitlines())) if "\n" in text else len(text)


def _datetime(value: datetime) -> datetime:
    # Excel has no time zones: show aware times in the user's local zone.
    if value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value


def _duration(started: datetime, finished: datetime) -> str:
    seconds = max(0, round((finished - started).total_seconds()))
    return str(timedelta(seconds=seconds))


# --- workbook ---------------------------------------------------------------------------------
#
# openpyxl needs ~6 µs per cell even in write-only mode (100k rows x 20 columns: ~13 s), so the
# Results rows are serialised here as plain inline-string XML into a temp file (about 10x
# faster) and spliced into the sheet openpyxl writes with the header, widths, freeze and
# filter. Everything else (styles, Summary, chart, packaging) is openpyxl's.


def write_workbook(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[ResultRow],
    summary: SummarySource,
    *,
    chart_rows: int = 30,
    extra_columns: Sequence[ExtraColumn] = (),
) -> None:
    """Write the Results and Summary sheets, streaming `rows` (memory stays flat)."""
    path = Path(path)
    with atomic_output(path) as fh, tempfile.TemporaryFile() as body:
        wb = Workbook(write_only=True)
        results = wb.create_sheet("Results")
        summary_ws = wb.create_sheet("Summary")
        money_style = _cell(results, 0.0, MONEY_FORMAT).style_id
        time_style = _cell(results, 0.0, DATETIME_FORMAT).style_id
        extras = _ExtraCells(results, extra_columns, time_style)
        stream = _stream_results(body, headers, rows, chart_rows, money_style, time_style, extras)
        # The small shell is built only after the rows: openpyxl's own temp files are never
        # left behind by a failing rows iterable.
        _write_results_shell(results, headers, stream, [c.name for c in extra_columns])
        resolved = summary() if callable(summary) else summary
        _write_summary(summary_ws, resolved, stream.chart_points)
        shell = io.BytesIO()
        wb.save(shell)
        _splice(shell, results.path[1:], body, fh, macro_enabled=path.suffix.lower() == ".xlsm")


@dataclass
class _Stream:
    written: int
    widths: list[int]
    chart_points: list[tuple[str, int]]


def _stream_results(
    body: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[ResultRow],
    chart_rows: int,
    money_style: int,
    time_style: int,
    extras: _ExtraCells | None = None,
) -> _Stream:
    width = len(headers)
    extras = extras or _ExtraCells(None, (), time_style)
    end = width + len(RESULT_COLUMNS)
    letters = [get_column_letter(i) for i in range(1, end + len(extras.columns) + 1)]
    (row_col, count_col, status_col, money_col, time_col, source_col, message_col, request_col) = (
        letters[width:end]
    )
    extra_letters = letters[end:]
    # +3 on headers leaves room for the autofilter button.
    widths = [len(str(h or "")) + 3 for h in headers] + [len(h) + 3 for h in RESULT_COLUMNS]
    widths += [len(c.name) + 3 for c in extras.columns]
    chart_points: list[tuple[str, int]] = []
    written = 0
    for n, row in enumerate(rows, 2):
        texts, overflow = fit_cells(row.cells, width)
        message = row_message(row, overflow)
        r = str(n)
        parts = [f'<row r="{r}">']
        parts += [_xml_text(letters[i] + r, t) for i, t in enumerate(texts) if t]
        parts.append(f'<c r="{row_col}{r}"><v>{int(row.row_number)}</v></c>')
        if row.results_count is not None:
            parts.append(f'<c r="{count_col}{r}"><v>{int(row.results_count)}</v></c>')
        parts.append(_xml_text(status_col + r, row.status))
        if row.amount_charged is not None and math.isfinite(row.amount_charged):
            amount = repr(float(row.amount_charged))
            parts.append(f'<c r="{money_col}{r}" s="{money_style}"><v>{amount}</v></c>')
        if row.counted_at is not None:
            serial = repr(_excel_serial(row.counted_at))
            parts.append(f'<c r="{time_col}{r}" s="{time_style}"><v>{serial}</v></c>')
        if row.source:
            parts.append(_xml_text(source_col + r, row.source))
        if message:
            parts.append(_xml_text(message_col + r, message))
        if row.request:
            parts.append(_xml_text(request_col + r, row.request))
        if extra_letters:
            parts += extras.xml(extra_letters, r, row.extra)
        parts.append("</row>")
        body.write("".join(parts).encode("utf-8"))
        written += 1
        if written <= WIDTH_SAMPLE_ROWS:
            money = "" if row.amount_charged is None else f"${row.amount_charged:.2f}"
            when = "yyyy-mm-dd hh:mm:ss" if row.counted_at is not None else ""
            sample = [
                *texts,
                str(row.row_number),
                str(row.results_count or ""),
                row.status,
                money,
                when,
                row.source,
                message,
            ]
            for i, value in enumerate([*sample, row.request, *extras.shown(row.extra)]):
                widths[i] = max(widths[i], _display_len(value) + 2)
        if row.status == "ok" and row.results_count is not None and len(chart_points) < chart_rows:
            chart_points.append((_chart_label(row.row_number, texts), row.results_count))
    widths = [min(MAX_WIDTH, max(MIN_WIDTH, w)) for w in widths]
    return _Stream(written, widths, chart_points)


class _ExtraCells:
    """The cells of the extra columns (`ExtraColumn`): numbers, percentages and date-times
    with their formats, text as inline strings; None (or a non-finite number) leaves it blank."""

    def __init__(self, ws: Any, columns: Sequence[ExtraColumn], time_style: int) -> None:
        self.columns = list(columns)
        formats = {"count": COUNT_FORMAT, "percent": PERCENT_FORMAT}
        self.styles = [
            time_style
            if c.kind == "datetime"
            else _cell(ws, 0.0, formats[c.kind]).style_id
            if c.kind in formats
            else 0
            for c in self.columns
        ]

    def xml(self, letters: Sequence[str], r: str, values: Sequence[Any]) -> list[str]:
        parts: list[str] = []
        for letter, style, value in zip(letters, self.styles, values, strict=False):
            ref = letter + r
            if isinstance(value, datetime):
                parts.append(f'<c r="{ref}" s="{style}"><v>{_excel_serial(value)!r}</v></c>')
            elif isinstance(value, str):
                if value:
                    parts.append(_xml_text(ref, value))
            elif (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
            ):
                parts.append(f'<c r="{ref}" s="{style}"><v>{value!r}</v></c>')
        return parts

    def shown(self, values: Sequence[Any]) -> list[str]:
        """Roughly what each cell displays, for the column widths."""
        texts = []
        for column, value in zip(self.columns, values, strict=False):
            if value is None:
                texts.append("")
            elif column.kind == "datetime":
                texts.append("yyyy-mm-dd hh:mm:ss")
            elif column.kind == "percent":
                texts.append("+100.0%")
            elif column.kind == "count" and isinstance(value, (int, float)):
                texts.append(f"{value:,.0f}")
            else:
                texts.append(str(value))
        return texts + [""] * (len(self.columns) - len(texts))


_EXCEL_EPOCH = datetime(1899, 12, 30)


def _excel_serial(when: datetime) -> float:
    """An Excel date-time serial in UTC (Excel has no zones: the header says UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return round((when - _EXCEL_EPOCH).total_seconds() / 86400, 8)


def _xml_text(ref: str, value: str) -> str:
    """An inline-string cell: `t="inlineStr"` is text to Excel, never a formula or error."""
    text = excel_text(value)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r", "&#13;")  # a raw CR would be normalised away by XML parsers
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _write_results_shell(
    ws: Any, headers: Sequence[str], stream: _Stream, extra_names: Sequence[str] = ()
) -> None:
    for i, width in enumerate(stream.widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    names = [str(h) if h else None for h in headers]  # a blank header stays an empty cell
    cells = [_cell(ws, h, font=HEADER_FONT, fill=INPUT_HEADER_FILL) for h in names]
    cells += [_cell(ws, h, font=HEADER_FONT, fill=RESULT_HEADER_FILL) for h in RESULT_COLUMNS]
    cells += [_cell(ws, h, font=HEADER_FONT, fill=RESULT_HEADER_FILL) for h in extra_names]
    ws.append(cells)
    last_column = get_column_letter(len(stream.widths))
    ws.auto_filter.ref = f"A1:{last_column}{stream.written + 1}"


def _splice(
    shell: io.BytesIO, sheet_part: str, body: IO[bytes], out: IO[bytes], *, macro_enabled: bool
) -> None:
    """Copy the openpyxl package to `out`, inserting the streamed rows after the header row."""
    shell.seek(0)
    with (
        zipfile.ZipFile(shell) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            if name == "[Content_Types].xml" and macro_enabled:
                # Excel refuses an .xlsm typed as .xlsx; the type alone is enough (no macros).
                data = data.replace(XLSX_MAIN_TYPE, XLSM_MAIN_TYPE)
            if name != sheet_part:
                target.writestr(name, data)
                continue
            head, end_tag, tail = data.partition(b"</sheetData>")
            if not end_tag:
                raise RuntimeError(f"openpyxl wrote {sheet_part} without sheetData")
            info = zipfile.ZipInfo(name, time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(info, "w", force_zip64=True) as dest:
                dest.write(head)
                body.seek(0)
                shutil.copyfileobj(body, dest, 1 << 20)
                dest.write(end_tag + tail)


def _chart_label(row_number: int, texts: list[str]) -> str:
    first = next((t.strip() for t in texts if t.strip()), "")
    label = f"row {row_number}: {first}" if first else f"row {row_number}"
    return label if len(label) <= CHART_LABEL_LIMIT else label[: CHART_LABEL_LIMIT - 1] + "…"


def _summary_lines(summary: Summary) -> list[tuple[str, Any, str | None]]:
    """(label, value, number format) for the Summary table."""
    statuses = ["ok", "invalid", "failed", "skipped"]
    statuses += [s for s in summary.rows_by_status if s not in statuses]
    test_mode = f"yes: {FICTIONAL}" if summary.test_mode else "no"
    outcome = f"stopped early: {summary.stop_reason}" if summary.stop_reason else "complete"
    lines: list[tuple[str, Any, str | None]] = [
        ("Input", summary.input_name, None),
        ("Mode", summary.mode, None),
        ("Test mode", test_mode, None),
    ]
    lines += [
        (f"Rows {status}", summary.rows_by_status.get(status, 0), COUNT_FORMAT)
        for status in statuses
    ]
    lines += [
        ("Rows total", sum(summary.rows_by_status.values()), COUNT_FORMAT),
        ("Total leads (ok rows)", summary.total_leads, COUNT_FORMAT),
        ("Money spent (sum of receipts)", summary.money_spent, MONEY_FORMAT),
        ("Saved by merging duplicates", summary.saved_by_merging, MONEY_FORMAT),
        ("Saved by resuming", summary.saved_by_resuming, MONEY_FORMAT),
        ("Possibly billed twice (requests)", summary.possibly_billed_twice, COUNT_FORMAT),
        ("Price per request", summary.price, MONEY_FORMAT),
        ("Price source", summary.price_source, None),
        ("Started", _datetime(summary.started), DATETIME_FORMAT),
        ("Finished", _datetime(summary.finished), DATETIME_FORMAT),
        ("Duration", _duration(summary.started, summary.finished), None),
        ("batchcount version", summary.version, None),
        ("Outcome", outcome, None),
    ]
    lines += [(label, value, None) for label, value in summary.extra]
    return lines


def _write_summary(ws: Any, summary: Summary, chart_points: list[tuple[str, int]]) -> None:
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 48
    ws.append([_cell(ws, "batchcount results summary", font=TITLE_FONT)])
    if summary.test_mode:
        ws.append([_cell(ws, TEST_MODE_BANNER, font=BANNER_FONT, fill=BANNER_FILL)])
    lines = _summary_lines(summary)
    for label, value, number_format in lines:
        ws.append([_cell(ws, label, font=BOLD), _cell(ws, value, number_format)])
    ws.append([])
    if not chart_points:
        ws.append([_cell(ws, "No ok rows: nothing to chart.")])
        return
    ws.append([_cell(ws, "Segment", font=BOLD), _cell(ws, "Leads", font=BOLD)])
    header_row = len(lines) + (4 if summary.test_mode else 3)  # title, banner, blank, header
    for label, count in chart_points:
        ws.append([_cell(ws, label), _cell(ws, count, COUNT_FORMAT)])
    _add_chart(ws, header_row, len(chart_points))


def _add_chart(ws: Any, header_row: int, count: int) -> None:
    chart = BarChart()
    chart.type = "bar"  # horizontal bars keep long segment labels readable
    chart.title = f"Leads per segment (first {count} ok rows)"
    chart.legend = None
    chart.y_axis.title = "Leads"
    # openpyxl 3.1 leaves axes marked deleted unless told otherwise; Excel then hides labels.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # first row at the top, like the table
    data = Reference(ws, min_col=2, min_row=header_row, max_row=header_row + count)
    categories = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + count)
    chart.add_data(data, titles_from_data=True)
    # A string reference: openpyxl's set_categories declares the labels numeric.
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=str(categories)))
    chart.width = 20
    chart.height = max(7.5, 0.6 * count + 2)
    ws.add_chart(chart, "D2")
