"""--max-cost: the cap holds against what the API bills, not only against the estimate.

Every request in flight is reserved at the worst price known: the highest of the price the
run started with (the tier's price, `--price`) and every receipt (`amount_charged`) seen so
far. A receipt above that raises the price for every reservation from then on. Money that
may have been billed without a receipt (an attempt that got no answer, a 200 whose body could
not be read, a 200 without a usable receipt) is booked at that worst price.
"""

from __future__ import annotations

import threading

_EPS = 1e-9


class Budget:
    def __init__(self, max_cost: float | None, price: float) -> None:
        self.max_cost = max_cost
        self.start_price = price
        self.worst = price  # the price every reservation is held at
        self.spent = 0.0  # receipts plus what was booked without one
        self.held = 0  # requests in flight, each reserved at `worst`
        self.max_receipt: float | None = None  # the highest amount_charged seen
        self._lock = threading.Lock()

    def _fits(self, more: int) -> bool:
        if self.max_cost is None:
            return True
        return self.spent + (self.held + more) * self.worst <= self.max_cost + _EPS

    def reserve(self) -> bool:
        """Before a request is taken: True if it fits beside everything spent and held."""
        with self._lock:
            if not self._fits(1):
                return False
            self.held += 1
            return True

    def settle(self, charged: float | None) -> float:
        """The request's reservation ends. `charged`: its receipt; None books the worst price
        (a 200 without a usable receipt). 0 for a request that was not answered 200 (what it
        may have cost was booked by `may_rebill`). Returns the amount booked."""
        with self._lock:
            self.held -= 1
            amount = self.worst if charged is None else charged
            self.spent += amount
            if charged is not None and charged > 0:
                self.max_receipt = max(self.max_receipt or 0.0, charged)
                self.worst = max(self.worst, charged)
            return amount

    def may_rebill(self) -> bool:
        """An attempt went out and got no usable answer: the server may have billed it, so it
        counts as spent at the worst price whatever happens next. A retry is allowed if its
        reservation (still held) fits beside it."""
        with self._lock:
            self.spent += self.worst
            return self._fits(0)


def requests_within(max_cost: float | None, price: float, billable: int) -> int:
    """How many of `billable` requests a cap lets out when each costs `price`."""
    if max_cost is None or price <= 0:
        return billable
    return min(billable, int((max_cost + _EPS) // price))
