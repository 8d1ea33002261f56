"""A row's RowCheck, built on demand from the entries its cells point at (the columnar check
keeps rows as vectors; the run and the reports ask for every row, `check` for a few)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from batchcount.plan.distinct import Entry
from batchcount.plan.mapping import header_label
from batchcount.plan.rows import _ORDER, RowCheck
from batchcount.plan.sentcolumn import SentColumn


class RowBuilder:
    """Builds a row's RowCheck on demand from the entries its cells point at."""

    def __init__(
        self,
        cols: list[SentColumn],
        loose: dict[str, Entry],
        headers: Sequence[str],
        row_numbers: Sequence[int],
        statuses: list[str],
        checks: dict[int, RowCheck],
        skipped: Mapping[int, str],
        extra_notes: Mapping[int, Sequence[str]],
        extra_warnings: Mapping[int, Sequence[str]],
    ) -> None:
        self.cols = cols
        self.labels = [header_label(headers, c.index) for c in cols]
        self.loose = loose
        self.numbers = row_numbers
        self.statuses = statuses
        self.checks = checks
        self.skipped = skipped
        self.extra_notes = extra_notes
        self.extra_warnings = extra_warnings

    def check_at(self, i: int) -> RowCheck:
        number, status = self.numbers[i], self.statuses[i]
        if status == "skipped":
            return RowCheck(number, "skipped", None, notes=(self.skipped[i],))
        notes = tuple(self.extra_notes.get(i, ()))
        warnings = tuple(self.extra_warnings.get(i, ()))
        check = self.checks.get(i)
        if check is not None:
            if (notes or warnings) and status != "blank":
                return RowCheck(
                    number,
                    check.status,
                    check.body,
                    (*check.notes, *notes),
                    (*check.warnings, *warnings),
                    check.errors,
                )
            return check
        if status == "blank":
            return RowCheck(number, "blank", None)
        errors: list[str] = []
        found_notes: list[str] = []
        found_warnings: list[str] = []
        body: dict[str, Any] = {}
        for col, label in zip(self.cols, self.labels, strict=True):
            entry = col.entries[col.ids[i]]
            if entry.errors or entry.notes or entry.warnings:
                where = f"row {number}, {label}: "
                errors.extend(where + m for m in entry.errors)
                found_notes.extend(where + m for m in entry.notes)
                found_warnings.extend(where + m for m in entry.warnings)
            if entry.member is not None:
                body[col.name] = entry.value
        for name, entry in self.loose.items():
            if entry.member is not None:
                body[name] = entry.value
        ordered = {
            k: list(v) if isinstance(v := body[k], tuple) else v
            for k in sorted(body, key=_ORDER.__getitem__)
        }
        return RowCheck(
            number,
            "invalid" if errors else "valid",
            ordered,
            (*found_notes, *notes),
            (*found_warnings, *warnings),
            tuple(errors),
        )
