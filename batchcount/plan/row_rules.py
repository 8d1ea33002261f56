"""Rules about a row as a whole, once its cells are parsed: one company anchor at most,
realtime-only fields in database mode, at least one filter. Messages name the fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchcount.plan.fields import ANCHORS, NON_FILTERS, all_fields
from batchcount.plan.mapping import ColumnMap, header_label
from batchcount.shown import shown

__all__ = ["structure_errors"]


def _shown(value: Any) -> str:
    """A body value as a message shows it: 'Acme', 'a; b', 2135371."""
    if isinstance(value, (list, tuple)):
        return "'" + shown("; ".join(str(v) for v in value)) + "'"
    return f"'{shown(value)}'" if isinstance(value, str) else str(value)


def _label(name: str, source: dict[str, str], headers: Sequence[str], columns: ColumnMap) -> str:
    if source.get(name):
        return source[name]
    for index, field_name in columns.fields.items():
        if field_name == name:
            return header_label(headers, index)
    return name


def structure_errors(
    row_number: int,
    body: dict[str, Any],
    source: dict[str, str],
    headers: Sequence[str],
    columns: ColumnMap,
    mode: str,
) -> list[str]:
    """Whole-row rules: one company anchor at most, realtime-only fields refused in database
    mode (a FALSE there is dropped), and at least one filter."""
    errors: list[str] = []
    anchors = [name for name in ANCHORS if name in body]
    if len(anchors) > 1:
        shown = " and ".join(
            f"{_label(a, source, headers, columns)} ({_shown(body[a])})" for a in anchors
        )
        errors.append(
            f"row {row_number}: {shown} are all filled; give only one of company name, "
            "company LinkedIn URL or company id (clear the others)"
            if len(anchors) > 2
            else f"row {row_number}: {shown} are both filled; give only one of company name, "
            "company LinkedIn URL or company id (clear the other)"
        )
    if mode == "database":
        fields = all_fields()
        for name in list(body):
            if fields[name].realtime_only and body[name] is False:
                del body[name]  # FALSE means "not this filter": nothing to refuse
            elif fields[name].realtime_only:
                errors.append(
                    f"row {row_number}, {_label(name, source, headers, columns)}: "
                    f"{_shown(body[name])}: {name} needs realtime mode; database mode does not "
                    "support it (run with --mode realtime, or clear this cell)"
                )
    real = [n for n, v in body.items() if n not in NON_FILTERS and v not in (False, None)]
    if not real:
        errors.append(
            f"row {row_number}: no filter is filled in, so it would count every lead; fill in "
            "at least one filter column (job titles, locations, industries, ...) or clear the row"
        )
    return errors
