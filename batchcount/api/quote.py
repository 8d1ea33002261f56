"""What a run is about to spend, as the prompt (or a `confirm` callback) sees it."""

from __future__ import annotations

from dataclasses import dataclass, fields

from batchcount.output.canary_table import CanaryRow, intro_lines, table_lines
from batchcount.output.report import estimate_lines
from batchcount.plan.estimate import Estimate

__all__ = ["CanaryRow", "Quote"]


@dataclass(frozen=True)
class Quote(Estimate):
    """The estimate shown before spending: an `Estimate` (rows, valid, invalid, blank,
    duplicates, distinct, already_done, billable, price, price_source, cost, saved_by_merging,
    saved_by_resuming) plus the run's `mode`, the account's `balance` (None if unknown) and
    `test_mode` (a test key or the sandbox: counts are fictional, nothing is charged).
    `already_done` segments reuse counts from the count store (`reuse_lines` says from when).

    `str(quote)` is the text the command line prints above "Proceed? [y/N]".

    With a canary (`--canary N`, `count(canary=N)`) the run asks twice. The first quote is
    for the whole run, with `canary` = N (the requests counted first). The second comes after
    those N were answered: `canary_results` holds them (`CanaryRow`: row, label, filters,
    status, results_count, message), `canary_spent` their receipts, and `billable` / `cost`
    / `balance` are for the rest only.
    """

    mode: str = "realtime"
    balance: float | None = None
    test_mode: bool = False
    crashed: int = 0  # requests a crash left in flight: re-sent, possibly billed twice
    canary: int = 0  # first question: requests sent first, before asking again (0: no canary)
    canary_results: tuple[CanaryRow, ...] = ()  # second question: the canary's answers
    canary_spent: float = 0.0  # second question: the canary's receipts
    reuse_lines: tuple[str, ...] = ()  # the count store: reused (and from when), new, cost
    question: str = "Proceed?"  # with --fresh it also says what recounting gives up

    @classmethod
    def of(
        cls,
        estimate: Estimate,
        mode: str,
        balance: float | None,
        test_mode: bool,
        crashed: int = 0,
        *,
        canary: int = 0,
        canary_results: tuple[CanaryRow, ...] = (),
        canary_spent: float = 0.0,
        reuse_lines: tuple[str, ...] = (),
        question: str = "Proceed?",
    ) -> Quote:
        shared = {f.name: getattr(estimate, f.name) for f in fields(Estimate)}
        return cls(
            **shared,
            mode=mode,
            balance=balance,
            test_mode=test_mode,
            crashed=crashed,
            canary=canary,
            canary_results=canary_results,
            canary_spent=canary_spent,
            reuse_lines=reuse_lines,
            question=question,
        )

    def lines(self) -> list[str]:
        head: list[str] = []
        if self.canary_results:
            head = table_lines(self.canary_results, self.canary_spent, self.test_mode)
            head.append("The rest:")
        reuse = () if self.canary_results else self.reuse_lines  # said before the canary
        lines = estimate_lines(self, self.mode, self.balance, self.test_mode, self.crashed, reuse)
        if self.canary and not self.canary_results:
            rest = self.billable - self.canary
            lines += intro_lines(self.canary, rest, self.price, yes=False)
        return head + lines

    def __str__(self) -> str:
        return "\n".join(self.lines())
