"""Money against a hostile API: the cap holds against what is billed, answers that break the
contract never lose a row or get paid for twice, the estimate equals the bill, and nothing
that fails before it leaves this machine is booked as possibly billed.

The real CLI (a subprocess, or batchcount.cli.main in-process for option errors) against the
sandbox on loopback, which can bill above its tier's price and answer 200s with any body.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from store_helpers import recorder_at, stored
from test_faults import (
    KEY,
    MONEY,
    TWICE,
    results,
    run_cli,
    segments,
    settled,
    summary,
    write_xlsx,
)

from batchcount.api.options import RunOptions, check_options
from batchcount.cli.main import main
from batchcount.errors import EXIT_STOPPED, UsageError
from batchcount.net.client import ClientConfig, CountAnswer, GenerectClient
from batchcount.net.runner import Job, Runner
from batchcount.net.throttle import Throttle
from batchcount.plan.estimate import fingerprint
from batchcount.plan.prepare import InputOptions
from batchcount.sandbox.server import OddAnswer, SandboxConfig, start_sandbox


def config(**changes: Any) -> SandboxConfig:
    return SandboxConfig(valid_keys=frozenset({KEY}), **changes)


def row(title: str) -> list[str]:
    return [title, title, "director", "United States", "51-200"]


def money_of(stderr: str, label: str) -> float:
    match = re.search(rf"{label}: \$([0-9,.]+)", stderr)
    assert match, (label, stderr)
    return float(match.group(1).replace(",", ""))


# --- 9. the estimate equals the bill -----------------------------------------------------------


@pytest.mark.parametrize("price", [0.05, 0.0125])
def test_estimate_equals_summary_equals_receipts_on_another_tier(
    tmp_path: Path, price: float
) -> None:
    rows = segments(23)
    rows.append(rows[3][:])  # a duplicate: paid once, estimated once
    rows.append(["bad", "CTO", "director", "United States", "50-200"])  # invalid: never sent
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    output = tmp_path / "in.counted.xlsx"
    with start_sandbox(config(price=price)) as srv:
        done = run_cli(srv, src, "--concurrency", "4")
        snap = settled(srv)
    assert done.returncode == 1, done.stderr  # the invalid row
    estimated = money_of(done.stderr, "Estimated cost")
    assert f"Price: ${price:g} per request (your account's price tier)" in done.stderr
    spent_line = money_of(done.stderr, "Spent")
    out = results(output)
    receipts = sum(float(r["amount_charged"] or 0) for r in out)
    spent = float(summary(output)[MONEY])
    for amount in (spent_line, receipts, spent, snap["billed_amount"]):
        assert round(amount, 2) == round(estimated, 2) == round(23 * price, 2), done.stderr
    assert snap["ok_answers"] == 23
    assert "Receipts were above the estimate" not in done.stderr


# --- 2. the cap holds against what is billed ---------------------------------------------------


def test_cap_holds_when_the_api_bills_more_than_the_estimate(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(60))
    output = tmp_path / "in.counted.xlsx"
    # the tier says $0.04, every receipt says $0.05
    with start_sandbox(config(price=0.04, charge=0.05, latency=0.02)) as srv:
        done = run_cli(srv, src, "--max-cost", "1.00", "--concurrency", "8")
        snap = settled(srv)
    assert done.returncode == 3, done.stderr
    assert "the cap stops after about 25 of 60 requests" in done.stderr  # at the tier's price
    assert snap["billed_amount"] <= 1.00 + 1e-9
    assert "Receipts were above the estimate" in done.stderr
    assert "up to $0.05 a request" in done.stderr
    totals = summary(output)
    assert "$0.05" in str(totals["Receipts above the estimate"])
    assert float(totals[MONEY]) == pytest.approx(snap["billed_amount"])


def test_price_option_raises_the_reservation_not_the_expected_cost(tmp_path: Path) -> None:
    """--price above the tier's: requests in flight are reserved at $0.06, receipts say
    $0.04. The prompt says where the cap stops at the expected price; the cap holds."""
    src = write_xlsx(tmp_path / "in.xlsx", segments(120))
    with start_sandbox(config(price=0.04)) as srv:
        done = run_cli(srv, src, "--max-cost", "3.00", "--price", "0.06", "--concurrency", "8")
        snap = settled(srv)
    assert done.returncode == 3, done.stderr
    assert "the cap stops after about 75 of 120 requests" in done.stderr
    assert "reserved at $0.06" in done.stderr
    assert 60 <= snap["count_requests"] <= 75 and snap["billed_amount"] <= 3.00 + 1e-9


def test_unreadable_200s_count_against_the_cap(tmp_path: Path) -> None:
    """A 200 is billed whether or not its body can be read: without booking those, the run
    would send every row and pay $0.40 against a $0.30 cap."""
    rows = [row(f"Garbled {i}") for i in range(5)] + [row(f"Fine {i}") for i in range(5)]
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    odd = {f"Garbled {i}": OddAnswer(b"<html>upstream proxy</html>") for i in range(3)}
    odd.update({f"Garbled {i}": OddAnswer(b'{"data": {"results_count": 12}}', 9) for i in (3, 4)})
    with start_sandbox(config(odd_answers=odd)) as srv:
        done = run_cli(srv, src, "--max-cost", "0.30", "--concurrency", "1")
        snap = settled(srv)
    assert done.returncode == 3, done.stderr
    assert snap["billed_amount"] <= 0.30 + 1e-9
    out = results(tmp_path / "in.counted.xlsx")
    failed = [r for r in out if r["status"] == "failed"]
    assert len(failed) == 5
    assert all("A 200 is billed" in str(r["message"]) for r in failed)
    assert "not JSON" in str(failed[0]["message"])
    assert "could not be read" in str(failed[3]["message"])  # cut mid-body
    assert int(summary(tmp_path / "in.counted.xlsx")[TWICE]) == 5
    assert snap["ok_answers"] == 7  # 7 x $0.04 = $0.28: the 8th would pass the cap
    # the count store remembers them as possibly billed, for the run that re-sends them
    db = sqlite3.connect(os.environ["BATCHCOUNT_STORE"])
    rebilled = sorted(r[0] for r in db.execute("SELECT rebilled FROM counts"))
    db.close()
    assert rebilled == [0, 0, 1, 1, 1, 1, 1]


@pytest.mark.parametrize(("tier", "charge"), [(-0.04, 0.04), (float("nan"), 0.04), (0.0, 0.04)])
def test_a_tier_price_that_is_not_a_price_never_disarms_the_cap(
    tmp_path: Path, tier: float, charge: float
) -> None:
    """A negative or NaN tier price is not used (the list price is, with a note); a tier that
    says realtime counts are free still has the cap reserve each request at the list price."""
    src = write_xlsx(tmp_path / "in.xlsx", segments(40))
    with start_sandbox(config(price=tier, charge=charge, latency=0.01)) as srv:
        done = run_cli(srv, src, "--max-cost", "0.60", "--concurrency", "8")
        snap = settled(srv)
    assert done.returncode == 3, done.stderr
    assert snap["billed_amount"] <= 0.60 + 1e-9
    if tier != 0.0:
        assert "Could not read the account's price tier" in done.stderr
        assert "the cap stops after about 15 of 40 requests" in done.stderr


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--max-cost", "nan"),
        ("--max-cost", "inf"),
        ("--max-cost", "-1"),
        ("--price", "0"),
        ("--price", "nan"),
        ("--price", "-0.04"),
        ("--price", "1e300"),
        ("--timeout", "0"),
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--timeout", "-5"),
        ("--timeout", "1e12"),
        ("--connect-timeout", "0"),
        ("--connect-timeout", "NaN"),
        ("--connect-timeout", "-inf"),
        ("--concurrency", "0"),
        ("--concurrency", "-3"),
        ("--concurrency", "nan"),
        ("--concurrency", "inf"),
        ("--concurrency", "2.5"),
        ("--max-retry-after", "nan"),
        ("--max-retry-after", "-1"),
    ],
)
def test_meaningless_numbers_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", segments(2))
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(src), "--sandbox", "--yes", flag, value])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert flag in err and "Nothing was sent" in err and "Traceback" not in err
    assert not (tmp_path / "in.counted.xlsx").exists()


def test_the_library_refuses_them_too(tmp_path: Path) -> None:
    inputs = InputOptions(path=tmp_path / "in.xlsx")
    for changes in (
        {"max_cost": float("nan")},
        {"price": float("inf")},
        {"timeout": float("nan")},
        {"connect_timeout": 0.0},
        {"max_retry_after": float("nan")},
    ):
        with pytest.raises(UsageError, match="Nothing was sent"):
            check_options(RunOptions(inputs=inputs, sandbox=True, **changes))  # type: ignore[arg-type]
    check_options(RunOptions(inputs=inputs, sandbox=True, max_cost=0.0))  # "spend nothing"


# --- 3. answers that break the contract --------------------------------------------------------

# keys are the job titles of the rows the sandbox answers oddly (not "Null" or "NaN": such a
# cell reads as a placeholder and is refused before anything is sent, plan/placeholders.py)
BAD_COUNTS = {
    "Limit": b'{"data": {"results_count": "within limit"}, "meta": {"amount_charged": 0.04}}',
    "NullCount": b'{"data": {"results_count": null}, "meta": {"amount_charged": 0.04}}',
    "Negative": b'{"data": {"results_count": -5}, "meta": {"amount_charged": 0.04}}',
    "Fraction": b'{"data": {"results_count": 12.5}, "meta": {"amount_charged": 0.04}}',
    "NanCount": b'{"data": {"results_count": NaN}, "meta": {"amount_charged": 0.04}}',
    "Huge": b'{"data": {"results_count": 18446744073709551616}, "meta": {"amount_charged": 0.04}}',
    "Missing": b'{"data": {}, "meta": {"amount_charged": 0.04}}',
    "Both": b'{"data": {"results_count": "n/a"}, "meta": {"amount_charged": "n/a"}}',
}
BAD_RECEIPTS = {
    "NoMeta": b'{"data": {"results_count": 40}}',
    "NullCharge": b'{"data": {"results_count": 41}, "meta": {"amount_charged": null}}',
    "MinusCharge": b'{"data": {"results_count": 42}, "meta": {"amount_charged": -0.04}}',
    "TextCharge": b'{"data": {"results_count": 43}, "meta": {"amount_charged": "four cents"}}',
}
RAW_SHOWN = {
    "Limit": '"within limit"',
    "NullCount": "null",
    "Negative": "-5",
    "Fraction": "12.5",
    "NanCount": "NaN",
    "Huge": "18446744073709551616",
    "Missing": "missing",
    "Both": '"n/a"',
}


def test_contract_breaking_answers_are_booked_flagged_and_never_paid_twice(
    tmp_path: Path,
) -> None:
    titles = [*BAD_COUNTS, *BAD_RECEIPTS, "Good"]
    src = write_xlsx(tmp_path / "in.xlsx", [row(t) for t in titles])
    output = tmp_path / "in.counted.xlsx"
    odd = {t: OddAnswer(raw) for t, raw in {**BAD_COUNTS, **BAD_RECEIPTS}.items()}
    with start_sandbox(config(odd_answers=odd)) as srv:
        first = run_cli(srv, src, "--concurrency", "4")
        snap = settled(srv)
        assert first.returncode == 1, first.stderr  # finished, some rows failed
        out = {r["Segment"]: r for r in results(output)}
        for title, shown in RAW_SHOWN.items():
            r = out[title]
            assert r["status"] == "failed" and r["results_count"] is None, r
            assert shown in str(r["message"]), r
            assert "billed" in str(r["message"]) and "not sent again" in str(r["message"])
            assert r["amount_charged"] == pytest.approx(0.04)  # receipt, or the worst price
        for title in BAD_RECEIPTS:
            r = out[title]
            assert r["status"] == "ok" and isinstance(r["results_count"], int), r
            assert "receipt missing" in str(r["message"])
            assert r["amount_charged"] == pytest.approx(0.04)  # booked at the worst price
        assert out["Good"]["status"] == "ok" and "receipt" not in str(out["Good"]["message"])
        assert "5 answers came without a usable receipt"  # 4 + "Both" in first.stderr
        totals = summary(output)
        assert float(totals[MONEY]) == pytest.approx(snap["billed_amount"])  # every 200 booked
        assert snap["ok_answers"] == len(titles)

        # a rerun pays for none of them again, and keeps what they said
        second = run_cli(srv, src, "--concurrency", "4")
        assert second.returncode == 1, second.stderr
        assert srv.stats.snapshot()["count_requests"] == snap["count_requests"]
        again = {r["Segment"]: r for r in results(output)}
        assert Counter(r["status"] for r in again.values()) == Counter(
            r["status"] for r in out.values()
        )
        assert '"within limit"' in str(again["Limit"]["message"])
        assert "receipt missing" in str(again["NoMeta"]["message"])


# --- no exception in a worker ends a run silently ----------------------------------------------


class _Flaky(GenerectClient):
    """Raises an unexpected exception for some bodies: before the request goes out, or after
    its write-ahead mark (while it is on the wire)."""

    def count(self, mode: str, body: dict[str, Any], **hooks: Any) -> CountAnswer:  # type: ignore[override]
        title = body["job_titles"][0]
        if title == "Boom before":
            raise RuntimeError("a bug before sending")
        if title == "Boom after":
            hooks["before_send"]()
            raise RuntimeError("a bug while on the wire")
        return super().count(mode, body, **hooks)


def _jobs(titles: list[str]) -> list[Job]:
    bodies = [{"job_titles": [t], "locations": ["United States"]} for t in titles]
    return [Job(fingerprint(b, "realtime"), b) for b in bodies]


def test_a_worker_exception_is_a_failed_row_never_a_silent_one(tmp_path: Path) -> None:
    jobs = _jobs(["A", "Boom before", "B", "Boom after", "C"])
    with start_sandbox(config()) as srv:
        client = _Flaky(ClientConfig(base_url=srv.url, api_key=KEY), throttle=Throttle(2))
        journal = recorder_at(tmp_path / "j.sqlite")
        report = Runner(client, journal, "realtime", 2, 0.04).run(jobs)
        client.close()
        entries = stored(journal)
        journal.close()
    statuses = {j.body["job_titles"][0]: report.outcomes[j.fp].status for j in jobs}
    assert statuses == {
        "A": "ok",
        "Boom before": "failed",
        "B": "ok",
        "Boom after": "failed",
        "C": "ok",
    }
    before, after = report.outcomes[jobs[1].fp], report.outcomes[jobs[3].fp]
    assert "internal error" in before.message and before.rebilled == 0  # never left
    assert after.rebilled == 1  # it was on the wire: possibly billed
    assert jobs[1].fp not in entries  # no write-ahead mark for what never left
    assert entries[jobs[3].fp].rebilled == 1


def test_a_failure_taking_the_next_request_stops_the_run_honestly(tmp_path: Path) -> None:
    jobs = _jobs([f"T{i}" for i in range(6)])
    with start_sandbox(config()) as srv:
        client = GenerectClient(ClientConfig(base_url=srv.url, api_key=KEY), throttle=Throttle(1))
        runner = Runner(client, recorder_at(tmp_path / "j.sqlite"), "realtime", 1, 0.04)
        calls = [0]
        reserve = runner.budget.reserve

        def broken_after_two() -> bool:
            calls[0] += 1
            if calls[0] > 2:
                raise ZeroDivisionError("bug")
            return reserve()

        runner.budget.reserve = broken_after_two  # type: ignore[method-assign]
        report = runner.run(jobs)
        client.close()
    assert report.exit_code == EXIT_STOPPED  # never 0 with rows not done
    assert "internal error" in (report.stop_reason or "")
    assert sum(o.status == "ok" for o in report.outcomes.values()) == 2


# --- 7b. failures before a request leaves are never possibly billed -----------------------------


def test_a_body_that_cannot_be_encoded_is_never_booked_as_possibly_billed(tmp_path: Path) -> None:
    bad = {"job_titles": ["X"], "personas": [["x", float("nan")]]}
    jobs = [Job(fingerprint(bad, "realtime"), bad), *_jobs(["Fine"])]
    with start_sandbox(config()) as srv:
        client = GenerectClient(ClientConfig(base_url=srv.url, api_key=KEY), throttle=Throttle(1))
        journal = recorder_at(tmp_path / "j.sqlite")
        report = Runner(client, journal, "realtime", 1, 0.04, max_cost=0.04).run(jobs)
        client.close()
        entries = stored(journal)
        journal.close()
        snap = srv.stats.snapshot()
    outcome = report.outcomes[jobs[0].fp]
    assert outcome.status == "failed" and outcome.rebilled == 0
    assert "cannot be encoded" in outcome.message and "nothing was sent" in outcome.message
    assert jobs[0].fp not in entries  # no "sent" record for it
    assert report.rebilled == 0
    # and it cost nothing: the $0.04 cap still let the good row through
    assert report.outcomes[jobs[1].fp].status == "ok" and snap["count_requests"] == 1


def test_a_nan_in_a_json_cell_is_an_invalid_row(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('Job Titles,Personas\nCTO,"[[""x"", NaN]]"\nCFO,"[[""x"", 1e999]]"\n')
    with start_sandbox(config()) as srv:
        done = run_cli(srv, src)
        assert srv.stats.snapshot()["count_requests"] == 0
    out = results(tmp_path / "in.counted.xlsx")
    assert [r["status"] for r in out] == ["invalid", "invalid"], out
    assert all("NaN or Infinity" in str(r["message"]) for r in out)
    assert done.returncode == 1
