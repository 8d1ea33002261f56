"""The plan: every row's check, its fingerprint, and the requests once duplicates are merged.

A plan holds per-row arrays (status, segment group) and builds a row's `RowCheck` and its
fingerprint only when asked: `check` on a 100k-row sheet needs the counts and the first few
messages, not 100k objects and hashes. `rows` and `requests` materialise them (the run and
the reports use them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from batchcount.plan.fingerprints import fingerprint
from batchcount.plan.rows import RowCheck

MessageKind = Literal["errors", "warnings", "notes"]


@dataclass(frozen=True)
class PlannedRow:
    check: RowCheck
    fingerprint: str | None = None  # valid rows only
    duplicate_of: int | None = None  # row number that carries this segment's request
    segment: tuple[str, ...] = ()  # --explode: this segment's value of each exploded column
    duplicate_segment: tuple[str, ...] = ()  # --explode: the segment of `duplicate_of` sent


class Plan:
    """Rows in input order; `requests` maps fingerprint -> body in first-seen order."""

    def __init__(
        self,
        mode: str,
        row_numbers: Sequence[int],
        statuses: Sequence[str],
        groups: Sequence[Hashable | None],
        check_at: Callable[[int], RowCheck],
        fingerprint_at: Callable[[int], str],
        attention: Sequence[int] = (),
        message_counts: dict[str, int] | None = None,
        first_index: dict[Hashable, int] | None = None,
        grouped: int | None = None,
        segments: Sequence[tuple[str, ...]] | None = None,
        fingerprints_at: Callable[[list[int]], list[str]] | None = None,
    ) -> None:
        """Row i's segment is `groups[i]` (None unless valid: rows of one group are one
        request) and its fingerprint `fingerprint_at(i)`; `check_at(i)` builds its check.
        `attention` lists (ascending) the rows that may carry messages, `message_counts`
        their totals by kind (skipped rows' reasons not counted); `first_index` maps each
        group to its first row index and `grouped` counts the grouped rows (both worked out
        here when not given). `segments` (with --explode) holds each row's exploded values;
        `fingerprints_at(indexes)`, when given, gives many fingerprints at once."""
        self.mode = mode
        self._numbers = row_numbers
        self._statuses = statuses
        self._groups = groups
        self._check_at = check_at
        self._fingerprint_at = fingerprint_at
        self._fingerprints_at = fingerprints_at
        self._attention = attention
        self._counts = message_counts or {"errors": 0, "warnings": 0, "notes": 0}
        if first_index is None:
            first_index = {}
            for i, group in enumerate(groups):
                if group is not None and group not in first_index:
                    first_index[group] = i
        self._first_index = first_index
        if grouped is None:
            grouped = sum(1 for g in groups if g is not None)
        self._grouped = grouped
        self._segments = segments
        self.hints: list[str] = []  # about the sheet as a whole (e.g. a filled-down column)
        self._rows: list[PlannedRow] | None = None
        self._requests: dict[str, dict[str, Any]] | None = None
        self._first_row: dict[str, int] | None = None
        self._fingerprints: dict[int, str] = {}  # first row index -> its fingerprint
        self._first_items: list[tuple[str, int]] = []  # (fingerprint, its first row index)

    def __len__(self) -> int:
        return len(self._statuses)

    @property
    def rows(self) -> list[PlannedRow]:
        if self._rows is None:
            self._rows = [self.row(i) for i in range(len(self._statuses))]
        return self._rows

    def row(self, i: int) -> PlannedRow:
        group = self._groups[i]
        segment = self._segments[i] if self._segments is not None else ()
        if group is None:
            return PlannedRow(self._check_at(i), segment=segment)
        first = self._first_index[group]
        duplicate = self._numbers[first] if first != i else None
        fp = self._fingerprints.get(first)
        if fp is None:
            fp = self._fingerprints[first] = self._fingerprint_at(first)
        sent = self._segments[first] if self._segments is not None and first != i else ()
        return PlannedRow(self._check_at(i), fp, duplicate, segment, sent)

    @property
    def exploded(self) -> bool:
        """--explode: rows are segments of exploded cells."""
        return self._segments is not None and any(self._segments)

    @property
    def requests(self) -> dict[str, dict[str, Any]]:
        """fingerprint -> the body sent for it (its first row's), first-seen order."""
        if self._requests is None:
            out: dict[str, dict[str, Any]] = {}
            for i in sorted(self._first_index.values()):
                body = self._check_at(i).body
                assert body is not None  # only valid rows (which have a body) are grouped
                out[self._fingerprint_at(i)] = body
            self._requests = out
        return self._requests

    def request_items(self, skip: Collection[str] = frozenset()) -> Iterator[tuple[str, Any]]:
        """(fingerprint, body) to send, first-seen order, leaving out `skip` (answered ones)
        without building their bodies: a rerun with everything answered builds none."""
        if self._requests is not None:
            yield from ((fp, b) for fp, b in self._requests.items() if fp not in skip)
            return
        self.first_row  # noqa: B018 (works out the fingerprints of the first rows)
        for fp, i in self._first_items:
            if fp not in skip:
                body = self._check_at(i).body
                assert body is not None  # only valid rows (which have a body) are grouped
                yield fp, body

    @property
    def first_row(self) -> dict[str, int]:
        """fingerprint -> the row number that is sent, first-seen order."""
        if self._first_row is None:
            firsts = sorted(self._first_index.values())
            if self._fingerprints_at is not None:
                fps = self._fingerprints_at(firsts)
            else:
                fps = [self._fingerprint_at(i) for i in firsts]
            self._first_items = list(zip(fps, firsts, strict=True))
            self._first_row = {fp: self._numbers[i] for fp, i in self._first_items}
        return self._first_row

    def status_counts(self) -> Counter[str]:
        return Counter(self._statuses)

    def count(self, status: str) -> int:
        return self.status_counts()[status]

    @property
    def distinct(self) -> int:
        return len(self._first_index)

    @property
    def duplicates(self) -> int:
        return self._grouped - len(self._first_index)

    def message_count(self, kind: MessageKind) -> int:
        return self._counts[kind]

    def messages(self, kind: MessageKind) -> Iterator[str]:
        """Every message of one kind, in row order (skipped rows' reasons excluded)."""
        for i in self._attention:
            if self._statuses[i] != "skipped":
                yield from getattr(self._check_at(i), kind)

    def skipped(self) -> Iterator[tuple[int, str]]:
        """(row number, reason) of rows skipped for a reason (not blank rows)."""
        for i in self._attention:
            if self._statuses[i] == "skipped":
                yield self._numbers[i], "; ".join(self._check_at(i).notes)


def make_plan(
    checks: Sequence[RowCheck], mode: str, segments: Sequence[tuple[str, ...]] | None = None
) -> Plan:
    """A plan over rows checked one by one (`rows.check_row`); `segments` (with --explode):
    each check's exploded values, same order as `checks`."""
    fps: list[str | None] = []
    by_body: dict[int, str] = {}  # id(body) -> fingerprint: repeated rows share one body
    counts = {"errors": 0, "warnings": 0, "notes": 0}
    attention: list[int] = []
    for i, check in enumerate(checks):
        if check.errors or check.warnings or check.notes:
            attention.append(i)
            if check.status != "skipped":
                counts["errors"] += len(check.errors)
                counts["warnings"] += len(check.warnings)
                counts["notes"] += len(check.notes)
        if check.status != "valid" or check.body is None:
            fps.append(None)
            continue
        fp = by_body.get(id(check.body))  # ids are unique: every body lives in `checks`
        if fp is None:
            fp = by_body[id(check.body)] = fingerprint(check.body, mode)
        fps.append(fp)

    def fingerprint_at(i: int) -> str:
        fp = fps[i]
        assert fp is not None
        return fp

    return Plan(
        mode,
        [c.row_number for c in checks],
        [c.status for c in checks],
        fps,
        checks.__getitem__,
        fingerprint_at,
        attention,
        counts,
        segments=segments,
    )
