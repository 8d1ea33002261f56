"""Where requests go (the embedded sandbox or the real API) and what they cost (balance, tier)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

from batchcount.api.options import UI, RunOptions, api_key
from batchcount.net.client import (
    ACCOUNT_PATH,
    TIER_PATH,
    GenerectClient,
    RowFailed,
)
from batchcount.net.endpoint import DEFAULT_BASE_URL
from batchcount.plan.estimate import fallback_price


@contextlib.contextmanager
def endpoint(options: RunOptions) -> Iterator[tuple[str, str]]:
    """(base URL, key): the embedded sandbox, or the real API."""
    if options.sandbox:
        from batchcount.sandbox.server import SANDBOX_KEY, SandboxConfig, start_sandbox

        server = start_sandbox(SandboxConfig())
        try:
            yield server.url, SANDBOX_KEY
        finally:
            server.stop()
        return
    yield (options.base_url or DEFAULT_BASE_URL), api_key(options)


def account(
    client: GenerectClient, mode: str, given: float | None, ui: UI
) -> tuple[float, str, float | None]:
    """(price, where it came from, balance). Free lookups; failures fall back, and say so."""
    balance: float | None = None
    try:
        data = client.get_json(ACCOUNT_PATH).get("data", {})
        balance = _dollars(data.get("credits", {}).get("balance"), negative=True)
    except (RowFailed, TypeError, ValueError, AttributeError) as exc:
        ui.info(f"Could not read the balance ({getattr(exc, 'message', 'unexpected answer')}).")
    if mode == "database":
        return 0.0, "database counts are free", balance
    try:
        prices = client.get_json(TIER_PATH)["current_tier"]["service_prices"]
        return _dollars(prices["api_realtime"]), "your account's price tier", balance
    except (RowFailed, KeyError, TypeError, ValueError) as exc:
        reason = getattr(exc, "message", "unexpected answer")
        price, source = fallback_price(mode, given)
        shown = "--price" if source == "--price" else "the list price"
        ui.info(f"Could not read the account's price tier ({reason}); using {shown}.")
        return price, f"{source} (price tier unavailable)", balance


def _dollars(value: object, negative: bool = False) -> float:
    """A price or balance from a free lookup: a number or numeric string, finite (a NaN or
    negative price would make the estimate and the --max-cost cap meaningless)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError("not a number")
    amount = float(value)
    if not math.isfinite(amount) or (amount < 0 and not negative):
        raise ValueError("not a usable amount")
    return amount
