"""The annotated output: a `Results` + `Summary` workbook, or the Results table as CSV
(written by `csv_output`; `write_output` picks the format from the file name).

Outputs are written atomically (temp file beside the target, fsync, `os.replace`): a crash, a
bad row or a file locked by Excel never leaves a half-written file where the results belong.
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
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
from batchcount.output.matrix import MatrixSource, write_matrix
from batchcount.output.sheet_xml import ExtraCells, excel_serial, splice, xml_text
from batchcount.output.style import (
    COUNT_FORMAT,
    DATETIME_FORMAT,
    EXCEL_CELL_LIMIT,
    HEADER_FONT,
    INPUT_HEADER_FILL,
    MONEY_FORMAT,
    RESULT_HEADER_FILL,
    TEST_MODE_BANNER,
    TRUNCATION_MARKER,
    WRAP,
    excel_text,
)
from batchcount.output.style import cell as _cell
from batchcount.output.summary import Partial, Summary, write_summary

__all__ = [
    "COUNT_FORMAT",
    "EXCEL_CELL_LIMIT",
    "MONEY_FORMAT",
    "TEST_MODE_BANNER",
    "TRUNCATION_MARKER",
    "ChartLabel",
    "Partial",
    "Summary",
    "excel_text",
    "write_output",
    "write_workbook",
]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv",)

WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60
CHART_LABEL_LIMIT = 48

# A bar's label from a Results row (`labels.Labeller.bar`); default: its first non-empty cell.
ChartLabel = Callable[[ResultRow], str]


# A Summary, or a function returning one: it is called only after every row has been written,
# so totals tallied while the rows stream out are complete.
SummarySource = Summary | Callable[[], Summary]


def write_output(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[ResultRow],
    summary: SummarySource,
    extra_columns: Sequence[ExtraColumn] = (),
    *,
    chart_label: ChartLabel | None = None,
    matrix: MatrixSource | None = None,
) -> None:
    """Write the results in the format the file name asks for (CSV: the Results table only)."""
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES:
        write_csv(path, headers, rows, extra_columns)
    elif suffix in WORKBOOK_SUFFIXES:
        write_workbook(
            path,
            headers,
            rows,
            summary,
            chart_label=chart_label,
            matrix=matrix,
            extra_columns=extra_columns,
        )
    else:
        supported = ", ".join(WORKBOOK_SUFFIXES + CSV_SUFFIXES)
        raise OutputFileError(
            f"Cannot write {path}: unsupported file type {suffix or '(none)'!r}. "
            f"Use a name ending in one of: {supported} (e.g. -o results.xlsx)."
        )


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
    chart_label: ChartLabel | None = None,
    matrix: MatrixSource | None = None,
    extra_columns: Sequence[ExtraColumn] = (),
) -> None:
    """Write the Results and Summary sheets (and Matrix, when columns were exploded),
    streaming `rows` (memory stays flat)."""
    path = Path(path)
    with atomic_output(path) as fh, tempfile.TemporaryFile() as body:
        wb = Workbook(write_only=True)
        results = wb.create_sheet("Results")
        summary_ws = wb.create_sheet("Summary")
        matrix_ws = wb.create_sheet("Matrix") if matrix is not None else None
        styles = _Styles(
            _cell(results, 0.0, MONEY_FORMAT).style_id,
            _cell(results, 0.0, DATETIME_FORMAT).style_id,
            _cell(results, "", alignment=WRAP).style_id,
        )
        label = chart_label or _first_cell_label(len(headers))
        extras = ExtraCells(results, extra_columns, styles.time)
        stream = _stream_results(body, headers, rows, chart_rows, styles, label, extras)
        # The small shell is built only after the rows: openpyxl's own temp files are never
        # left behind by a failing rows iterable.
        _write_results_shell(results, headers, stream, [c.name for c in extra_columns])
        resolved = summary() if callable(summary) else summary
        write_summary(summary_ws, resolved, stream.chart_points)
        if matrix_ws is not None and matrix is not None:
            write_matrix(matrix_ws, matrix())
        if resolved.partial is not None:
            wb.active = 1  # a stopped run opens on the Summary that says PARTIAL
        shell = io.BytesIO()
        wb.save(shell)
        splice(shell, results.path[1:], body, fh, macro_enabled=path.suffix.lower() == ".xlsm")


@dataclass
class _Stream:
    written: int
    widths: list[int]
    chart_points: list[tuple[str, int]]


@dataclass(frozen=True)
class _Styles:
    money: int
    time: int
    wrap: int  # the message column wraps: long messages stay readable at a fixed width


def _stream_results(
    body: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[ResultRow],
    chart_rows: int,
    styles: _Styles,
    chart_label: ChartLabel,
    extras: ExtraCells | None = None,
) -> _Stream:
    width = len(headers)
    extras = extras or ExtraCells(None, (), styles.time)
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
        parts += [xml_text(letters[i] + r, t) for i, t in enumerate(texts) if t]
        parts.append(f'<c r="{row_col}{r}"><v>{int(row.row_number)}</v></c>')
        if row.results_count is not None:
            parts.append(f'<c r="{count_col}{r}"><v>{int(row.results_count)}</v></c>')
        parts.append(xml_text(status_col + r, row.status))
        if row.amount_charged is not None and math.isfinite(row.amount_charged):
            amount = repr(float(row.amount_charged))
            parts.append(f'<c r="{money_col}{r}" s="{styles.money}"><v>{amount}</v></c>')
        if row.counted_at is not None:
            serial = repr(excel_serial(row.counted_at))
            parts.append(f'<c r="{time_col}{r}" s="{styles.time}"><v>{serial}</v></c>')
        if row.source:
            parts.append(xml_text(source_col + r, row.source))
        if message:
            parts.append(xml_text(message_col + r, message, styles.wrap))
        if row.request:
            parts.append(xml_text(request_col + r, row.request))
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
            chart_points.append((_clip(chart_label(row)), row.results_count))
    widths = [min(MAX_WIDTH, max(MIN_WIDTH, w)) for w in widths]
    return _Stream(written, widths, chart_points)


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


def _display_len(text: str) -> int:
    return max(map(len, text.splitlines())) if "\n" in text else len(text)


def _clip(label: str) -> str:
    return label if len(label) <= CHART_LABEL_LIMIT else label[: CHART_LABEL_LIMIT - 1] + "…"


def _first_cell_label(width: int) -> ChartLabel:
    """Without a labeller (plain callers): 'row N: ' and the row's first non-empty cell."""

    def label(row: ResultRow) -> str:
        texts, _ = fit_cells(row.cells, width)
        first = next((t.strip() for t in texts if t.strip()), "")
        return f"row {row.row_number}: {first}" if first else f"row {row.row_number}"

    return label
