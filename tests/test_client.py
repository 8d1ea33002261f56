"""The HTTP client against httpx.MockTransport: auth, retries, classification, test mode."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from batchcount.errors import UsageError
from batchcount.net.api_errors import describe_detail
from batchcount.net.client import (
    ClientConfig,
    FundsOut,
    GenerectClient,
    KeyRejected,
    RowFailed,
    WrongEndpoint,
)
from batchcount.net.endpoint import auth_header, check_base_url, is_test_key
from batchcount.net.throttle import Cancelled, Throttle

KEY = "abc123def456"
OK = {"data": {"results_count": 42}, "meta": {"amount_charged": 0.04}}


def make(
    handler: Callable[[httpx.Request], httpx.Response], retries: int = 3, key: str = KEY
) -> tuple[GenerectClient, list[float]]:
    sleeps: list[float] = []
    client = GenerectClient(
        ClientConfig(
            base_url="https://api.example.test", api_key=key, max_retries=retries, backoff_base=0.01
        ),
        throttle=Throttle(4),
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
    )
    return client, sleeps


def error(status: int, detail: object, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"status": "error", "status_code": status, "detail": detail}
    return httpx.Response(status, json=body, headers=headers)


def test_auth_header_and_test_keys() -> None:
    assert auth_header("abc") == "Token abc"
    assert auth_header("Token abc") == "Token abc"
    assert auth_header(" Bearer abc ") == "Token abc"
    assert is_test_key("test_123") and is_test_key("Token test_123")
    assert not is_test_key("deadbeef")


def test_request_shape() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=OK)

    client, _ = make(handler)
    answer = client.count("realtime", {"job_titles": ["CTO"]})
    assert answer.results_count == 42 and answer.amount_charged == 0.04
    request = seen[0]
    assert request.url.path == "/api/v1/search/realtime/leads/count/"
    assert request.headers["Authorization"] == f"Token {KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"job_titles": ["CTO"]}
    client.count("database", {"job_titles": ["CTO"]})
    assert seen[1].url.path == "/api/v1/search/database/leads/count/"


def test_plain_http_refused_off_loopback() -> None:
    with pytest.raises(UsageError, match="clear text"):
        check_base_url("http://api.generect.com")
    assert check_base_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert check_base_url("http://localhost:1") == "http://localhost:1"
    assert check_base_url("http://[::1]:1") == "http://[::1]:1"
    with pytest.raises(UsageError):
        check_base_url("ftp://x")


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_transient_answers_are_retried(status: int) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return error(status, "busy") if len(calls) < 3 else httpx.Response(200, json=OK)

    client, sleeps = make(handler)
    answer = client.count("realtime", {"job_titles": ["CTO"]})
    assert answer.results_count == 42 and answer.attempts == 3
    assert len(sleeps) >= 2  # backed off between tries


def test_retry_after_is_honoured_and_slows_everyone() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return error(429, "Request was throttled.", {"Retry-After": "1"})
        return httpx.Response(200, json=OK)

    client, sleeps = make(handler)
    client.count("realtime", {"job_titles": ["CTO"]})
    assert sum(sleeps) >= 0.9  # waited about Retry-After, not the 0.01 s backoff
    assert client.throttle.rate_limited == 1
    assert client.throttle.allowed < 4  # the whole run slowed down


def test_retries_run_out() -> None:
    client, _ = make(lambda r: error(502, "upstream"), retries=2)
    with pytest.raises(RowFailed, match="gave up after 3 tries"):
        client.count("realtime", {"job_titles": ["CTO"]})


def test_connection_failures_are_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        if len(calls) == 2:
            raise httpx.RemoteProtocolError("closed")
        return httpx.Response(200, json=OK)

    client, _ = make(handler)
    assert client.count("realtime", {"job_titles": ["CTO"]}).attempts == 3


def test_read_timeout_is_retried_but_reported_as_possibly_billed() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadTimeout("slow")
        return httpx.Response(200, json=OK)

    client, _ = make(handler)
    answer = client.count("realtime", {"job_titles": ["CTO"]})
    assert answer.possibly_billed_twice == 1


def test_read_timeout_not_retried_when_budget_forbids() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    client, _ = make(handler)
    with pytest.raises(RowFailed, match="max-cost"):
        client.count("realtime", {"job_titles": ["CTO"]}, may_rebill=lambda: False)


def test_400_is_a_row_failure_with_readable_fields() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return error(400, {"company_headcounts": ["Object with name=999 does not exist."]})

    client, _ = make(handler)
    with pytest.raises(RowFailed) as info:
        client.count("realtime", {"company_headcounts": ["999"]})
    assert "company_headcounts: Object with name=999 does not exist." in info.value.message
    assert len(calls) == 1  # never retried


@pytest.mark.parametrize(
    ("status", "detail", "kind"),
    [
        (401, "Authentication credentials were not provided.", KeyRejected),
        (403, "You do not have permission to perform this action.", KeyRejected),
        (402, "Insufficient funds in the account.", FundsOut),
        (400, "Insufficient funds in the account.", FundsOut),
        (404, "Not found.", WrongEndpoint),
        (501, "This endpoint does not support test mode yet. Use a live API key.", WrongEndpoint),
    ],
)
def test_stop_classes(status: int, detail: str, kind: type[Exception]) -> None:
    client, _ = make(lambda r: error(status, detail))
    with pytest.raises(kind) as info:
        client.count("realtime", {"job_titles": ["CTO"]})
    assert KEY not in str(info.value)


def test_key_never_in_messages() -> None:
    client, _ = make(lambda r: error(401, "Invalid token."), key="Token supersecretkey99")
    with pytest.raises(KeyRejected) as info:
        client.count("realtime", {"job_titles": ["CTO"]})
    assert "supersecretkey99" not in str(info.value)


def test_test_mode_from_header_and_key() -> None:
    client, _ = make(lambda r: httpx.Response(200, json=OK, headers={"X-Generect-Mode": "test"}))
    assert not client.test_mode
    assert client.count("realtime", {"job_titles": ["CTO"]}).test_mode
    client2, _ = make(lambda r: httpx.Response(200, json=OK), key="test_abc")
    assert client2.test_mode


def test_non_json_and_odd_bodies() -> None:
    client, _ = make(lambda r: httpx.Response(400, text="<html>bad</html>"))
    with pytest.raises(RowFailed, match="bad"):
        client.count("realtime", {"job_titles": ["CTO"]})
    client2, _ = make(lambda r: httpx.Response(200, json={"data": {}}))
    with pytest.raises(RowFailed, match=r"data\.results_count is missing"):
        client2.count("realtime", {"job_titles": ["CTO"]})
    client3, _ = make(lambda r: httpx.Response(200, json={"data": {"count": 7}, "meta": {}}))
    assert client3.count("database", {"job_titles": ["CTO"]}).results_count == 7


def test_describe_detail_shapes() -> None:
    assert describe_detail("Not found.") == "Not found."
    assert describe_detail({"a": "x"}) == "a: x"
    assert describe_detail({"a": ["x", "y"], "b": "z"}) == "a: x; y; b: z"


def test_stopping_cancels_before_sending() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=OK)

    client, _ = make(handler)
    with pytest.raises(Cancelled):
        client.count("realtime", {"job_titles": ["CTO"]}, stopping=lambda: True)
    assert calls == []


def test_account_lookups() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/accounts/me/":
            return httpx.Response(200, json={"data": {"credits": {"balance": 12.5}}})
        return error(404, "Not found.")

    client, _ = make(handler)
    assert client.get_json("/api/v1/accounts/me/")["data"]["credits"]["balance"] == 12.5
    with pytest.raises(RowFailed):
        client.get_json("/api/auth/tiers/my-tier/")


def test_base_url_with_the_api_prefix_is_trimmed() -> None:
    assert check_base_url("https://api.generect.com/api/v1/") == "https://api.generect.com"
    assert check_base_url("https://api.generect.com/api") == "https://api.generect.com"
    assert check_base_url("https://proxy.example/generect") == "https://proxy.example/generect"
