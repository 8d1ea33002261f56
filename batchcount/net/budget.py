"""The --max-cost budget of a run: money spent plus money reserved for requests in flight."""

from __future__ import annotations

import threading

_EPS = 1e-9


class Budget:
    """--max-cost: in-flight requests count at their worst-case price, so the cap holds."""

    def __init__(self, max_cost: float | None, price: float) -> None:
        self.max_cost = max_cost
        self.price = price
        self.spent = 0.0
        self.reserved = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> bool:
        with self._lock:
            if self.max_cost is not None and (
                self.spent + self.reserved + self.price > self.max_cost + _EPS
            ):
                return False
            self.reserved += self.price
            return True

    def settle(self, charged: float) -> None:
        with self._lock:
            self.reserved -= self.price
            self.spent += charged

    def may_rebill(self) -> bool:
        """An attempt went out and got no answer: the server may have billed it, so it counts
        as spent whatever happens next. A retry is allowed if its reservation (still held)
        fits beside it."""
        with self._lock:
            self.spent += self.price
            return self.max_cost is None or self.spent + self.reserved <= self.max_cost + _EPS
