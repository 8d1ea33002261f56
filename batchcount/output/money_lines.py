"""What the cap and the receipts mean, in lines for the prompt, the closing lines and the
Summary. Pure functions, so the CLI stays the only printer."""

from __future__ import annotations

from batchcount.net.budget import requests_within
from batchcount.net.runner import RunReport
from batchcount.plan.estimate import Estimate, money

_EPS = 1e-9


def cap_lines(max_cost: float | None, price: float, billable: int) -> list[str]:
    """Where --max-cost will stop the run, said before the prompt, at `price`, what each
    request is expected to cost (the estimate's). Requests in flight are reserved at the
    highest price known, so the run may stop a few requests earlier: hence "about"."""
    if max_cost is None or billable == 0:
        return []
    if max_cost == 0:
        return [
            "--max-cost $0: nothing will be sent; the output is written from what the "
            "journal already holds"
        ]
    if price <= 0:
        return [f"--max-cost {money(max_cost)}: these counts are free; the cap does not limit them"]
    within = requests_within(max_cost, price, billable)
    if within >= billable:
        return [
            f"--max-cost {money(max_cost)}: at or above the estimate "
            f"({money(billable * price)}); the cap should not stop this run"
        ]
    return [
        f"--max-cost {money(max_cost)}: the cap stops after about {within} of {billable} "
        f"requests ({money(within * price)} at {money(price)} each); the rest are left for a "
        "rerun with a higher cap"
    ]


def receipts_above(report: RunReport, estimate: Estimate) -> bool:
    return report.max_receipt is not None and report.max_receipt > estimate.price + _EPS


def receipt_lines(report: RunReport, estimate: Estimate) -> list[str]:
    """After the run: receipts that did not match the estimate's price, missing receipts."""
    lines = []
    if receipts_above(report, estimate):
        lines.append(
            f"Receipts were above the estimate: the API billed up to "
            f"{money(report.max_receipt or 0.0)} a request, the estimate used "
            f"{money(estimate.price)} ({estimate.price_source}); this run spent "
            f"{money(report.spent)} against an estimate of {money(estimate.cost)}."
        )
    if report.receipts_missing:
        lines.append(
            f"{report.receipts_missing} answers came without a usable receipt "
            "(meta.amount_charged): each is booked at the highest price known and its row "
            "says 'receipt missing'."
        )
    return lines


def receipt_rows(report: RunReport, estimate: Estimate) -> list[tuple[str, str]]:
    """Extra Summary rows (label, value) saying the same."""
    rows = []
    if receipts_above(report, estimate):
        rows.append(
            (
                "Receipts above the estimate",
                f"up to {money(report.max_receipt or 0.0)} per request "
                f"(estimate {money(estimate.price)})",
            )
        )
    if report.receipts_missing:
        label = "Receipts missing (booked at the highest price known)"
        rows.append((label, str(report.receipts_missing)))
    return rows
