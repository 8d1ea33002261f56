"""The `Summary` sheet: what a manager reads first.

PARTIAL (with what is left and the command that finishes it) at the very top when a run
stopped early; then totals as real numbers with formats (counts with thousands separators,
money as currency), constants sent with every row, and a bar chart labelled by segment.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef

from batchcount.output.style import (
    BANNER_FILL,
    BANNER_FONT,
    BOLD,
    COUNT_FORMAT,
    DATETIME_FORMAT,
    FICTIONAL,
    MONEY_FORMAT,
    TEST_MODE_BANNER,
    TITLE_FONT,
    WRAP,
    cell,
    duration,
    local_time,
)

LEADS_LABEL = "Total leads (each distinct segment once)"
LEADS_NOTE = (
    "duplicate rows are counted once; different segments can still share leads (a VP in "
    "Germany is in both 'Germany' and 'VP' rows), so this is not a count of unique people"
)
LABEL_WIDTH = (24, 44)
LINE_HEIGHT = 15  # points per line of wrapped text
VALUE_WIDTH = (14, 60)


@dataclass(frozen=True)
class Partial:
    """A run that stopped early: what is left and the command that finishes it."""

    rows_left: int  # valid rows (segments) not counted yet
    requests_left: int  # distinct requests still to send
    command: str  # the command line that resumes (no key in it, ever)
    cost_left: float = 0.0  # requests left at the run's price (an estimate)


@dataclass(frozen=True)
class Summary:
    input_name: str
    mode: str  # "realtime" | "database"
    test_mode: bool
    rows_by_status: Mapping[str, int]
    total_leads: int  # over distinct segments: a duplicate row is not counted twice
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
    # (label, value) or (label, value, number format): numbers stay numbers
    extra: Sequence[tuple[str, Any] | tuple[str, Any, str | None]] = ()
    constants: Sequence[tuple[str, str]] = ()  # (field, values) sent with every row
    partial: Partial | None = None
    exploded: str | None = None  # "Locations × Seniorities: 3 rows → 18 segments"


Line = tuple[str, Any, str | None]


def summary_lines(summary: Summary) -> list[Line]:
    """(label, value, number format) for the Summary table."""
    statuses = ["ok", "invalid", "failed", "skipped"]
    statuses += [s for s in summary.rows_by_status if s not in statuses]
    test_mode = f"yes: {FICTIONAL}" if summary.test_mode else "no"
    outcome = f"stopped early: {summary.stop_reason}" if summary.stop_reason else "complete"
    lines: list[Line] = [
        ("Input", summary.input_name, None),
        ("Mode", summary.mode, None),
        ("Test mode", test_mode, None),
    ]
    if summary.exploded:
        lines.append(("Exploded (--explode)", summary.exploded, None))
    for name, values in summary.constants:
        lines.append(("Sent with every row", f"{name}: {values} (mapping file constant)", None))
    lines += [
        (f"Rows {status}", summary.rows_by_status.get(status, 0), COUNT_FORMAT)
        for status in statuses
    ]
    lines += [
        ("Rows total", sum(summary.rows_by_status.values()), COUNT_FORMAT),
        (LEADS_LABEL, summary.total_leads, COUNT_FORMAT),
        ("About the total", LEADS_NOTE, None),
        ("Money spent (sum of receipts)", summary.money_spent, MONEY_FORMAT),
        ("Saved by merging duplicates", summary.saved_by_merging, MONEY_FORMAT),
        ("Saved by resuming", summary.saved_by_resuming, MONEY_FORMAT),
        ("Possibly billed twice (requests)", summary.possibly_billed_twice, COUNT_FORMAT),
        ("Price per request", summary.price, MONEY_FORMAT),
        ("Price source", summary.price_source, None),
        ("Started", local_time(summary.started), DATETIME_FORMAT),
        ("Finished", local_time(summary.finished), DATETIME_FORMAT),
        ("Duration", duration(summary.started, summary.finished), None),
        ("batchcount version", summary.version, None),
        ("Outcome", outcome, None),
    ]
    for item in summary.extra:
        label, value = item[0], item[1]
        fmt = item[2] if len(item) > 2 else None
        if fmt is None and isinstance(value, int) and not isinstance(value, bool):
            fmt = COUNT_FORMAT
        lines.append((label, value, fmt))
    return lines


def _partial_lines(partial: Partial, reason: str | None) -> list[Line]:
    why = f"the run stopped early ({reason})" if reason else "the run stopped early"
    return [
        ("PARTIAL", f"{why}: not every row is counted yet", None),
        ("Rows left (not counted yet)", partial.rows_left, COUNT_FORMAT),
        ("Requests left to send", partial.requests_left, COUNT_FORMAT),
        ("Estimated cost to finish", partial.cost_left, MONEY_FORMAT),
        ("Finish with", partial.command, None),
        ("", "it resumes: answered segments are never sent (or paid) again", None),
    ]


def _shown_len(value: Any, fmt: str | None) -> int:
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, (int, float)) and fmt:
        return len(f"{value:,.2f}") + 2
    return len(str(value))


def write_summary(ws: Any, summary: Summary, chart_points: Sequence[tuple[str, int]]) -> None:
    """Fill the write-only `ws` (widths first: write-only sheets fix them before rows)."""
    top = _partial_lines(summary.partial, summary.stop_reason) if summary.partial else []
    lines = summary_lines(summary)
    every = top + lines + [(label, count, COUNT_FORMAT) for label, count in chart_points]
    label_width = max((len(label) for label, _, _ in every), default=0) + 2
    value_width = max((_shown_len(v, f) for _, v, f in every), default=0) + 2
    ws.column_dimensions["A"].width = min(max(label_width, LABEL_WIDTH[0]), LABEL_WIDTH[1])
    ws.column_dimensions["B"].width = min(max(value_width, VALUE_WIDTH[0]), VALUE_WIDTH[1])
    row = 0

    def add(*cells: Any) -> None:
        nonlocal row
        ws.append(list(cells))
        row += 1

    wrap_at = int(ws.column_dimensions["B"].width) - 2

    def fit(value: Any) -> None:
        """A long text wraps: give its row the height of its lines (write-only rows take
        their height before they are written; Excel does not autofit them on open)."""
        if isinstance(value, str) and len(value) > wrap_at:
            lines = len(textwrap.wrap(value, wrap_at)) or 1
            ws.row_dimensions[row + 1].height = LINE_HEIGHT * lines + 3

    for label, value, fmt in top:
        style = {"font": BANNER_FONT, "fill": BANNER_FILL} if label == "PARTIAL" else {}
        fit(value)
        add(cell(ws, label, font=BANNER_FONT), cell(ws, value, fmt, alignment=WRAP, **style))
    if top:
        add()
    add(cell(ws, "batchcount results summary", font=TITLE_FONT))
    if summary.test_mode:
        add(cell(ws, TEST_MODE_BANNER, font=BANNER_FONT, fill=BANNER_FILL))
    for label, value, fmt in lines:
        fit(value)
        add(cell(ws, label, font=BOLD), cell(ws, value, fmt, alignment=WRAP))
    add()
    if not chart_points:
        add(cell(ws, "No ok rows: nothing to chart."))
        return
    add(cell(ws, "Segment", font=BOLD), cell(ws, "Leads", font=BOLD))
    header_row = row
    for label, count in chart_points:
        add(cell(ws, label), cell(ws, count, COUNT_FORMAT))
    _add_chart(ws, header_row, len(chart_points))


def _add_chart(ws: Any, header_row: int, count: int) -> None:
    chart = BarChart()
    chart.type = "bar"  # horizontal bars keep long segment labels readable
    chart.title = f"Leads per segment (first {count} ok rows)"
    chart.legend = None
    chart.y_axis.title = "Leads"
    chart.y_axis.numFmt = COUNT_FORMAT
    # openpyxl 3.1 leaves axes marked deleted unless told otherwise; Excel then hides labels.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # first row at the top, like the table
    data = Reference(ws, min_col=2, min_row=header_row, max_row=header_row + count)
    categories = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + count)
    chart.add_data(data, titles_from_data=True)
    # A string reference: openpyxl's set_categories declares the labels numeric.
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=str(categories)))
    chart.width = 24
    chart.height = max(7.5, 0.6 * count + 2)
    ws.add_chart(chart, "D2")
