"""Which sheet of a workbook holds the segments: the first visible one with a mappable header.

A cover, README or instructions page often comes first. With a header scorer (injected by
plan), the first visible sheet whose header names a filter wins; when none has one, the
error lists every sheet with what its header looks like and the --sheet to write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchcount.errors import InputFileError
from batchcount.read.header import HeaderScore, best_header, looks_like

_COVER = re.compile(r"cover|read ?me|instruction|about|info|help|intro|notes?\b|guide|legend", re.I)


@dataclass
class SheetSurvey:
    name: str
    rows: Sequence[list[str]] | None  # None: empty or unreadable
    visible: bool
    blank: list[bool] = field(default_factory=list)
    frame: Any = None  # the reader's loaded frame, handed back when chosen
    empty_reason: str | None = None  # "has only 3 error cells (#N/A); ..." for a blank read
    failure: InputFileError | None = None
    header: tuple[int, float] | None = None  # (row index, score) when scored


@dataclass(frozen=True)
class Picked:
    name: str
    frame: Any
    notes: list[str]


def choose_sheet(
    names: list[str],
    survey: Callable[[str], SheetSurvey],
    score: HeaderScore | None,
    name: str,
) -> Picked:
    seen: list[SheetSurvey] = []
    for sheet_name in names:
        found = survey(sheet_name)
        seen.append(found)
        if found.rows is None:
            continue
        if score is not None:
            found.header = best_header(found.rows, found.blank, score)
        if found.visible and (score is None or found.header is None or found.header[1] > 0):
            return Picked(found.name, found.frame, _skipped_notes(seen[:-1], found, score))
    usable = [s for s in seen if s.rows is not None]
    if score is not None:
        hidden = [s for s in usable if s.header and s.header[1] > 0]
        if hidden:  # only a hidden sheet has a header naming filters: better than refusing
            return Picked(hidden[0].name, hidden[0].frame, _skipped_notes(seen, hidden[0], score))
    if len(usable) == 1 or (usable and score is None):
        # one sheet with data: read it; the mapping explains what its header lacks
        pick = next((s for s in usable if s.visible), usable[0])
        return Picked(pick.name, pick.frame, _skipped_notes(seen, pick, score))
    if not usable:
        failure = next((s.failure for s in seen if s.failure), None)
        if failure is not None and all(s.failure or not s.empty_reason for s in seen):
            raise failure
        raise InputFileError(_nothing_message(name, seen))
    raise InputFileError(_no_header_message(name, seen))


def _skipped_notes(
    before: list[SheetSurvey], chosen: SheetSurvey, score: HeaderScore | None
) -> list[str]:
    notes = []
    for s in before:
        if s is chosen:
            continue
        notes.append(f"sheet {s.name!r} {_what(s, score)}")
    if notes:
        why = (
            "the first visible sheet whose header names a filter"
            if score
            else "the first sheet with data"
        )
        if not chosen.visible:
            why = "a hidden sheet: no visible sheet has a header naming a filter"
        notes.append(f"read {chosen.name!r} ({why}); choose another with --sheet")
    return notes


def _what(s: SheetSurvey, score: HeaderScore | None) -> str:
    if s.failure is not None:
        return f"could not be read ({s.failure.message})"
    if s.rows is None:
        return s.empty_reason or "has no data"
    if not s.visible:
        return "is hidden"
    if s.header is not None:
        index = s.header[0]
        return f"has no header naming a filter (row {index + 1}: {looks_like(s.rows[index])})"
    return "was skipped"


def _nothing_message(name: str, seen: list[SheetSurvey]) -> str:
    if len(seen) == 1 and seen[0].empty_reason:
        return f"{name}: sheet {seen[0].name!r} {seen[0].empty_reason}"
    if not any(s.empty_reason for s in seen):
        listing = ", ".join(s.name for s in seen)
        return (
            f"{name} has no data: its sheets ({listing}) are all empty; put the segments on a "
            "sheet with a header row and save again"
        )
    lines = "; ".join(f"sheet {s.name!r} {_what(s, None)}" for s in seen)
    return f"{name} has no usable data: {lines}"


def _no_header_message(name: str, seen: list[SheetSurvey]) -> str:
    lines = "; ".join(f"{s.name!r} {_describe(s)}" for s in seen)
    usable = [s for s in seen if s.rows is not None]
    first = next((s for s in usable if s.visible and not _COVER.search(s.name)), usable[0])
    return (
        f"no sheet of {name} has a header naming a Generect filter (such as 'Job Titles', "
        f"'Seniorities', 'Locations', 'Company Industries'). Its sheets: {lines}. Choose the "
        f'sheet with --sheet and map its columns with --map, e.g. --sheet "{first.name}" '
        '--map "HEADER=job_titles"'
    )


def _describe(s: SheetSurvey) -> str:
    if s.rows is None:
        return s.empty_reason or ("could not be read" if s.failure else "is empty")
    index = s.header[0] if s.header else s.blank.index(False)
    hidden = " (hidden)" if not s.visible else ""
    return f"header row {index + 1}{hidden}: {looks_like(s.rows[index])}"
