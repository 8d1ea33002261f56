"""The free account lookups the sandbox answers: the balance and the price tier."""

from __future__ import annotations

from typing import Any

from batchcount.sandbox.answers import price_text
from batchcount.sandbox.config import SandboxConfig

__all__ = ["account_body", "tier_body"]


def account_body(config: SandboxConfig, funds_exhausted: bool) -> dict[str, Any]:
    balance = 0.0 if funds_exhausted else config.balance
    credits = {"balance": balance, "used_this_month": 0.0, "monthly_limit": 10000}
    return {
        "data": {
            "id": "acc_sandbox",
            "email": "sandbox@example.com",
            "name": "Sandbox Account",
            "plan": "Tier 0",
            "credits": credits,
            "preview_tier": False,
        }
    }


def tier_body(config: SandboxConfig) -> dict[str, Any]:
    prices = {
        "api_realtime": price_text(config.price),
        "api_cached": 0,
        "api_preview": 0,
        "api_email_finder": "0.04",
        "api_email_validation": "0.01",
        "phones": "0.2",
    }
    return {"current_tier": {"name": "Tier 0", "service_prices": prices}}
