"""The sandbox is exercised over real loopback HTTP with httpx, as the CLI will use it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from batchcount.sandbox.server import (
    SANDBOX_KEY,
    SandboxConfig,
    SandboxServer,
    canonical_json,
    count_for,
    start_sandbox,
)

REALTIME = "/api/v1/search/realtime/leads/count/"
DATABASE = "/api/v1/search/database/leads/count/"
ACCOUNT = "/api/v1/accounts/me/"
TIER = "/api/auth/tiers/my-tier/"
AUTH = {"Authorization": f"Token {SANDBOX_KEY}"}
BODY: dict[str, Any] = {"job_titles": ["CEO"], "locations": ["United States"]}

Factory = Callable[..., SandboxServer]


@pytest.fixture
def make_server() -> Iterator[Factory]:
    servers: list[SandboxServer] = []

    def make(**options: Any) -> SandboxServer:
        server = start_sandbox(SandboxConfig(**options))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server: Factory) -> SandboxServer:
    return make_server()


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=5.0) as c:
        yield c


def client_for(server: SandboxServer, **options: Any) -> httpx.Client:
    options.setdefault("timeout", 5.0)
    return httpx.Client(base_url=server.url, headers=AUTH, **options)


def raw_exchange(server: SandboxServer, data: bytes, timeout: float = 3.0) -> bytes:
    """Send raw bytes, read until the server closes (bounded by timeout)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def assert_error(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status
    assert response.headers["x-generect-mode"] == "test"
    assert response.headers["content-type"] == "application/json"
    payload = response.json()
    assert payload["status"] == "error"
    assert payload["status_code"] == status
    return payload["detail"]


# ------------------------------------------------------------------------- auth and paths


def test_auth_failures(server: SandboxServer) -> None:
    with httpx.Client(base_url=server.url, timeout=5.0) as c:
        cases = {
            None: "Authentication credentials were not provided.",
            f"Bearer {SANDBOX_KEY}": "Authentication credentials were not provided.",
            SANDBOX_KEY: "Authentication credentials were not provided.",  # bare key
            "Token 0123abcdef": "Invalid token.",  # a live-looking key
            "Token test_": "Invalid token.",
            "Token": "Invalid token.",
        }
        for header, detail in cases.items():
            headers = {} if header is None else {"Authorization": header}
            response = c.post(REALTIME, json=BODY, headers=headers)
            assert assert_error(response, 401) == detail, header
            assert response.headers["www-authenticate"] == "Token"
        assert c.get(ACCOUNT).status_code == 401
        assert c.get(TIER).status_code == 401
        ok = c.post(REALTIME, json=BODY, headers={"Authorization": "token test_other"})
        assert ok.status_code == 200


def test_valid_keys_restricts_keys(make_server: Factory) -> None:
    server = make_server(valid_keys=frozenset({"test_alpha"}))
    with httpx.Client(base_url=server.url, timeout=5.0) as c:
        good = c.post(REALTIME, json=BODY, headers={"Authorization": "Token test_alpha"})
        bad = c.post(REALTIME, json=BODY, headers={"Authorization": "Token test_beta"})
    assert good.status_code == 200
    assert assert_error(bad, 401) == "Invalid token."


def test_paths_need_trailing_slash_and_unknown_paths_are_404(client: httpx.Client) -> None:
    for path in (
        REALTIME.rstrip("/"),
        DATABASE.rstrip("/"),
        "/api/v1/api/v1/search/realtime/leads/count/",
        "/api/v1/search/realtime/company-leads/count/",
        "/",
    ):
        assert assert_error(client.post(path, json=BODY), 404) == "Not found.", path
    assert client.get(ACCOUNT.rstrip("/")).status_code == 404
    # unknown paths are 404 before auth is looked at
    assert httpx.get(client.base_url.join("/nope/")).status_code == 404
    # query strings do not change routing
    assert client.post(REALTIME + "?x=1", json=BODY).status_code == 200


def test_wrong_method_is_405(client: httpx.Client) -> None:
    response = client.get(REALTIME)
    assert assert_error(response, 405) == 'Method "GET" not allowed.'
    assert response.headers["allow"] == "POST"
    assert client.post(ACCOUNT, json={}).status_code == 405


def test_account_and_tier_shapes(make_server: Factory) -> None:
    server = make_server(price=0.05, balance=12.5)
    with client_for(server) as c:
        account = c.get(ACCOUNT)
        tier = c.get(TIER)
    assert account.status_code == 200
    assert account.headers["x-generect-mode"] == "test"
    data = account.json()["data"]
    assert {"id", "email", "name", "plan", "credits", "preview_tier"} <= data.keys()
    assert data["credits"]["balance"] == 12.5
    assert {"used_this_month", "monthly_limit"} <= data["credits"].keys()
    assert data["preview_tier"] is False
    prices = tier.json()["current_tier"]["service_prices"]
    assert tier.json()["current_tier"]["name"] == "Tier 0"
    assert prices["api_realtime"] == "0.05"  # a numeric string, as the live one may send
    assert float(prices["api_realtime"]) == 0.05
    assert prices["api_cached"] == 0


# ------------------------------------------------------------------------------ counts


def test_count_in_both_modes(client: httpx.Client, server: SandboxServer) -> None:
    realtime = client.post(REALTIME, json=BODY)
    database = client.post(DATABASE, json=BODY)
    for response in (realtime, database):
        assert response.status_code == 200
        assert response.headers["x-generect-mode"] == "test"
        assert response.headers["content-type"] == "application/json"
    assert realtime.json()["data"]["results_count"] == count_for(BODY)
    # the cached database finds a stable share of what live sources reach
    assert database.json()["data"]["results_count"] == count_for(BODY) * 85 // 100
    assert realtime.json()["meta"]["amount_charged"] == 0.04
    assert database.json()["meta"]["amount_charged"] == 0
    assert server.stats.billed_amount == pytest.approx(0.04)


def test_price_is_configurable(make_server: Factory) -> None:
    server = make_server(price=0.07)
    with client_for(server) as c:
        assert c.post(REALTIME, json=BODY).json()["meta"]["amount_charged"] == 0.07


def test_counts_are_deterministic_and_plausible(client: httpx.Client) -> None:
    reordered = {"locations": ["United States"], "job_titles": ["CEO"]}
    first = client.post(REALTIME, json=BODY).json()["data"]["results_count"]
    again = client.post(REALTIME, json=reordered).json()["data"]["results_count"]
    assert first == again == count_for(BODY) == count_for(reordered)
    other = count_for({"job_titles": ["CFO"], "locations": ["United States"]})
    assert other != first  # a changed query gives different data
    assert 1_000 < first < 4_000_000
    # a fresh server (and a fresh process's hash seed) gives the same number
    assert count_for(json.loads(json.dumps(BODY))) == first


def test_counts_do_not_depend_on_the_process_hash_seed() -> None:
    body = {"job_titles": ["CEO", "CTO", "CFO", "COO"], "locations": ["France", "Spain"]}
    code = (
        "import json, sys; from batchcount.sandbox.server import count_for; "
        "print(count_for(json.loads(sys.argv[1])))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code, json.dumps(body)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert int(out.stdout) == count_for(body)


MONOTONIC_BASES: list[dict[str, Any]] = [
    {"job_titles": ["CEO"]},
    {"job_titles": ["Head of Sales"], "company_industries": ["Software Development"]},
    {"seniorities": ["vp"], "company_headcounts": ["51-200"], "locations": ["Germany"]},
    {"keywords": ["kubernetes"], "company_types": ["Privately Held"], "functions": ["Sales"]},
]
EXTRA_VALUES: dict[str, list[Any]] = {
    "job_titles": ["CTO", "Founder", "VP Engineering", "Head of Data"],
    "company_industries": ["Banking", "Retail", "Hospitals and Health Care"],
    "seniorities": ["director", "c_suite", "owner"],
    "company_headcounts": ["1-10", "10 000+", "201-500"],
    "locations": ["France", "United States", "Spain"],
    "keywords": ["terraform", "aws", "python"],
    "company_types": ["Public Company", "Non Profit"],
    "functions": ["Marketing", "Engineering"],
}


def test_more_values_never_lower_the_count() -> None:
    for base in MONOTONIC_BASES:
        for name in base:
            body = json.loads(json.dumps(base))
            previous = count_for(body)
            for value in EXTRA_VALUES[name]:
                body[name].append(value)
                current = count_for(body)
                assert current >= previous, (body, previous, current)
                previous = current
            assert count_for(body) > count_for(base)  # and overall it grew
        repeated = {k: v + v for k, v in base.items()}
        assert count_for(repeated) == count_for(base)  # a repeated value adds nobody


def test_more_filters_lower_the_count() -> None:
    body: dict[str, Any] = {"locations": ["United States", "Canada"]}
    previous = count_for(body)
    for name, value in [
        ("job_titles", ["Account Executive", "Sales Manager"]),
        ("company_headcounts", ["51-200", "201-500"]),
        ("company_industries", ["Software Development"]),
        ("changed_jobs", True),
        ("exclude_locations", ["Texas"]),
    ]:
        body[name] = value
        current = count_for(body)
        assert current < previous, (name, previous, current)
        previous = current


def test_exclusions_lower_the_count_slightly() -> None:
    base: dict[str, Any] = {"job_titles": ["CEO"], "company_locations": ["United Kingdom"]}
    full = count_for(base)
    one = count_for({**base, "exclude_company_locations": ["London"]})
    two = count_for({**base, "exclude_company_locations": ["London", "Manchester"]})
    assert full * 0.9 < one < full
    assert two <= one


def test_options_without_effect_and_company_anchor() -> None:
    assert count_for({**BODY, "limit_by": 10, "offset_by": 5}) == count_for(BODY)
    anchored = count_for({**BODY, "company_name": "Acme"})
    assert 0 < anchored < count_for(BODY) / 100
    assert count_for({"company_id": 1441}) == count_for({"company_id": "1441"})


def test_unknown_industry_counts_zero_and_still_bills(client: httpx.Client) -> None:
    for body in (
        {"job_titles": ["CEO"], "company_industries": ["Fintech"]},
        {"job_titles": ["CEO"], "company_industries": ["software development"]},  # case
    ):
        realtime = client.post(REALTIME, json=body).json()
        assert realtime == {"data": {"results_count": 0}, "meta": {"amount_charged": 0.04}}
        assert client.post(DATABASE, json=body).json()["meta"]["amount_charged"] == 0
    known = {"job_titles": ["CEO"], "company_industries": ["Software Development"]}
    mixed = {"job_titles": ["CEO"], "company_industries": ["Software Development", "Fintech"]}
    assert count_for(mixed) == count_for(known) > 0
    # an unknown seniority matches nobody; the loose "Owner" still matches
    assert count_for({"seniorities": ["Grand Poobah"]}) == 0
    assert count_for({"seniorities": ["Owner"]}) > 0


# -------------------------------------------------------------------------- validation


def post_raw(
    client: httpx.Client, path: str, content: bytes, content_type: str = "application/json"
) -> httpx.Response:
    return client.post(path, content=content, headers={"Content-Type": content_type})


def test_body_must_be_a_json_object(client: httpx.Client) -> None:
    detail = assert_error(client.post(REALTIME, json=["CEO"]), 400)
    assert detail == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    detail = assert_error(post_raw(client, REALTIME, b"{not json"), 400)
    assert detail.startswith("JSON parse error")
    assert assert_error(post_raw(client, REALTIME, b"\xff\xfe"), 400).startswith("JSON parse")
    assert assert_error(post_raw(client, REALTIME, b"[" * 100_000), 400).startswith("JSON parse")
    detail = assert_error(post_raw(client, REALTIME, b"job_titles=CEO", "text/plain"), 415)
    assert "text/plain" in detail


def test_unknown_field_names(client: httpx.Client) -> None:
    for path in (REALTIME, DATABASE):
        response = client.post(path, json={"job_titles": ["CEO"], "foo": 1, "without_company": 1})
        detail = assert_error(response, 400)
        assert detail == {"foo": ["Unknown field."], "without_company": ["Unknown field."]}


def test_strict_value_checks(client: httpx.Client) -> None:
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (
            {"company_headcounts": ["999"]},
            {"company_headcounts": ["Object with name=999 does not exist."]},
        ),
        (
            {"job_titles": ["CEO"], "exclude_company_headcounts": ["10001+"]},
            {"exclude_company_headcounts": ["Object with name=10001+ does not exist."]},
        ),
        (
            {"company_types": ["Startup"]},
            {"company_types": ['"Startup" is not a valid choice.']},
        ),
        (
            {"job_titles": "CEO"},
            {"job_titles": ['Expected a list of items but got type "str".']},
        ),
        ({"job_titles": [1]}, {"job_titles": ["Not a valid string."]}),
        ({"changed_jobs": "yes"}, {"changed_jobs": ["Must be a valid boolean."]}),
        ({"company_id": "acme"}, {"company_id": ["A valid integer is required."]}),
        ({"job_titles": None}, {"job_titles": ["This field may not be null."]}),
    ]
    for body, expected in cases:
        assert assert_error(client.post(REALTIME, json=body), 400) == expected, body
    assert client.post(REALTIME, json={"company_headcounts": ["10 000+"]}).status_code == 200


def test_database_mode_rejects_realtime_only_filters(client: httpx.Client) -> None:
    body = {"job_titles": ["CEO"], "keywords": ["saas"], "functions": ["Sales"]}
    detail = assert_error(client.post(DATABASE, json=body), 400)
    message = "Filter not supported in database mode; use /api/v1/search/realtime/leads/count/"
    assert detail == {"keywords": message, "functions": message}
    assert client.post(REALTIME, json=body).status_code == 200
    assert client.post(DATABASE, json={**BODY, "limit_by": 5}).status_code == 200


def test_company_anchors_are_exclusive(client: httpx.Client) -> None:
    body = {"company_name": "Acme", "company_id": 12}
    detail = assert_error(client.post(REALTIME, json=body), 400)
    assert detail == {
        "company_id": "exactly one of company_id, company_link, company_name is required"
    }
    assert client.post(DATABASE, json={"company_name": "Acme"}).status_code == 200


def test_a_filter_is_required(client: httpx.Client) -> None:
    bodies: list[dict[str, Any]] = [
        {},
        {"limit_by": 10},
        {"job_titles": []},
        {"changed_jobs": False},
    ]
    for body in bodies:
        detail = assert_error(client.post(REALTIME, json=body), 400)
        assert detail == "At least one search filter is required.", body
    assert assert_error(post_raw(client, DATABASE, b""), 400) == (
        "At least one search filter is required."
    )


# --------------------------------------------------------------- test-behaviour header


def behave(client: httpx.Client, value: str, path: str = REALTIME) -> httpx.Response:
    return client.post(path, json=BODY, headers={"X-Generect-Test-Behaviour": value})


def test_behaviour_header_forced_errors(client: httpx.Client, server: SandboxServer) -> None:
    limited = behave(client, "rate_limited")
    assert assert_error(limited, 429) == "Request was throttled."
    assert limited.headers["retry-after"] == "1"
    assert assert_error(behave(client, "insufficient_funds"), 402) == (
        "Insufficient funds in the account."
    )
    assert assert_error(behave(client, "upstream_error", DATABASE), 502)
    assert server.stats.ok_answers == 0
    assert server.stats.billed_amount == 0


def test_behaviour_not_found_is_free(client: httpx.Client, server: SandboxServer) -> None:
    response = behave(client, "not_found")
    assert response.json() == {"data": {"results_count": 0}, "meta": {"amount_charged": 0}}
    assert server.stats.billed_amount == 0
    assert server.stats.ok_answers == 1


def test_behaviour_delays(make_server: Factory) -> None:
    server = make_server(slow_behaviour_seconds=0.3)
    with client_for(server) as c:
        started = time.monotonic()
        assert behave(c, "slow").status_code == 200
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        assert behave(c, "latency=0.2").json()["data"]["results_count"] == count_for(BODY)
        assert 0.2 <= time.monotonic() - started < 2.0
        started = time.monotonic()
        assert behave(c, "latency=oops").status_code == 200  # ignored
        assert time.monotonic() - started < 0.2


def test_default_slow_behaviour_is_about_two_seconds() -> None:
    assert SandboxConfig().slow_behaviour_seconds == 2.0


# ----------------------------------------------------------------------- config faults


def statuses(server: SandboxServer, n: int, path: str = REALTIME) -> list[int]:
    with client_for(server) as c:
        return [c.post(path, json={"job_titles": [f"t{i}"]}).status_code for i in range(n)]


def test_fail_rate_mixes_transient_faults_reproducibly(make_server: Factory) -> None:
    first = statuses(make_server(fail_rate=0.6, seed=7), 60)
    second = statuses(make_server(fail_rate=0.6, seed=7), 60)
    other = statuses(make_server(fail_rate=0.6, seed=8), 60)
    assert first == second
    assert first != other
    seen = Counter(first)
    assert set(seen) == {200, 500, 502, 429}
    assert 15 <= seen[200] <= 40


def test_specific_fault_rates(make_server: Factory) -> None:
    assert set(statuses(make_server(rate_500=1.0), 5)) == {500}
    assert set(statuses(make_server(rate_502=1.0), 5, DATABASE)) == {502}
    with_header = make_server(rate_429=1.0)
    without_header = make_server(rate_429=1.0, retry_after_on_429=False)
    with client_for(with_header) as c:
        response = c.post(REALTIME, json=BODY)
        assert assert_error(response, 429) == "Request was throttled."
        assert response.headers["retry-after"] == "1"
    with client_for(without_header) as c:
        response = c.post(REALTIME, json=BODY)
        assert response.status_code == 429
        assert "retry-after" not in response.headers
    # faults are for count endpoints only
    with client_for(make_server(fail_rate=1.0)) as c:
        assert c.get(ACCOUNT).status_code == 200


def test_drop_closes_without_answer(make_server: Factory) -> None:
    server = make_server(drop_rate=1.0)
    with client_for(server) as c:
        with pytest.raises(httpx.TransportError):
            c.post(REALTIME, json=BODY)
        assert c.get(ACCOUNT).status_code == 200  # the server lives on
    assert server.stats.dropped == 1
    assert server.stats.in_flight == 0


def test_slow_answers_outlast_the_client_but_are_billed(make_server: Factory) -> None:
    server = make_server(slow_rate=1.0, slow_seconds=0.4)
    with client_for(server, timeout=0.1) as c, pytest.raises(httpx.ReadTimeout):
        c.post(REALTIME, json=BODY)
    deadline = time.monotonic() + 3.0
    while server.stats.ok_answers == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    # the server finished the work the client gave up on: a retry may be billed twice
    assert server.stats.ok_answers == 1
    assert server.stats.billed_amount == pytest.approx(0.04)


def test_latency_applies_to_counts_only(make_server: Factory) -> None:
    server = make_server(latency=0.25)
    with client_for(server) as c:
        started = time.monotonic()
        c.get(ACCOUNT)
        assert time.monotonic() - started < 0.2
        started = time.monotonic()
        c.post(DATABASE, json=BODY)
        assert time.monotonic() - started >= 0.25


def test_max_parallel_answers_429_beyond_the_cap(make_server: Factory) -> None:
    server = make_server(max_parallel=3, latency=0.5)
    barrier = threading.Barrier(8)
    with client_for(server, limits=httpx.Limits(max_connections=10)) as c:

        def one(i: int) -> int:
            barrier.wait(5.0)  # all 8 arrive well within the 0.5 s the first 3 take
            return c.post(REALTIME, json={"job_titles": [f"t{i}"]}).status_code

        with ThreadPoolExecutor(8) as pool:
            results = Counter(pool.map(one, range(8)))
    assert results[200] == 3
    assert results[429] == 5
    assert server.stats.max_in_flight == 3
    assert server.stats.in_flight == 0


def test_funds_run_out_and_can_be_topped_up(make_server: Factory) -> None:
    server = make_server(funds_after=3)
    with client_for(server) as c:
        assert statuses(server, 3) == [200, 200, 200]
        detail = assert_error(c.post(REALTIME, json=BODY), 402)
        assert detail == "Insufficient funds in the account."
        assert c.post(DATABASE, json=BODY).status_code == 200  # free calls keep working
        assert c.get(ACCOUNT).json()["data"]["credits"]["balance"] == 0
        server.add_funds(2)
        assert statuses(server, 3) == [200, 200, 402]
        topped = httpx.post(f"{server.url}/_sandbox/funds", json={"add": 1})
        assert topped.status_code == 200
        assert topped.json()["funds_after"] == 6
        assert c.post(REALTIME, json=BODY).status_code == 200
        assert c.post(REALTIME, json=BODY).status_code == 402
        bad = httpx.post(f"{server.url}/_sandbox/funds", json={"add": "lots"})
        assert bad.status_code == 400
    assert server.stats.billed_amount == pytest.approx(0.24)


def test_funds_status_400_variant(make_server: Factory) -> None:
    server = make_server(funds_after=0, funds_status=400)
    with client_for(server) as c:
        response = c.post(REALTIME, json=BODY)
    assert assert_error(response, 400) == "Insufficient funds in the account."


def test_funds_allow_exactly_n_under_concurrency(make_server: Factory) -> None:
    server = make_server(funds_after=5, latency=0.1)
    with client_for(server, limits=httpx.Limits(max_connections=20)) as c:

        def one(i: int) -> int:
            return c.post(REALTIME, json={"job_titles": [f"t{i}"]}).status_code

        with ThreadPoolExecutor(12) as pool:
            results = Counter(pool.map(one, range(12)))
    assert results == Counter({200: 5, 402: 7})


# ------------------------------------------------------------------------------- stats


def test_stats_endpoint_and_snapshot(server: SandboxServer, client: httpx.Client) -> None:
    client.post(REALTIME, json=BODY)
    client.post(REALTIME, json={"locations": ["United States"], "job_titles": ["CEO"]})
    client.post(DATABASE, json={"foo": 1})
    client.get(ACCOUNT)
    client.post("/nope/", json={})
    stats = httpx.get(f"{server.url}/_sandbox/stats")  # no auth needed
    assert stats.status_code == 200
    assert stats.headers["x-generect-mode"] == "test"
    data = stats.json()
    assert data == server.snapshot()  # control requests are not counted
    assert data["requests"] == 5
    assert data["count_requests"] == 3
    assert data["ok_answers"] == 2
    assert data["billed_amount"] == pytest.approx(0.08)
    assert data["answered_bodies"] == {canonical_json(BODY): 2}
    assert canonical_json(BODY) == json.dumps(BODY, sort_keys=True)
    assert data["by_status"] == {"200": 3, "400": 1, "404": 1}
    assert data["max_in_flight"] == 1
    assert data["in_flight"] == 0
    assert data["funds_after"] is None
    assert server.stats.by_status[200] == 3  # the live object keeps int keys
    assert httpx.post(f"{server.url}/_sandbox/stats").status_code == 405


# ---------------------------------------------------------------------- HTTP robustness


def test_protocol_errors_get_an_envelope_and_a_close(server: SandboxServer) -> None:
    auth = f"Authorization: Token {SANDBOX_KEY}\r\n".encode()
    cases = [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET / HTTP/2.0\r\n\r\n", b"505"),
        (b"GET /x HTTP/1.1\r\nbad header\r\n\r\n", b"400"),
        (b"POST " + REALTIME.encode() + b" HTTP/1.1\r\n" + auth + b"\r\n", b"411"),
        (
            b"POST " + REALTIME.encode() + b" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"411",
        ),
        (b"POST " + REALTIME.encode() + b" HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", b"413"),
        (b"POST " + REALTIME.encode() + b" HTTP/1.1\r\nContent-Length: -1\r\n\r\n", b"400"),
        (b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", b"431"),
    ]
    for request, status in cases:
        answer = raw_exchange(server, request)
        assert answer.startswith(b"HTTP/1.1 " + status), (request[:40], answer[:80])
        assert b"Connection: close" in answer
        assert b"X-Generect-Mode: test" in answer
        body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
        assert body["status_code"] == int(status)
    # a half-sent request and an empty connection do not hurt either
    assert raw_exchange(server, b"POST /x HTTP/1.1\r\nContent-Le", timeout=0.3) == b""
    assert raw_exchange(server, b"", timeout=0.2) == b""
    with client_for(server) as c:
        assert c.post(REALTIME, json=BODY).status_code == 200


def test_keep_alive_pipelining_and_connection_close(server: SandboxServer) -> None:
    body = json.dumps(BODY).encode()
    one = (
        b"POST " + REALTIME.encode() + b" HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Token test_a\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    last = one.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n")
    answer = raw_exchange(server, one + one + last)
    assert answer.count(b"HTTP/1.1 200 OK") == 3  # answered in order, then closed
    assert answer.count(b"Connection: close") == 1
    http10 = raw_exchange(server, b"GET /nope/ HTTP/1.0\r\n\r\n")  # 1.0 closes by default
    assert http10.startswith(b"HTTP/1.1 404")


def test_keep_alive_reuses_one_connection(server: SandboxServer) -> None:
    with client_for(server) as c:
        ports = set()
        for _ in range(5):
            response = c.post(REALTIME, json=BODY, extensions={})
            ports.add(response.extensions["network_stream"].get_extra_info("client_addr"))
    assert len(ports) == 1


def test_throughput_sanity(make_server: Factory) -> None:
    server = make_server(latency=0.01)
    with client_for(server, limits=httpx.Limits(max_connections=20)) as c:

        def one(i: int) -> int:
            return c.post(REALTIME, json={"job_titles": [f"title {i}"]}).status_code

        with ThreadPoolExecutor(20) as pool:
            results = Counter(pool.map(one, range(500)))
    assert results == Counter({200: 500})
    assert server.stats.ok_answers == 500
    assert len(server.stats.answered_bodies) == 500
    assert 1 < server.stats.max_in_flight <= 20


# --------------------------------------------------------------------------- lifecycle


def sandbox_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("batchcount-sandbox")]


def test_stop_closes_everything_and_leaves_no_thread() -> None:
    before = threading.active_count()
    server = SandboxServer(SandboxConfig(slow_behaviour_seconds=30.0)).start()
    port = server.port
    idle = socket.create_connection(("127.0.0.1", port))  # a kept-alive idle connection
    busy = httpx.Client(base_url=server.url, headers=AUTH, timeout=10.0)
    errors: list[BaseException] = []

    def slow_call() -> None:
        try:
            behave(busy, "slow")
        except BaseException as exc:
            errors.append(exc)

    caller = threading.Thread(target=slow_call)
    caller.start()
    deadline = time.monotonic() + 3.0
    while server.stats.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.stats.in_flight == 1
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2.0
    caller.join(5.0)
    assert not caller.is_alive()
    assert errors and isinstance(errors[0], httpx.TransportError)
    idle.settimeout(2.0)
    assert idle.recv(10) == b""  # the idle connection was closed
    idle.close()
    busy.close()
    assert sandbox_threads() == []
    assert threading.active_count() == before
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
    server.stop()  # twice is fine


def test_context_manager_and_restart_rules() -> None:
    with SandboxServer() as server:
        assert server.url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError):
            server.start()
        busy_port = server.port
        with pytest.raises(OSError):
            SandboxServer(SandboxConfig(port=busy_port)).start()
    assert sandbox_threads() == []
    with pytest.raises(RuntimeError):
        _ = server.url  # not running


def test_serve_forever_runs_until_stopped() -> None:
    server = SandboxServer()
    urls: list[str] = []
    runner = threading.Thread(target=server.serve_forever, args=(lambda s: urls.append(s.url),))
    runner.start()
    deadline = time.monotonic() + 3.0
    while not urls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert httpx.get(urls[0] + ACCOUNT, headers=AUTH).status_code == 200
    server.stop()
    runner.join(5.0)
    assert not runner.is_alive()
    assert sandbox_threads() == []
