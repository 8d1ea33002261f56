"""`--canary N`: the words around the canary (before the first prompt) and its small table of
answers (before the second)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from batchcount.output.row_labels import clip
from batchcount.plan.estimate import money

_LABEL_WIDTH = 24
_FILTERS_WIDTH = 48


@dataclass(frozen=True)
class CanaryRow:
    """One canary request as answered: the input row that carries it, how it is named
    (the label column, else its filters), its filters, and the answer."""

    row: int
    label: str
    filters: str
    status: str  # "ok" | "failed" | "skipped"
    results_count: int | None
    message: str = ""  # why it failed


def intro_lines(size: int, rest: int, price: float, yes: bool) -> list[str]:
    """What happens with --canary, shown under the estimate."""
    first = f"Canary: the first {size} request{'s' if size > 1 else ''} in input order"
    if yes:
        return [
            f"{first} ({money(size * price)}) are counted first and shown;",
            f"  the other {rest} follow unless one of them fails (--yes).",
        ]
    return [
        f"{first} ({money(size * price)}) are counted first;",
        f"  you see their counts and are asked again before the other {rest} "
        f"({money(rest * price)}).",
    ]


def not_a_canary_line(size: int, billable: int) -> str:
    return (
        f"--canary {size}: there {'is' if billable == 1 else 'are'} only {billable} "
        f"request{'s' if billable != 1 else ''} to send, so this is a normal run "
        "(no second question)."
    )


def table_lines(rows: Sequence[CanaryRow], spent: float, test_mode: bool) -> list[str]:
    """The canary's answers: row, label, filters, count (or why it has none)."""
    ok = sum(1 for r in rows if r.status == "ok")
    charged = f"spent {money(spent)}" + (" (test mode: nothing charged)" if test_mode else "")
    lines = [f"Canary: {ok} of {len(rows)} requests answered, {charged}"]
    labels = [clip(r.label, _LABEL_WIDTH) for r in rows]
    filters = [clip(r.filters, _FILTERS_WIDTH) for r in rows]
    counts = [_answer(r) for r in rows]
    row_w = max([3, *(len(str(r.row)) for r in rows)])
    label_w = max([5, *(len(x) for x in labels)])
    filters_w = max([7, *(len(x) for x in filters)])
    lines.append(f"  {'row':<{row_w}}  {'label':<{label_w}}  {'filters':<{filters_w}}  count")
    for r, label, shown, count in zip(rows, labels, filters, counts, strict=True):
        lines.append(f"  {r.row:<{row_w}}  {label:<{label_w}}  {shown:<{filters_w}}  {count}")
    return lines + warning_lines(rows)


def warning_lines(rows: Sequence[CanaryRow]) -> list[str]:
    failed = [r for r in rows if r.status != "ok"]
    zero = [r for r in rows if r.status == "ok" and r.results_count == 0]
    lines = []
    if failed:
        lines.append(
            f"Warning: {len(failed)} canary request{'s' if len(failed) > 1 else ''} failed "
            f"({_rows(failed)}): look at "
            f"{'them' if len(failed) > 1 else 'it'} before paying for the rest."
        )
    if zero:
        lines.append(
            f"Warning: {len(zero)} canary count{'s are' if len(zero) > 1 else ' is'} 0 "
            f"({_rows(zero)}): check those filters (a misspelt "
            "value counts 0 and is still billed) before paying for the rest."
        )
    return lines


def _rows(rows: Sequence[CanaryRow]) -> str:
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(str(r.row) for r in rows)


def _answer(row: CanaryRow) -> str:
    if row.status == "ok" and row.results_count is not None:
        return f"{row.results_count:,}"
    return f"{row.status}: {clip(row.message, 80)}" if row.message else row.status
