"""`batchcount history`: the runs recorded in the count store, and what they spent."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from batchcount.cli.common import say
from batchcount.errors import UsageError
from batchcount.plan.estimate import money
from batchcount.store.age import parse_age
from batchcount.store.db import Database
from batchcount.store.location import store_location
from batchcount.store.runs import RunRow, list_runs


@click.command()
@click.option(
    "--since",
    metavar="DATE",
    help="Only runs started on or after DATE (YYYY-MM-DD or an ISO time, UTC), or within an "
    "age such as 7d.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON array of runs on stdout.")
@click.option(
    "--store",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="BATCHCOUNT_STORE",
    show_envvar=True,
    metavar="PATH",
    help="The count store to read. Default: counts.sqlite in your user data folder.",
)
def history(since: str | None, as_json: bool, store: Path | None) -> None:
    """The runs in the count store: when, input, output, segments counted new and reused,
    money spent, test or live. Times are UTC."""
    start = _since(since) if since else None
    path = store_location(store)
    runs: list[RunRow] = []
    if path.exists():
        db = Database(path, create=False)
        try:
            runs = list_runs(db, start.timestamp() if start else None)
        finally:
            db.close()
    if as_json:
        click.echo(json.dumps([_as_json(r) for r in runs], indent=2))
        return
    if not runs:
        say(
            f"No runs recorded in the count store {path}" + (" since then." if start else "."),
            err=False,
        )
        return
    say(f"Runs in the count store {path}:", err=False)
    header = (
        "#",
        "started (UTC)",
        "kind",
        "mode",
        "input",
        "output",
        "new",
        "reused",
        "spent",
        "status",
    )
    table = [header] + [_row(r) for r in runs]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    right = {0, 6, 7, 8}
    for row in table:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        say("  ".join(cells).rstrip(), err=False)
    live = sum(r.spent for r in runs if not r.test)
    test = sum(r.spent for r in runs if r.test)
    line = f"Spent: {money(live)} live"
    if test:
        line += f"; {money(test)} in test mode (fictional, nothing charged)"
    say(line, err=False)


def _since(text: str) -> datetime:
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        try:
            return datetime.now(UTC) - parse_age(raw)
        except UsageError:
            raise UsageError(
                f"--since {text!r}: give a date (2026-11-03), an ISO time (2026-11-03T09:00) or "
                "an age (7d, 12h)."
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(stamp: float | None) -> str:
    if stamp is None:
        return ""
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M")


def _status(run: RunRow) -> str:
    if run.kind == "import":
        return "imported journal"
    if run.running:
        return "running"
    if run.finished is None:
        return "did not finish"
    return {0: "ok", 1: "some rows failed", 3: "stopped early", 130: "interrupted"}.get(
        run.exit_code or 0, f"exit {run.exit_code}"
    )


def _row(run: RunRow) -> tuple[str, ...]:
    return (
        str(run.id),
        _when(run.started),
        "test" if run.test else "live",
        run.mode,
        Path(run.input).name if run.input else "",
        Path(run.output).name if run.output else "",
        str(run.counted_new),
        str(run.reused),
        money(run.spent),
        _status(run),
    )


def _as_json(run: RunRow) -> dict[str, Any]:
    data = asdict(run)
    data["started"] = datetime.fromtimestamp(run.started, UTC).isoformat()
    data["finished"] = (
        None if run.finished is None else datetime.fromtimestamp(run.finished, UTC).isoformat()
    )
    data["status"] = _status(run)
    data["test"] = run.test
    data["spent"] = round(run.spent, 6)
    return data
