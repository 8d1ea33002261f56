"""`check`'s estimate: the same one `run` will show, to the cent, with no billable call.

It reads the same count store (same mode, API base, test/live kind and --max-age as `run`),
an unimported journal beside the output as `run` would import it, and stored --preflight
answers. The price: with a key (or --sandbox) it asks the free price-tier endpoint as `run`
does; without one it uses --price or the list price and says that `run` asks the account.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from batchcount.api.account import account, endpoint
from batchcount.api.options import UI, RunOptions, default_output
from batchcount.api.preflight import preflight, preflight_lines
from batchcount.api.quote import Quote
from batchcount.api.reuse import (
    cost_line,
    effective_max_age,
    find_reuse,
    notes,
    open_store,
    reuse_line,
    scope_for,
)
from batchcount.errors import StopRun
from batchcount.net.client import ClientConfig, GenerectClient
from batchcount.plan.estimate import Estimate, estimate, fallback_price
from batchcount.plan.prepare import Prepared
from batchcount.store.location import store_location


@dataclass
class CheckEstimate:
    estimate: Estimate
    lines: list[str] = field(default_factory=list)  # notes, reuse line, cost so far, price


class _Collect:
    """A UI that keeps `account()`'s notes as lines (check asks no question)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def info(self, line: str) -> None:
        self.lines.append(line)

    def confirm(self, question: str) -> bool:
        return False

    def approve(self, quote: Quote) -> bool:
        return False

    def progress(self, progress: object) -> None:
        return None

    def progress_done(self) -> None:
        return None


def check_estimate(options: RunOptions, prepared: Prepared) -> CheckEstimate:
    mode = prepared.mode
    plan = prepared.plan
    scope = scope_for(mode, options.sandbox, options.base_url, options.api_key)
    max_age = effective_max_age(options.max_age, options.fresh)
    output = options.output or default_output(prepared.sheet.path)
    lines: list[str] = []
    with open_store(options.store, create=False) as db:
        reuse = find_reuse(db, plan, scope, max_age, output, settle=False)
        lines.extend(notes(reuse, store_location(options.store)))
        skipped: set[str] = set()
        if options.preflight and mode == "realtime":
            pending = dict(plan.request_items(skip=reuse.reused))
            checked = preflight(None, db, scope, pending, reuse.cutoff, 1)
            skipped = checked.skipped
            lines.extend(preflight_lines(checked, check_only=True))
    done = set(reuse.reused)
    todo = [fp for fp in plan.first_row if fp not in done and fp not in skipped]
    can_ask = options.sandbox or bool((options.api_key or "").strip())
    if todo and can_ask:
        price, source = _account_price(options, mode, lines)
    else:
        price, source = fallback_price(mode, options.price)
        if todo and mode == "realtime" and source != "--price":
            lines.append(
                "Price: the list price; run asks your account's price tier (give --api-key or "
                "GENERECT_API_KEY, or --sandbox, for check to ask it too)."
            )
    est = estimate(plan, price, source, done, skipped)
    lines.append(
        reuse_line(est.valid, est.distinct, reuse, est.billable, est.cost, est.preflight_skipped)
    )
    if len(reuse.crashed):
        lines.append(
            f"{len(reuse.crashed)} requests were in flight when the last run stopped: run will "
            "send them again and they may be billed twice"
        )
    cost = cost_line(reuse, output)
    if cost:
        lines.append(cost)
    return CheckEstimate(est, lines)


def _account_price(options: RunOptions, mode: str, lines: list[str]) -> tuple[float, str]:
    """Ask the free tier endpoint as `run` does (never a count)."""
    ui: UI = _Collect(lines)
    try:
        with endpoint(options) as (base_url, key):
            client = GenerectClient(ClientConfig(base_url=base_url, api_key=key))
            try:
                price, source, _ = account(client, mode, options.price, ui)
            finally:
                client.close()
        return price, source
    except StopRun as exc:
        price, source = fallback_price(mode, options.price)
        lines.append(f"Could not ask the account's price tier ({exc.message}).")
        return price, f"{source} (price tier unavailable)"
