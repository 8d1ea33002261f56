"""--preflight: before paying for realtime counts, ask the free database count first.

For every segment about to be paid, the database count is asked for the same filters (those
database mode takes; a realtime-only filter such as keywords only narrows a segment, so if the
broader database segment is empty the narrower one is too). Segments whose database count is
0 are skipped: not paid, and the Results say so and how to count them anyway. The free answers
are stored like paid ones, so a second --preflight run within --max-age asks nothing again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from batchcount.net.client import GenerectClient, RowFailed
from batchcount.net.runner import Outcome
from batchcount.net.throttle import Cancelled
from batchcount.plan.estimate import fingerprint, request_json
from batchcount.plan.fields import all_fields
from batchcount.store.db import Database
from batchcount.store.records import Scope, lookup, put_free_answer

SKIPPED = (
    "skipped by --preflight: the free database count found 0 leads for this segment, so it "
    "was not paid for in realtime (the database can miss recent profiles; rerun without "
    "--preflight to count it anyway)"
)


@dataclass
class Preflight:
    skipped: set[str] = field(default_factory=set)  # realtime fingerprints not to be paid
    asked: int = 0  # database requests sent in this run
    stored: int = 0  # database answers taken from the store
    unknown: int = 0  # no database answer (filters database mode lacks, or a failure)
    problems: list[str] = field(default_factory=list)


def database_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The filters of `body` database mode accepts."""
    fields = all_fields()
    return {k: v for k, v in body.items() if k in fields and not fields[k].realtime_only}


def preflight(
    client: GenerectClient | None,
    db: Database | None,
    scope: Scope,
    bodies: Mapping[str, dict[str, Any]],
    cutoff: float,
    concurrency: int,
) -> Preflight:
    """Which of `bodies` (realtime fingerprint -> body) the database finds empty. Without a
    client (`check`) only stored answers are used."""
    result = Preflight()
    db_scope = Scope("database", scope.base, scope.test)
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}  # db fp -> (db body text, db body)
    by_db_fp: dict[str, list[str]] = {}
    for fp, body in bodies.items():
        narrow = database_body(body)
        if not narrow:
            result.unknown += 1
            continue
        db_fp = fingerprint(narrow, "database")
        wanted[db_fp] = (request_json(narrow), narrow)
        by_db_fp.setdefault(db_fp, []).append(fp)
    stored = lookup(db, db_scope, wanted) if db is not None else {}
    counts: dict[str, int] = {}
    for db_fp, record in stored.items():
        if record.usable(cutoff, scope.test) and record.results_count is not None:
            counts[db_fp] = record.results_count
            result.stored += len(by_db_fp[db_fp])
    missing = [db_fp for db_fp in wanted if db_fp not in counts]
    if missing and client is not None:
        answers = _ask(client, [(f, wanted[f][1]) for f in missing], concurrency, result)
        for db_fp, (count, amount, test) in answers.items():
            counts[db_fp] = count
            if db is not None:
                put_free_answer(db, db_scope, db_fp, wanted[db_fp][0], count, amount, test)
    for db_fp, fps in by_db_fp.items():
        if db_fp not in counts:
            result.unknown += len(fps)
        elif counts[db_fp] == 0:
            result.skipped.update(fps)
    return result


def _ask(
    client: GenerectClient,
    jobs: Iterable[tuple[str, dict[str, Any]]],
    concurrency: int,
    result: Preflight,
) -> dict[str, tuple[int, float, bool]]:
    """Database counts, concurrently. A failure leaves that segment unknown (it is then paid
    for as usual); a rejected key or a wrong base URL stops the run (StopRun)."""

    def one(job: tuple[str, dict[str, Any]]) -> tuple[str, tuple[int, float, bool] | str]:
        db_fp, body = job
        try:
            answer = client.count("database", body)
        except (RowFailed, Cancelled) as exc:
            return db_fp, getattr(exc, "message", "stopped")
        # database counts are free: a missing receipt is $0
        return db_fp, (answer.results_count, answer.amount_charged or 0.0, answer.test_mode)

    answers: dict[str, tuple[int, float, bool]] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 20))) as pool:
        for db_fp, outcome in pool.map(one, list(jobs)):
            result.asked += 1
            if isinstance(outcome, str):
                if len(result.problems) < 3:
                    result.problems.append(outcome)
            else:
                answers[db_fp] = outcome
    return answers


def skipped_outcomes(skipped: Iterable[str]) -> dict[str, Outcome]:
    return {fp: Outcome(fp, "skipped", message=SKIPPED) for fp in skipped}


def preflight_lines(result: Preflight, check_only: bool = False) -> list[str]:
    lines = []
    if result.asked or result.stored:
        lines.append(
            f"Preflight (free database counts): {result.asked} asked, {result.stored} from the "
            f"store; {len(result.skipped)} segments found empty will be skipped (rerun without "
            "--preflight to count them anyway)."
        )
    if result.unknown:
        why = (
            "check reads stored database counts only; run --preflight asks for the rest"
            if check_only
            else "no database count (filters database mode lacks, or it failed)"
        )
        lines.append(f"Preflight: {result.unknown} segments are counted as usual ({why}).")
    lines.extend(f"  database count failed: {p}" for p in result.problems)
    return lines


__all__ = ["SKIPPED", "Preflight", "preflight", "preflight_lines", "skipped_outcomes"]
