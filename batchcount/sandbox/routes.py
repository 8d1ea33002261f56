"""The paths the sandbox answers, and the key it accepts without any account."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCOUNT_PATH",
    "DATABASE_COUNT_PATH",
    "FUNDS_PATH",
    "REALTIME_COUNT_PATH",
    "ROUTES",
    "SANDBOX_KEY",
    "STATS_PATH",
    "TIER_PATH",
]

SANDBOX_KEY: Final = "test_sandbox"

REALTIME_COUNT_PATH: Final = "/api/v1/search/realtime/leads/count/"
DATABASE_COUNT_PATH: Final = "/api/v1/search/database/leads/count/"
ACCOUNT_PATH: Final = "/api/v1/accounts/me/"
TIER_PATH: Final = "/api/auth/tiers/my-tier/"
STATS_PATH: Final = "/_sandbox/stats"
FUNDS_PATH: Final = "/_sandbox/funds"

ROUTES: Final = {
    REALTIME_COUNT_PATH: ("POST", "realtime"),
    DATABASE_COUNT_PATH: ("POST", "database"),
    ACCOUNT_PATH: ("GET", "account"),
    TIER_PATH: ("GET", "tier"),
}
