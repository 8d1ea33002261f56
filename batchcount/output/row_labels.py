"""How a row is named: the canary table, the --compare movers (and, through labels.py, the
Summary chart and the Matrix blocks).

The label column is the first column not sent as a filter whose cells hold text, not only
numbers ("Segment", "Name"): analysts name their rows there. Without one (or with that cell
empty) a row is named by its filter values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from batchcount.plan.mapping import ColumnMap

LABEL_LIMIT = 40
FILTERS_LIMIT = 60
_SAMPLE_ROWS = 1000
_NUMBER_RE = re.compile(r"^[\s$€£%#.,+\-\d]*\d[\s$€£%#.,+\-\d]*$")


def label_column(
    headers: Sequence[str], columns: ColumnMap, rows: Sequence[Sequence[str]]
) -> int | None:
    """The first unsent column with a header whose cells hold text (not only numbers)."""
    sample = rows[:_SAMPLE_ROWS]
    for index in columns.passthrough:
        if index >= len(headers) or not headers[index].strip():
            continue
        values = [r[index] for r in sample if index < len(r) and r[index].strip()]
        if values and not all(_NUMBER_RE.match(v) for v in values):
            return index
    return None


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def filters_text(body: Mapping[str, Any] | None, limit: int = FILTERS_LIMIT) -> str:
    """'job_titles: CTO, CIO; locations: Germany' from a request body."""
    if not body:
        return ""
    parts = []
    for name, value in body.items():
        if isinstance(value, (list, tuple)):
            shown = ", ".join(
                v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value
            )
        elif isinstance(value, str):
            shown = value
        else:
            shown = json.dumps(value, ensure_ascii=False)
        parts.append(f"{name}: {shown}")
    return clip("; ".join(parts), limit)


def request_body(text: str) -> dict[str, Any] | None:
    """The body of a `request` cell, None if it is not a JSON object."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def row_label(cells: Sequence[str], label_index: int | None, body: Mapping[str, Any] | None) -> str:
    """The label cell, else the filter values; '' when there is neither."""
    if label_index is not None and label_index < len(cells):
        text = cells[label_index].strip()
        if text:
            return clip(text, LABEL_LIMIT)
    return filters_text(body, LABEL_LIMIT)
