"""Where requests go and how they authenticate: the base URL check, the auth header, test keys.

Pure helpers for `batchcount.net.client` (and `job`, which checks the base URL and the key's kind
before any client exists). Nothing here touches the network.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from batchcount.errors import UsageError

DEFAULT_BASE_URL = "https://api.generect.com"


def auth_header(key: str) -> str:
    key = key.strip()
    for prefix in ("Token ", "token ", "Bearer ", "bearer "):
        if key.startswith(prefix):
            key = key[len(prefix) :].strip()
    return f"Token {key}"


def is_test_key(key: str) -> bool:
    return auth_header(key)[len("Token ") :].startswith("test_")


def check_base_url(url: str) -> str:
    """Refuse plain http:// off loopback: the key would travel in clear text."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url '{url}' is not an http(s) URL; e.g. {DEFAULT_BASE_URL}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"--base-url '{url}' uses plain http:// to a non-local host, which would send your "
            "API key in clear text; use https://"
        )
    base = url.strip().rstrip("/")
    # A base copied from the docs with its API prefix would double it (/api/v1/api/v1/... is a
    # 404): the prefixes belong to the paths, so drop them here.
    for prefix in ("/api/v1", "/api"):
        if base.endswith(prefix) and parts.path.rstrip("/") == prefix:
            return base[: -len(prefix)]
    return base


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
