"""Rows that are not segments: totals, footnotes, hidden rows. Skipped with a reason, never paid.

A report-style sheet ends with "Total" / "Grand total" rows and footnotes ("Source: ...",
"* excludes contractors"); sent as segments they would be paid for (or worse, counted as a
segment with a label for a job title). A row hidden or filtered out in Excel is usually "not
this time". Only clear cases are skipped: a cell that IS a total label, a cell starting with
"Total"/"Subtotal"/"Grand total" when every sent cell is empty or a number (so "Total Rewards
Managers" in a job-title column is a segment), a footnote marker or a lone long sentence in a
row whose sent cells are all empty.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import polars as pl

from batchcount.shown import shown

_TOTAL_LABELS = frozenset(
    {
        "total",
        "totals",
        "subtotal",
        "subtotals",
        "sub total",
        "sub-total",
        "grand total",
        "grand totals",
        "overall total",
        "total overall",
        "sum",
        "summe",
        "gesamt",
        "gesamtsumme",
        "total général",
        "total general",
        "totaal",
        "totale",
        "suma",
        "итого",
    }
)
_TOTAL_START = re.compile(r"(?:grand |sub[ -]?)?totals?\b")
_NUMBER = re.compile(r"[\s\d.,%$€£¥+\-()'’]*\d[\s\d.,%$€£¥+\-()'’]*")
_FOOTNOTE = re.compile(
    r"(?:sources?|notes?|nb|n\.b\.|disclaimer|footnote|remarks?|caveat)\s*[:.\-–]"
    r"|[*†‡§¹²³]|\(\d\)|\[\d\]|\d\)\s"
    r"|(?:excludes?|excluding|data as of|as of |prepared by|last updated|updated on"
    r"|generated (?:on|by)|copyright|©)",
    re.I,
)


@dataclass
class Skips:
    """Why rows are skipped (row index -> message), by kind (row numbers)."""

    reasons: dict[int, str] = field(default_factory=dict)
    hidden: list[int] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    footnotes: list[int] = field(default_factory=list)
    hidden_counted: int = 0  # hidden rows counted because of --include-hidden

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.hidden:
            many = len(self.hidden) != 1
            them = "them" if many else "it"
            out.append(
                f"{len(self.hidden)} hidden row{'s' * many} skipped ({_rows(self.hidden)}: "
                f"hidden or filtered out in Excel); --include-hidden counts {them}"
            )
        if self.hidden_counted:
            out.append(f"{self.hidden_counted} hidden rows counted (--include-hidden)")
        if self.totals:
            many = len(self.totals) != 1
            out.append(
                f"{len(self.totals)} total row{'s' * many} skipped ({_rows(self.totals)}): a "
                "total is not a segment"
            )
        if self.footnotes:
            many = len(self.footnotes) != 1
            out.append(
                f"{len(self.footnotes)} footnote row{'s' * many} skipped ({_rows(self.footnotes)})"
            )
        return out


def _rows(numbers: Sequence[int], shown_at_most: int = 8) -> str:
    """ "row 7", "rows 7-9, 12", "rows 2-4, 8, ... (20 rows)"."""
    spans: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    text = ", ".join(spans[:shown_at_most])
    if len(spans) > shown_at_most:
        text += f", ... ({len(numbers)} rows)"
    return ("row " if len(numbers) == 1 else "rows ") + text


def find_skips(
    rows: Sequence[Sequence[str]],
    row_numbers: Sequence[int],
    sent: Collection[int],
    hidden_rows: Collection[int],
    include_hidden: bool,
) -> Skips:
    """Hidden rows (totals and footnotes are found while the rows are checked, from what
    their sent cells hold: `not_segment`)."""
    skips = Skips()
    if hidden_rows:
        hidden = set(hidden_rows)
        for i, number in enumerate(row_numbers):
            if number in hidden and any(c.strip() for c in rows[i]):
                if include_hidden:
                    skips.hidden_counted += 1
                    continue
                skips.hidden.append(number)
                skips.reasons[i] = (
                    f"row {number} is hidden or filtered out in Excel: skipped, not counted "
                    "(--include-hidden counts hidden rows)"
                )
    return skips


def total_label(cells: Sequence[str], sent: Collection[int]) -> str | None:
    """The cell that makes this a total row, if it is one."""
    for index, cell in enumerate(cells):
        text = " ".join(cell.split()).casefold().rstrip(":.*").strip()
        if not text:
            continue
        if text in _TOTAL_LABELS:
            return cell.strip()
        if index not in sent and _TOTAL_START.match(text) and _sent_numbers_only(cells, sent):
            return cell.strip()
    return None


def _sent_numbers_only(cells: Sequence[str], sent: Collection[int]) -> bool:
    return all(not cells[i].strip() or _NUMBER.fullmatch(cells[i]) for i in sent if i < len(cells))


def looks_like_footnote(text: str) -> bool:
    return _FOOTNOTE.match(text if text[:1] != " " else text.lstrip()) is not None


LABEL_START = frozenset("tTsSgGoOиИ ")  # how every label above starts


def is_total_label(text: str) -> bool:
    return (
        len(text) <= 40
        and text[:1] in LABEL_START
        and " ".join(text.split()).casefold().rstrip(":.*") in _TOTAL_LABELS
    )


_SQUEEZE = r"[\x00-\x20:.*\-]"  # ASCII spaces and what label spellings add or drop
_SQUEEZED = sorted({re.sub(_SQUEEZE, "", label) for label in _TOTAL_LABELS})


def maybe_total_labels(cells: pl.Series) -> list[int]:
    """Indexes of the cells that may be total labels: every cell `is_total_label` accepts,
    and few others (ASCII casefolds like lowercase; a non-ASCII cell is always kept)."""
    first = cells.str.slice(0, 1).is_in(sorted(LABEL_START)) & (cells.str.len_chars() <= 40)
    at = first.arg_true()
    if at.len() == 0:
        return []
    some = cells.gather(at)
    keep = some.str.contains(r"[^\x00-\x7f]") | some.str.to_lowercase().str.replace_all(
        _SQUEEZE, ""
    ).is_in(_SQUEEZED)
    return at.filter(keep).to_list()


def is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None


def not_segment(cells: Sequence[str], number: int, sent: Collection[int]) -> tuple[str, str] | None:
    """("total" or "footnote", why) for a row that is not a segment, else None."""
    label = total_label(cells, sent)
    if label is not None:
        return "total", (
            f"row {number} is a total row ('{shown(label)}'), not a segment: skipped, not counted"
        )
    filled = [c for c in cells if c.strip()]
    if (
        filled
        and all(is_number(c) for c in filled)
        and not any(i < len(cells) and cells[i].strip() for i in sent)
    ):
        return "total", (
            f"row {number} holds only numbers and no filter (a total without a label?), not a "
            "segment: skipped, not counted"
        )
    why = footnote(cells, number)
    return ("footnote", why) if why is not None else None


def footnote(cells: Sequence[str], number: int) -> str | None:
    """Why a row whose sent cells are all empty is a footnote, if it is one: a single filled
    cell that starts like one ("Source: ...", "* excludes ...") or is a long sentence."""
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) != 1:
        return None
    text = filled[0]
    if _FOOTNOTE.match(text) or (len(text) >= 40 and len(text.split()) >= 6):
        shown_text = shown(text if len(text) <= 60 else text[:59] + "…")
        return f"row {number} is a footnote ('{shown_text}'), not a segment: skipped, not counted"
    return None
