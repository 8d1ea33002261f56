"""What a run is about to spend, as the prompt (or a `confirm` callback) sees it."""

from __future__ import annotations

from dataclasses import dataclass, fields

from batchcount.output.report import estimate_lines
from batchcount.plan.estimate import Estimate

__all__ = ["Quote"]


@dataclass(frozen=True)
class Quote(Estimate):
    """The estimate shown before spending: an `Estimate` (rows, valid, invalid, blank,
    duplicates, distinct, already_done, billable, price, price_source, cost, saved_by_merging,
    saved_by_resuming) plus the run's `mode`, the account's `balance` (None if unknown) and
    `test_mode` (a test key or the sandbox: counts are fictional, nothing is charged).

    `str(quote)` is the text the command line prints above "Proceed? [y/N]".
    """

    mode: str = "realtime"
    balance: float | None = None
    test_mode: bool = False
    crashed: int = 0  # requests a crash left in flight: re-sent, possibly billed twice

    @classmethod
    def of(
        cls,
        estimate: Estimate,
        mode: str,
        balance: float | None,
        test_mode: bool,
        crashed: int = 0,
    ) -> Quote:
        shared = {f.name: getattr(estimate, f.name) for f in fields(Estimate)}
        return cls(**shared, mode=mode, balance=balance, test_mode=test_mode, crashed=crashed)

    def lines(self) -> list[str]:
        return estimate_lines(self, self.mode, self.balance, self.test_mode, self.crashed)

    def __str__(self) -> str:
        return "\n".join(self.lines())
