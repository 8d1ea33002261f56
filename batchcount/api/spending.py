"""Small money rules the run applies around the runner: the price every request is reserved
at, and what a run that may spend nothing (`--max-cost 0`) reports."""

from __future__ import annotations

from batchcount.errors import EXIT_STOPPED
from batchcount.net.runner import RunReport
from batchcount.plan.estimate import LIST_PRICE


def worst_price(mode: str, price: float, given: float | None) -> float:
    """What each request in flight is reserved at under --max-cost: the highest price known
    before any receipt (the tier's, and --price when given). Database counts are free."""
    if mode == "database":
        return price
    worst = max(price, given or 0.0)
    # a tier that says realtime counts are free: until a receipt proves it, the cap holds
    # at the list price
    return worst if worst > 0 else LIST_PRICE["realtime"]


def nothing_sent(left: int) -> RunReport:
    """`--max-cost 0`: the output is written from the journal; the rest are not sent."""
    return RunReport(
        stop_reason=(
            f"--max-cost $0: nothing was sent in this run ({left} segments not counted yet); "
            "rerun without --max-cost 0 to count them"
        ),
        exit_code=EXIT_STOPPED,
    )
