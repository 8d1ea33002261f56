"""Judging a 200 count answer that breaks the contract (net/answers.py), the client's handling
of it over httpx.MockTransport, Retry-After parsing, and the budget's books."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from batchcount.net.answers import Unreadable, decode, read_count_body
from batchcount.net.api_errors import retry_after
from batchcount.net.budget import Budget, requests_within
from batchcount.net.client import (
    ClientConfig,
    GenerectClient,
    NotSendable,
    RowFailed,
    Throttled,
    UnusableAnswer,
)
from batchcount.net.throttle import Throttle
from batchcount.sandbox.server import SandboxConfig, start_sandbox

KEY = "abc123def456"


def body(count: Any = 42, amount: Any = 0.04) -> dict[str, Any]:
    return {"data": {"results_count": count}, "meta": {"amount_charged": amount}}


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        ("within limit", '"within limit"'),
        (None, "null"),
        (-3, "-3"),
        (12.5, "12.5"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (2**64, str(2**64)),
        (True, "true"),
        ([1], "[1]"),
        ({"n": 1}, '{"n": 1}'),
    ],
)
def test_unusable_counts_are_named_with_their_raw_value(count: Any, shown: str) -> None:
    parsed = read_count_body(body(count=count))
    assert parsed.count is None
    assert parsed.count_problem is not None and shown in parsed.count_problem
    assert parsed.amount == 0.04 and parsed.receipt_problem is None


def test_usable_counts() -> None:
    assert read_count_body(body(count=0)).count == 0
    assert read_count_body(body(count=7.0)).count == 7  # a whole number written as a float
    assert read_count_body(body(count=2**63 - 1)).count == 2**63 - 1
    assert read_count_body({"data": {"count": 9}, "meta": {"amount_charged": 0}}).count == 9


@pytest.mark.parametrize(
    "payload",
    [{}, {"data": {}}, {"data": None}, {"data": []}, [], "ok", 17, None],
)
def test_missing_count_in_any_shape(payload: Any) -> None:
    parsed = read_count_body(payload)
    assert parsed.count is None and "missing" in (parsed.count_problem or "")


@pytest.mark.parametrize(
    ("meta", "shown"),
    [
        ({}, "missing"),
        (None, "missing"),
        ({"amount_charged": None}, "null"),
        ({"amount_charged": -0.04}, "-0.04"),
        ({"amount_charged": "0.04"}, '"0.04"'),
        ({"amount_charged": "free"}, '"free"'),
        ({"amount_charged": float("nan")}, "NaN"),
        ({"amount_charged": False}, "false"),
    ],
)
def test_unusable_receipts(meta: Any, shown: str) -> None:
    parsed = read_count_body({"data": {"results_count": 5}, "meta": meta})
    assert parsed.count == 5 and parsed.amount is None
    assert shown in (parsed.receipt_problem or "")


def test_raw_values_never_quote_the_key() -> None:
    secret = "Token " + KEY
    parsed = read_count_body(body(count=f"{secret} " + "x" * 200), (secret, KEY))
    assert KEY not in (parsed.count_problem or "") and "***" in (parsed.count_problem or "")
    with pytest.raises(Unreadable) as exc:
        decode(f"<html>{KEY}</html>".encode(), (KEY,))
    assert KEY not in str(exc.value)


@pytest.mark.parametrize(
    "raw",
    [b"", b"   ", b"<html>proxy</html>", b'{"data": {"results_cou', b"\xff\xfe\x00", b"[" * 5000],
)
def test_unreadable_bodies(raw: bytes) -> None:
    with pytest.raises(Unreadable):
        decode(raw)


# --- the client over MockTransport ------------------------------------------------------------


def make(handler: Callable[[httpx.Request], httpx.Response], key: str = KEY) -> GenerectClient:
    return GenerectClient(
        ClientConfig(base_url="https://api.example.test", api_key=key, max_retries=3),
        throttle=Throttle(2),
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    )


def test_a_200_with_an_unusable_count_is_not_retried_and_keeps_its_receipt() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=body(count="within limit", amount=0.04))

    with pytest.raises(UnusableAnswer) as exc:
        make(handler).count("realtime", {"job_titles": ["CTO"]})
    assert calls == [1]
    assert exc.value.amount == 0.04 and '"within limit"' in exc.value.message


def test_a_200_without_a_receipt_is_a_count_with_the_problem_said() -> None:
    client = make(lambda r: httpx.Response(200, json=body(amount=None)))
    answer = client.count("realtime", {"job_titles": ["CTO"]})
    assert answer.results_count == 42 and answer.amount_charged is None
    assert "null" in (answer.receipt_problem or "")
    free = client.count("database", {"job_titles": ["CTO"]})
    assert free.amount_charged == 0.0 and free.receipt_problem is None  # database is free


def test_an_unreadable_200_is_booked_not_retried() -> None:
    calls: list[int] = []
    booked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, text="<html>gateway says hi</html>")

    def may_rebill() -> bool:
        booked.append(1)
        return True

    with pytest.raises(RowFailed) as exc:
        make(handler).count("realtime", {"job_titles": ["CTO"]}, may_rebill=may_rebill)
    assert calls == [1] and booked == [1] and exc.value.unanswered == 1
    assert "not JSON" in exc.value.message and "booked" in exc.value.message


def test_the_body_sent_is_the_request_column_text() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, json=body())

    make(handler).count("realtime", {"job_titles": ["Café"], "locations": ["United States"]})
    assert seen[0].decode() == '{"job_titles": ["Café"], "locations": ["United States"]}'


def test_a_body_that_is_not_json_never_goes_out() -> None:
    calls: list[int] = []
    marks: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=body())

    with pytest.raises(RowFailed, match="cannot be encoded") as exc:
        make(handler).count(
            "realtime",
            {"personas": [["x", float("nan")]]},
            before_send=lambda: marks.append("sent"),
        )
    assert calls == [] and marks == [] and exc.value.unanswered == 0


@pytest.mark.parametrize("key", ["test_abc\r\nX-Evil: 1", "test_ab\x00c", "test_abcé"])
def test_a_key_that_cannot_be_sent_is_never_possibly_billed(key: str) -> None:
    """h11 refuses a line break or NUL in a header before a byte is written; httpx cannot
    encode an accented letter. Over a real socket (MockTransport has no h11)."""
    marks: list[object] = []
    with start_sandbox(SandboxConfig()) as srv:
        client = GenerectClient(
            ClientConfig(base_url=srv.url, api_key=key, max_retries=2), throttle=Throttle(2)
        )
        with pytest.raises(NotSendable) as exc:
            client.count(
                "realtime",
                {"job_titles": ["CTO"]},
                before_send=lambda: marks.append("sent"),
                after_attempt=marks.append,
            )
        client.close()
        assert srv.stats.snapshot()["requests"] == 0
    assert exc.value.unanswered == 0 and exc.value.exit_code == 2
    assert marks in ([], ["sent", 0])  # a write-ahead mark is closed as "not billed"
    assert "nothing was sent" in exc.value.message


def test_a_long_retry_after_stops_instead_of_sleeping() -> None:
    sleeps: list[float] = []
    client = GenerectClient(
        ClientConfig(base_url="https://api.example.test", api_key=KEY, max_retry_after=120),
        throttle=Throttle(2),
        transport=httpx.MockTransport(
            lambda r: httpx.Response(
                429, json={"detail": "slow down"}, headers={"Retry-After": "7200"}
            )
        ),
        sleep=sleeps.append,
    )
    with pytest.raises(Throttled) as exc:
        client.count("realtime", {"job_titles": ["CTO"]})
    assert (
        sleeps == []
        and "2.0 hours before the next request (Retry-After: 7200 s" in exc.value.message
        and "--max-retry-after" in exc.value.message
    )
    assert client.throttle.pause_remaining() == 0  # nobody else was paused for two hours


def test_retry_after_forms() -> None:
    def parse(value: str) -> float | None:
        return retry_after(httpx.Response(429, headers={"Retry-After": value}))

    assert parse("5") == 5 and parse(" 2.5 ") == 2.5 and parse("-3") == 0
    assert parse("nan") is None and parse("soon") is None
    assert parse("inf") == float("inf")
    later = format_datetime(datetime.now(UTC) + timedelta(hours=3), usegmt=True)
    assert 3 * 3600 - 60 < (parse(later) or 0) <= 3 * 3600


# --- the budget --------------------------------------------------------------------------------


def test_budget_reserves_at_the_highest_receipt_seen() -> None:
    budget = Budget(max_cost=1.0, price=0.04)
    assert all(budget.reserve() for _ in range(4))  # 4 x 0.04 held
    assert budget.settle(0.10) == 0.10  # billed far above the estimate
    # now every request in flight counts at 0.10: 0.10 spent + 3 held x 0.10 = 0.40
    taken = 0
    while budget.reserve():
        taken += 1
    assert budget.spent + budget.held * budget.worst <= 1.0 + 1e-9
    assert taken == 6  # 0.10 + 9 x 0.10 = 1.00
    assert budget.settle(None) == 0.10  # a missing receipt is booked at the worst price
    assert budget.max_receipt == 0.10


def test_unanswered_attempts_are_booked_at_the_worst_price() -> None:
    budget = Budget(max_cost=0.10, price=0.04)
    assert budget.reserve()
    assert budget.may_rebill()  # 0.04 booked, 0.04 held: a retry fits
    assert not budget.may_rebill()  # 0.08 booked + 0.04 held > 0.10
    assert requests_within(1.0, 0.06, 120) == 16 and requests_within(None, 0.06, 5) == 5
