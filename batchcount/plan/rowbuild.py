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
        with_messages: Sequence[bool],
    ) -> None:
        """`with_messages[i]`: whether any of row i's cells has a message."""
        self.cols = cols
        self.labels = [header_label(headers, c.index) for c in cols]
        self.loose = loose
        self.numbers = row_numbers
        self.statuses = statuses
        self.checks = checks
        self.skipped = skipped
        self.extra_notes = extra_notes
        self.extra_warnings = extra_warnings
        self.with_messages = with_messages
        self._ids: list[list[int]] | None = None
        self._values: list[list[Any]] = []  # per column, per entry: the body value or _NONE
        self._slots: list[tuple[str, int, list[Any]]] = []
        # the body's fields in schema order: a sent column (its position) or a constant
        slots: list[tuple[str, int | Entry]] = [(c.name, k) for k, c in enumerate(cols)]
        slots += list(loose.items())
        self.slots = sorted(slots, key=lambda slot: _ORDER[slot[0]])
        self.bodies: dict[tuple[int, ...], dict[str, Any]] = {}  # rows with equal cells share one

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
        if self._ids is None:
            self._ids = [col.ids for col in self.cols]
            self._values = [[_value(e) for e in col.entries] for col in self.cols]
            constant = len(self.cols)  # constants read entry 0 of a one-value list
            self._slots = [
                (name, constant, [_value(slot)])
                if isinstance(slot, Entry)
                else (name, slot, self._values[slot])
                for name, slot in self.slots
            ]
        ids = tuple([column[i] for column in self._ids])
        errors: list[str] = []
        found_notes: list[str] = []
        found_warnings: list[str] = []
        if self.with_messages[i]:
            for col, label, k in zip(self.cols, self.labels, ids, strict=True):
                entry = col.entries[k]
                if entry.errors or entry.notes or entry.warnings:
                    where = f"row {number}, {label}: "
                    errors.extend(where + m for m in entry.errors)
                    found_notes.extend(where + m for m in entry.notes)
                    found_warnings.extend(where + m for m in entry.warnings)
        body = self.bodies.get(ids)
        if body is None:
            body = self.bodies[ids] = self._body(ids)
        return RowCheck(
            number,
            "invalid" if errors else "valid",
            body,
            (*found_notes, *notes),
            (*found_warnings, *warnings),
            tuple(errors),
        )

    def _body(self, ids: tuple[int, ...]) -> dict[str, Any]:
        at = (*ids, 0)
        return {name: v for name, k, values in self._slots if (v := values[at[k]]) is not _NONE}


_NONE: Any = object()  # the body gets nothing from this entry


def _value(entry: Entry) -> Any:
    """An entry's value as the body holds it (lists, not tuples); shared by the bodies that
    use it, which nothing changes once built."""
    if entry.member is None:
        return _NONE
    value = entry.value
    return list(value) if type(value) is tuple else value
