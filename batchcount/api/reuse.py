"""What a run (or `check`) can take from the count store instead of paying for it again.

Shared by `run` and `check`, so both show the same estimate to the cent: which segments reuse
a stored count (younger than --max-age, same mode, same API, same kind: test answers never
stand in for live ones), which are new, and which a crashed run left in flight.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from batchcount.errors import UsageError
from batchcount.net.endpoint import DEFAULT_BASE_URL, check_base_url, is_test_key
from batchcount.net.runner import Outcome
from batchcount.plan.estimate import Plan, money
from batchcount.store.age import DEFAULT_MAX_AGE, describe_age
from batchcount.store.db import Database
from batchcount.store.import_journal import ImportReport, import_journal
from batchcount.store.journal import journal_path
from batchcount.store.journal_reader import as_records, read_journal
from batchcount.store.location import store_location
from batchcount.store.records import (
    Record,
    Scope,
    dead_in_flight,
    holds_mode,
    lookup,
    other_kind,
    settle_dead,
)
from batchcount.store.runs import OutputCost, output_cost

SANDBOX_BASE = "sandbox"  # the embedded sandbox: a stable identity, never its random port


def base_identity(sandbox: bool, base_url: str | None) -> str:
    """The API base as stored: scheme and host in lower case, no default port, no slash."""
    if sandbox:
        return SANDBOX_BASE
    parts = urlsplit(check_base_url(base_url or DEFAULT_BASE_URL))
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    default_port = {"https": 443, "http": 80}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"


def scope_for(mode: str, sandbox: bool, base_url: str | None, api_key: str | None) -> Scope:
    test = sandbox or is_test_key(api_key or "")
    return Scope(mode=mode, base=base_identity(sandbox, base_url), test=test)


def effective_max_age(max_age: timedelta | None, fresh: bool) -> timedelta:
    if fresh and max_age is not None and max_age > timedelta(0):
        raise UsageError(
            "--fresh recounts every row (it is --max-age 0); give one of --fresh and --max-age."
        )
    if fresh:
        return timedelta(0)
    return DEFAULT_MAX_AGE if max_age is None else max_age


@contextlib.contextmanager
def open_store(given: Path | None, create: bool = True) -> Iterator[Database | None]:
    """The count store (None if it does not exist yet and `create` is False)."""
    path = store_location(given)
    if not create and not path.exists():
        yield None
        return
    db = Database(path, create=create)
    try:
        yield db
    finally:
        db.close()


@dataclass
class Reuse:
    scope: Scope
    cutoff: float  # answers counted at or after this moment (epoch s) are reused
    max_age: timedelta
    records: dict[str, Record] = field(default_factory=dict)  # everything stored, any age
    reused: dict[str, Record] = field(default_factory=dict)  # usable answers: not sent again
    crashed: set[str] = field(default_factory=set)  # left in flight by a run that stopped
    busy: set[str] = field(default_factory=set)  # in flight in another live run right now
    other_kind: int = 0  # answered in the other kind (test vs live): counted again
    stale: int = 0  # answered, but longer ago than --max-age: counted again
    imports: list[ImportReport] = field(default_factory=list)  # journals taken over
    cost_so_far: OutputCost | None = None

    def dates(self) -> tuple[str, str] | None:
        stamps = [r.counted_at for r in self.reused.values() if r.counted_at is not None]
        if not stamps:
            return None
        return _day(min(stamps)), _day(max(stamps))


def _day(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")


def find_reuse(
    db: Database | None,
    plan: Plan,
    scope: Scope,
    max_age: timedelta,
    output: Path | None,
    settle: bool,
    now: float | None = None,
) -> Reuse:
    """Look the plan up in the store. `settle` (run only): book what dead runs left in flight
    as possibly billed, once. `check` passes False and reads an unimported journal beside the
    output as if it had been taken over, so both see the same counts."""
    now = time.time() if now is None else now
    reuse = Reuse(scope, now - max_age.total_seconds(), max_age)
    # check: an unimported journal beside the output (None when there is none)
    jpath = journal_path(output) if not settle and output is not None else None
    if jpath is not None and not jpath.exists():
        jpath = None
    stored = db is not None and holds_mode(db, scope.mode)
    # fingerprints only (check builds no request body), and none when nothing could match
    fps = list(plan.first_row) if stored or jpath is not None else []
    records: dict[str, Record] = {}
    if db is not None:
        if stored:
            if settle:
                reuse.crashed |= settle_dead(db, scope, fps)
            records = lookup(db, scope, fps)
            if not settle:
                reuse.crashed |= dead_in_flight(db, records.values())
        if output is not None:
            reuse.cost_so_far = output_cost(db, output, scope.test)
    if jpath is not None and output is not None:
        contents = read_journal(jpath, output.name)
        wanted = set(fps)
        for fp, record in as_records(contents, scope).items():
            if fp not in wanted:
                continue
            if record.state == "sent":
                reuse.crashed.add(fp)
            mine = records.get(fp)
            if mine is None or (record.counted_at or 0) > (mine.counted_at or 0):
                records[fp] = replace(record, paid_output=str(output.resolve()))
    reuse.records = records
    for fp, record in records.items():
        if record.usable(reuse.cutoff, scope.test):
            reuse.reused[fp] = record
        elif record.results_count is not None and bool(record.answer_test) == scope.test:
            reuse.stale += 1
        if record.state in ("sent", "retrying") and fp not in reuse.crashed:
            reuse.busy.add(fp)
    reuse.busy -= set(reuse.reused)
    if db is not None and stored:
        reuse.other_kind = other_kind(db, scope, [fp for fp in fps if fp not in reuse.reused])
    return reuse


def take_over_journal(
    db: Database, output: Path | None, scope: Scope, journal: Path | None = None
) -> ImportReport | None:
    """The journal beside `output` (or `journal`, from --journal), imported once."""
    if journal is None and output is None:
        return None
    path = journal if journal is not None else journal_path(output)  # type: ignore[arg-type]
    return import_journal(db, path, output or path, scope.base, scope.test)


def notes(reuse: Reuse, store: Path) -> list[str]:
    """What the user should know about the store before the estimate."""
    lines = []
    for imported in reuse.imports:
        if not imported.already:
            where = (
                f"; renamed it to {imported.renamed_to.name} (kept; delete it when you like)"
                if imported.renamed_to
                else ""
            )
            lines.append(
                f"Took over {imported.answers} counts from the journal {imported.path.name} "
                f"into the count store {store}{where}."
            )
        elif imported.renamed_to:
            lines.append(f"Renamed the already imported journal to {imported.renamed_to.name}.")
    if reuse.other_kind:
        kind = "live mode" if reuse.scope.test else "test mode (fictional counts)"
        which = "a test" if reuse.scope.test else "a live"
        lines.append(
            f"{reuse.other_kind} stored answers came from {kind}; {which} run never reuses "
            "them: they will be counted again."
        )
    if reuse.stale and reuse.max_age > timedelta(0):
        lines.append(
            f"{reuse.stale} stored counts are older than --max-age {describe_age(reuse.max_age)}"
            ": they will be counted again."
        )
    if reuse.busy:
        lines.append(
            f"{len(reuse.busy)} segments are being counted right now by another batchcount "
            "run; this run waits for those answers instead of paying for them twice."
        )
    return lines


def reuse_line(
    valid: int, distinct: int, reuse: Reuse, new: int, new_cost: float, skipped: int = 0
) -> str:
    """ "31 rows: 12 reuse counts from 2026-11-03 to 2026-11-20 ($0), 19 new ($0.76)"."""
    head = f"{valid} rows" if valid == distinct else f"{distinct} segments ({valid} valid rows)"
    parts = []
    dates = reuse.dates()
    if reuse.reused and dates is not None:
        span = dates[0] if dates[0] == dates[1] else f"{dates[0]} to {dates[1]}"
        parts.append(f"{len(reuse.reused)} reuse counts from {span} ($0)")
    if skipped:
        parts.append(f"{skipped} skipped by --preflight (database count 0, $0)")
    parts.append(f"{new} new ({money(new_cost)})")
    return f"{head}: {', '.join(parts)}"


def cost_line(reuse: Reuse, output: Path) -> str | None:
    cost = reuse.cost_so_far
    if cost is None or cost.runs == 0:
        return None
    runs = "run" if cost.runs == 1 else "runs"
    test = " (test mode: nothing was really charged)" if reuse.scope.test else ""
    return (
        f"This output ({output.name}) has cost {money(cost.spent)} over {cost.runs} earlier "
        f"{runs}{test}."
    )


def results_view(
    reuse: Reuse,
    db: Database,
    run_id: int | None,
    outcomes: Mapping[str, Outcome],
    output: Path | None,
    fps: Iterable[str],
) -> dict[str, Record]:
    """Per segment, what the Results rows need after the run: reused answers as `done` (with
    the receipt only when an earlier run of this same output paid it), requests this run
    abandoned in flight as `sent`, anything else as not answered."""
    # a reused answer this run did not send is as it was looked up at the start (no other
    # run re-sends a usable answer): only the rest is read again
    wanted = list(fps)
    fresh = lookup(
        db, reuse.scope, [fp for fp in wanted if fp in outcomes or fp not in reuse.reused]
    )
    here = str(output.resolve()) if output is not None else None
    view: dict[str, Record] = {}
    for fp in wanted:
        record = fresh.get(fp) or reuse.records.get(fp)
        if record is None:
            continue
        used = reuse.reused.get(fp)
        if used is not None and fp not in outcomes:
            paid_here = here is not None and used.paid_output == here
            view[fp] = replace(
                used,
                state="done",
                rebilled=record.rebilled,
                amount=used.amount if paid_here else 0.0,
                message=_reused_message(used, paid_here),
            )
        elif fp in outcomes and outcomes[fp].status == "ok":
            view[fp] = replace(record, state="done")
        elif record.state == "sent" and run_id is not None and record.owner == run_id:
            view[fp] = record
        else:
            view[fp] = replace(record, state="failed")
    return view


def _reused_message(record: Record, paid_here: bool) -> str:
    when = (
        datetime.fromtimestamp(record.counted_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        if record.counted_at is not None
        else "an earlier run"
    )
    # what the answer's own run said of it (a missing receipt; an unusable count, which is
    # billed and never re-sent automatically), unless a later attempt's failure replaced it
    note = record.message if record.state == "done" and record.message else ""
    if record.results_count is None:
        text = f"answered {when} by an earlier run; not charged again"
    elif paid_here:
        text = f"counted {when} by an earlier run of this output; not charged again"
    else:
        where = f" for {Path(record.paid_output).name}" if record.paid_output else ""
        text = f"reused the stored count of {when} (counted{where}); not charged again"
    return "; ".join(p for p in (text, note) if p)
