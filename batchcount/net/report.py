"""What a run tells as it goes (Progress, for the bar) and when it ends (RunReport)."""

from __future__ import annotations

from dataclasses import dataclass, field

from batchcount.net.segment import Outcome

__all__ = ["Progress", "RunReport"]


@dataclass
class Progress:
    total: int
    done: int = 0
    ok: int = 0
    failed: int = 0
    spent: float = 0.0
    in_flight: int = 0
    rate_limited: int = 0
    level: int = 0  # requests allowed in flight now (the adaptive level, or the window)
    test_mode: bool = False
    stopping: bool = False  # a stop was decided: waiting for the requests in flight


@dataclass
class RunReport:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    stop_reason: str | None = None
    exit_code: int | None = None  # EXIT_STOPPED / EXIT_INTERRUPTED when stopped early
    spent: float = 0.0
    sent: int = 0
    rebilled: int = 0
    rate_limited: int = 0
    peak_level: int = 0  # the most requests allowed in flight at once during the run
    test_mode: bool = False
    abandoned: list[str] = field(default_factory=list)  # in flight when we stopped waiting
    start_price: float = 0.0  # what each request was reserved at when the run started
    max_receipt: float | None = None  # the highest amount_charged this run saw
    receipts_missing: int = 0  # 200s without a usable receipt, booked at the worst price
    reused: int = 0  # answered by other runs while this one ran (taken, not paid again)
