"""Each distinct cell of a sent column, checked once: the unit of work of the columnar check.

`entry(text)` gives the same outcome as `rows._field_result` (tests compare them) plus what a
row needs from it without looking at the value again: its fingerprint piece and whether it
counts as a filter, an anchor or a realtime-only value. Plain list cells ("VP Sales; CTO"),
by far the most common, take a short path built from per-value answers cached across cells.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from batchcount.plan.commas import COMMA_LISTS, LOCATION_FIELDS
from batchcount.plan.fields import ANCHORS, NON_FILTERS, all_fields
from batchcount.plan.fingerprints import body_member, str_list_member
from batchcount.plan.placeholders import PLACEHOLDER_START, placeholder_problem
from batchcount.plan.rows import _field_result, _FieldResult
from batchcount.plan.skips import is_number, is_total_label, looks_like_footnote
from batchcount.plan.subtotals import looks_like_subtotal
from batchcount.plan.vocabulary import ValueCheck, _check_one, checked_fields

# Anything `cells.clean_text` would change beyond trimming spaces: whitespace other than a
# space (tabs, line breaks, no-break spaces: every character `str.isspace` accepts, a test
# checks the list), zero-width characters; and runs of spaces. Such cells take the full path.
OTHER_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
_TRICKY = re.compile(f"[{OTHER_SPACE}\u200b\ufeff]")


BLANK, ERROR, MESSAGE, REAL, ANCHOR, REALTIME_ONLY = 1, 2, 4, 8, 16, 32
NOTE_LIKE, LABEL, NUMERIC, SUBTOTAL_LIKE = 64, 128, 256, 512  # what a non-segment row holds
VALUE_FLAGS = REAL | ANCHOR | REALTIME_ONLY  # the bits that follow from the value alone


class Entry(NamedTuple):
    value: Any  # the cell's value (tuple for lists); None: the cell gives none
    errors: tuple[str, ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    member: str | None  # fingerprint piece; None when the body gets nothing from the cell
    # BLANK: empty or whitespace; ERROR; MESSAGE: any message; REAL: a filter that narrows
    # the count (not False, not an output option); ANCHOR: company name / link / id;
    # REALTIME_ONLY: database mode, a value only realtime mode accepts (the row is refused);
    # NOTE_LIKE: starts like a footnote ("Source: ...", "* excludes ..."); LABEL: a total
    # label ("Grand total"); NUMERIC: a number (a total row's sums); SUBTOTAL_LIKE: reads
    # like a group total label ("North Total", `subtotals`)
    flags: int


_NUMBER_START = frozenset("0123456789+-($€£¥.")
_BLANK_ENTRY = Entry(None, (), (), (), None, BLANK)
_EMPTY_ENTRY = Entry(None, (), (), (), None, 0)


class ColumnCells:
    """Checks the distinct cells of one sent column (field, separator and mode fixed)."""

    def __init__(
        self, name: str, separator: str, allow_unknown: bool, column: str, mode: str
    ) -> None:
        self.name = name
        self.separator = separator
        self.allow_unknown = allow_unknown
        self.column = column
        self.mode = mode
        spec = all_fields()[name]
        self._short = (
            spec.kind == "str_list" and name != "find_by_emails" and separator not in ("", "\n")
        )
        self._checked = name in checked_fields()
        self._comma_list = name in COMMA_LISTS and separator != ","
        self._locations = name in LOCATION_FIELDS and separator != ","
        self._db_realtime_only = mode == "database" and spec.realtime_only
        self._name_json = json.dumps(name, ensure_ascii=False)
        # a list value is never False, so it narrows the count unless it is an output option
        self._list_flags = (REAL * (name not in NON_FILTERS)) | (
            REALTIME_ONLY * self._db_realtime_only
        )
        self._space_before, self._space_after = f" {separator}", f"{separator} "
        self._values: dict[str, ValueCheck] = {}

    def entry(self, text: str) -> Entry:
        if not text or text.isspace():
            return _BLANK_ENTRY
        entry = self._entry_of(text)
        marks = (
            NOTE_LIKE * looks_like_footnote(text)
            | LABEL * is_total_label(text)
            | NUMERIC * (text.lstrip()[:1] in _NUMBER_START and is_number(text))
            | SUBTOTAL_LIKE * looks_like_subtotal(text)
        )
        return entry._replace(flags=entry.flags | marks) if marks else entry

    def _entry_of(self, text: str) -> Entry:
        if self._short:
            values = self._short_path(text)
            if values is not None:
                if not values:
                    return _EMPTY_ENTRY
                member = str_list_member(self._name_json, values)
                return Entry(values, (), (), (), member, self._list_flags)
        result = _field_result(self.name, text, self.separator, self.allow_unknown, self.column)
        return self._entry(result)

    def from_result(self, result: _FieldResult) -> Entry:
        """An entry for a value that does not come from a cell (a mapping-file constant)."""
        return self._entry(result)

    def _entry(self, result: _FieldResult) -> Entry:
        value = result.value
        errors, notes, warnings = result.errors, result.notes, result.warnings
        flags = ERROR * bool(errors) | MESSAGE * bool(errors or notes or warnings)
        if value is None or (self._db_realtime_only and value is False):
            # database mode drops a realtime-only FALSE ("not this filter") from the body
            return Entry(value, errors, notes, warnings, None, flags)
        if type(value) is tuple and all(type(v) is str for v in value):
            member = str_list_member(self._name_json, value)
        else:
            member = body_member(self.name, list(value) if isinstance(value, tuple) else value)
        flags |= REAL * (self.name not in NON_FILTERS and value not in (False, None))
        flags |= ANCHOR * (self.name in ANCHORS) | REALTIME_ONLY * self._db_realtime_only
        return Entry(value, errors, notes, warnings, member, flags)

    def _short_path(self, text: str) -> tuple[str, ...] | None:
        """The values of a plain list cell that all check clean (() for none); None: take
        the full path."""
        if "  " in text or _TRICKY.search(text):
            return None
        parts = text.split(self.separator)
        if (
            text[0] == " "
            or text[-1] == " "
            or self._space_before in text
            or self._space_after in text
        ):
            parts = [part.strip(" ") for part in parts]
        if len(parts) == 1:
            values: tuple[str, ...] = (parts[0],) if parts[0] else ()
        else:
            seen = dict.fromkeys(parts)
            seen.pop("", None)
            values = tuple(seen)
        if self._comma_list and "," in text and any(v.count(",") >= 2 for v in values):
            return None
        if any(v[:1] in PLACEHOLDER_START and placeholder_problem(v) for v in values):
            return None  # "N/A", "-", "#REF!": the full path refuses it
        if not self._checked:
            return values
        if self._locations and "," in text:
            return None
        out: list[str] = []
        known = self._values
        for value in values:
            one = known.get(value)
            if one is None:
                one = known[value] = _check_one(self.name, value, self.allow_unknown)
            if one.errors or one.notes or one.warnings:
                return None
            out.extend(one.values)
        if len(out) != len(set(out)):
            return None  # two spellings of one value: the full path notes the duplicate
        return tuple(out)
